// vision_classifier.h: ViTForImageClassification and
// ResNetForImageClassification behind the Classifier interface, each with
// the image processor that turns images into its pixel values.
#pragma once

#include "models/classifier.h"
#include "models/resnet_model.h"
#include "models/vit_model.h"

#include <filesystem>
#include <vector>

namespace ft {

ClassifierPtr makeVitClassifier(VitForImageClassification model, ImageProcessorConfig processor);
// The module behind an image classifier (for the exports), or null for another family.
const VitForImageClassificationImpl *vitOf(const Classifier &model);
const ResNetForImageClassificationImpl *resNetOf(const Classifier &model);
ClassifierPtr makeResNetClassifier(ResNetForImageClassification model, ImageProcessorConfig processor);

// A vision folder (model_type "vit" or "resnet") as a classifier in eval mode.
// With new labels whose number differs from the checkpoint's head, the head
// starts afresh and its tensor names are listed in `initialised`.
ClassifierPtr loadVisionClassifier(const std::filesystem::path &folder, const ClassifierOptions &options,
                                   std::vector<std::string> *initialised = nullptr);

// A randomly initialised classifier for a config.json of model_type "vit" or
// "resnet" (training from scratch). Its image processor is the
// preprocessor_config.json beside the config when there is one, else a
// resize to the model's input size with mean and std 0.5.
ClassifierPtr makeScratchVisionClassifier(const std::filesystem::path &configFile,
                                          const ClassifierOptions &options);

// The height and width of the pixel values `processor` makes (a fixed size is
// what training batches need); ft::Error (Incompatible) when they depend on
// the image (a shortest-edge resize without a crop).
std::pair<int, int> processorOutputSize(const ImageProcessorConfig &processor, const std::string &source);

} // namespace ft
