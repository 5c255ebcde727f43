// model_info.h: what a model folder holds, for the studio's import page and
// `finetune model info`, read from config.json and the weight files' headers
// without loading any weights. Torch-free.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace ft {

struct ModelFileInfo {
    std::string name;
    std::uintmax_t bytes = 0;
};

struct ModelInfo {
    std::filesystem::path folder;
    std::string modelType;                  // "bert", "vit", "resnet"
    std::string architecture;               // first of config.json's architectures, "" when it lists none
    std::int64_t numParameters = 0;         // of the classifier built from the config
    std::int64_t checkpointParameters = 0;  // floating-point values stored in the weight files
    std::int64_t vocabSize = 0;
    std::int64_t hiddenSize = 0;
    std::int64_t numLayers = 0;
    std::int64_t numHeads = 0;
    std::int64_t maxPositions = 0;
    std::int64_t imageSize = 0;             // a ViT's input size; 0 for text models and ResNet (any size)
    std::vector<std::string> labels;        // id2label, or HF's LABEL_i defaults
    bool hasClassifier = false;             // the weights include a classifier head
    std::string weightsFormat;              // "safetensors", "safetensors (2 shards)", "pytorch_model.bin", ""
    std::string dtype;                      // of the floating-point weights: "F32", "BF16", "mixed (F16, F32)"
    std::vector<ModelFileInfo> files;       // the folder's files, by name
    bool hasTokenizer = false;              // vocab.txt or tokenizer.json
    bool hasImageProcessor = false;         // preprocessor_config.json (image classifiers)
};

// Throws ft::Error for a folder without a usable config.json, an unsupported
// model type, or weight files whose headers are malformed.
ModelInfo inspectModelFolder(const std::filesystem::path &folder);

} // namespace ft
