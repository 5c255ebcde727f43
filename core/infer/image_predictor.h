// image_predictor.h: an image classifier (a ViT or ResNet Hugging Face
// folder) run over images, each preprocessed as its preprocessor_config.json
// says, with the same Predictions as text classification.
#pragma once

#include "infer/predictor.h"
#include "vision/image_processor.h"
#include "vision/rgb_image.h"

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace ft {

class ImagePredictor {
public:
    // Loads `folder` (config.json model_type "vit" or "resnet"); `options`'
    // device and threads apply, its batch size splits predict()'s images.
    // Throws ft::Error naming the file at fault, Incompatible for another model type.
    ImagePredictor(const std::filesystem::path &folder, const PredictorOptions &options);
    ~ImagePredictor();

    // True when `folder`'s config.json names an image classifier this class runs.
    static bool handles(const std::filesystem::path &folder);

    const std::vector<std::string> &labelNames() const;
    std::string deviceName() const;
    const ImageProcessorConfig &processor() const;
    Predictions predict(const std::vector<RgbImage> &images, const PredictProgress &progress = {});
    // Images already at the model's input size (resizeForModel's output): only
    // rescaled and normalised. For views that edit the model's input, such as
    // the occlusion map.
    Predictions predictResized(const std::vector<RgbImage> &images, const PredictProgress &progress = {});

private:
    struct Impl;
    std::unique_ptr<Impl> mImpl;
};

} // namespace ft
