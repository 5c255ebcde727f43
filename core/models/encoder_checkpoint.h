// encoder_checkpoint.h: the weights of a text encoder's checkpoint folder
// into a classifier whose parameters carry Hugging Face's names (DistilBERT,
// RoBERTa): the classifier's own checkpoints as they are, base checkpoints
// (the encoder's keys without its prefix) and other heads' checkpoints
// (masked LM, ...) with the head started afresh, as from_pretrained does.
#pragma once

#include "models/load_report.h"

#include <torch/nn/module.h>

#include <filesystem>
#include <string>
#include <vector>

namespace ft {

struct EncoderLayout {
    std::string base;                     // the encoder's module: "distilbert."
    std::vector<std::string> baseModules; // its children, as a base checkpoint names them: "embeddings.", ...
    std::vector<std::string> head;        // the classification head's modules: "pre_classifier.", "classifier."
};

// Reads the folder's weights into `model`, whose head must already hold fresh
// values: a head the checkpoint lacks, or one of another shape (another
// number of classes), keeps them and is listed in `initialized`. Tensors of
// other modules (lm_head, a pooler the classifier has no use for) are listed
// in `unexpected`. ft::Error naming the file and tensor when an encoder
// tensor is missing or misshapen; then nothing is written.
LoadReport loadEncoderCheckpoint(torch::nn::Module &model, const std::filesystem::path &folder,
                                 const EncoderLayout &layout);

} // namespace ft
