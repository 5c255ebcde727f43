// classifier_factory.h: the classifier of a Hugging Face folder or a scratch
// config.json, of whichever family its model_type names: "vit" and "resnet"
// are image classifiers, DistilBERT, RoBERTa, GPT-2 and Llama have their own, anything
// else goes to the BERT loader (which says what it does not support). With
// options.causalLm, the family's causal language model instead.
#pragma once

#include "models/classifier.h"

#include <filesystem>
#include <string>
#include <vector>

namespace ft {

struct LoadedClassifier {
    ClassifierPtr model;                  // in eval mode, on the options' device
    std::vector<std::string> initialised; // tensors not taken from the checkpoint (a new head)
};

// Image or text, from the config.json's model_type; ft::Error naming the file
// when it cannot be read.
InputKind inputKindOf(const std::filesystem::path &configFile);

// A checkpoint folder. With labels of another number than its head's, the
// head starts afresh (listed in `initialised`). Throws ft::Error naming the
// file and tensor at fault.
LoadedClassifier loadClassifier(const std::filesystem::path &folder, const ClassifierOptions &options);

// A randomly initialised classifier of `configFile`'s shape with the
// options' labels: the same seed gives the same weights.
ClassifierPtr makeScratchClassifier(const std::filesystem::path &configFile, const ClassifierOptions &options);

} // namespace ft
