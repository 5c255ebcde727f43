// vision_config.h: the config.json of the image classifiers, as typed structs
// with Hugging Face's defaults: ViTConfig ("vit") and ResNetConfig ("resnet").
// Torch-free; the original JSON is kept so a saved config carries every field.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace ft {

struct VitConfig {
    std::int64_t imageSize = 224;
    std::int64_t patchSize = 16;
    std::int64_t numChannels = 3;
    std::int64_t hiddenSize = 768;
    std::int64_t numHiddenLayers = 12;
    std::int64_t numAttentionHeads = 12;
    std::int64_t intermediateSize = 3072;
    bool geluTanh = false;             // hidden_act: "gelu" (exact) or "gelu_new"/"gelu_pytorch_tanh"
    double hiddenDropoutProb = 0.0;
    double attentionProbsDropoutProb = 0.0;
    double layerNormEps = 1e-12;
    double initializerRange = 0.02;
    bool qkvBias = true;
    std::vector<std::string> id2label;
    nlohmann::json original = nlohmann::json::object();

    std::int64_t numPatches() const { return (imageSize / patchSize) * (imageSize / patchSize); }
    std::int64_t numLabels() const { return std::int64_t(id2label.size()); }
};

struct ResNetConfig {
    std::int64_t numChannels = 3;
    std::int64_t embeddingSize = 64;
    std::vector<std::int64_t> hiddenSizes{256, 512, 1024, 2048};
    std::vector<std::int64_t> depths{3, 4, 6, 3};
    bool bottleneck = true;            // layer_type "bottleneck" (ResNet-50 and up) or "basic" (18, 34)
    bool downsampleInFirstStage = false;
    bool downsampleInBottleneck = false;
    std::vector<std::string> id2label;
    nlohmann::json original = nlohmann::json::object();

    std::int64_t numLabels() const { return std::int64_t(id2label.size()); }
};

// Whether config.json's model_type names an image classifier this project
// builds ("vit", "resnet"); every other type is read as a text model.
bool isImageModelType(const std::string &modelType);

// Parses and checks a config document; `source` names the file in errors
// (InvalidInput for a malformed field, Incompatible for an option not built).
VitConfig vitConfigFromJson(const nlohmann::json &document, const std::string &source);
ResNetConfig resNetConfigFromJson(const nlohmann::json &document, const std::string &source);

// Parameters of the classifier built from the config (batch-norm running
// statistics are buffers, not parameters).
std::int64_t parameterCount(const VitConfig &config);
std::int64_t parameterCount(const ResNetConfig &config);

// The configs as HF writes them: the original fields with ours over them.
nlohmann::json toJson(const VitConfig &config);
nlohmann::json toJson(const ResNetConfig &config);

} // namespace ft
