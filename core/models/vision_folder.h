// vision_folder.h: image classifiers to and from Hugging Face folders:
// config.json, model.safetensors and preprocessor_config.json, the way
// save_pretrained writes them and from_pretrained reads them.
#pragma once

#include "models/resnet_model.h"
#include "models/vit_model.h"
#include "vision/image_processor.h"

#include <filesystem>
#include <string>
#include <vector>

namespace ft {

struct LoadedVit {
    VitForImageClassification model{nullptr}; // in eval mode
    ImageProcessorConfig processor;
    std::vector<std::string> unusedTensors;   // in the checkpoint, not in the model
};
struct LoadedResNet {
    ResNetForImageClassification model{nullptr};
    ImageProcessorConfig processor;
    std::vector<std::string> unusedTensors;
};

// "vit", "resnet", ... : config.json's model_type (ft::Error naming the file if unreadable).
std::string modelTypeOf(const std::filesystem::path &folder);

// Throws ft::Error naming the file and tensor for anything missing or misshapen.
LoadedVit loadVit(const std::filesystem::path &folder);
LoadedResNet loadResNet(const std::filesystem::path &folder);

// Writes the three files into `folder` (made if missing), each atomically;
// config.json names the classifier's architecture and its labels.
void saveVit(const VitForImageClassificationImpl &model, const ImageProcessorConfig &processor,
             const std::filesystem::path &folder);
void saveResNet(const ResNetForImageClassificationImpl &model, const ImageProcessorConfig &processor,
                const std::filesystem::path &folder);

} // namespace ft
