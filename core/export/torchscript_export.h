// torchscript_export.h: a fine-tuned BertForSequenceClassification as a TorchScript file (model.pt)
// that torch.jit.load runs in Python and LibTorch without this project's code. The module is built
// in C++ (no Python at build time) with Hugging Face's module tree, so its state_dict uses HF's names
// (bert.embeddings.word_embeddings.weight, ..., classifier.bias), and its forward is HF's eval-mode
// forward written out in TorchScript for the model's config.
#pragma once

#include "models/bert_model.h"

#include <ATen/core/Tensor.h>
#include <torch/csrc/jit/api/module.h>

#include <filesystem>

namespace ft {

// Writes `file` atomically: a TorchScript module whose
//   forward(input_ids, attention_mask, token_type_ids)   int64 [batch, sequence] each
// returns float32 logits [batch, num_labels], equal to the model's eval-mode forward. Submodules
// carry forward methods too (model.bert(...) returns (last_hidden_state, pooled_output)). The file
// holds float32 CPU weights (detached copies, requires_grad off) whatever the model's dtype and
// device. Throws ft::Error: InvalidInput for a model with LoRA branches (merge them first),
// Io when the file cannot be written (then no partial file is left and an existing one is kept).
void writeTorchScript(const BertForSequenceClassificationImpl &model, const std::filesystem::path &file);

// A .pt with that forward, loaded on the CPU: the post-export check and prediction.
class TorchScriptClassifier {
public:
    // ft::Error naming the file: NotFound when it does not exist, InvalidInput when it is not a
    // TorchScript module with a forward method.
    explicit TorchScriptClassifier(const std::filesystem::path &file);

    // float32 logits [batch, num_labels], computed without autograd. Inputs are int64
    // [batch, sequence] on the CPU. ft::Error (InvalidInput) naming the file when the module refuses them.
    at::Tensor logits(const at::Tensor &inputIds, const at::Tensor &attentionMask, const at::Tensor &tokenTypeIds);

    const std::filesystem::path &file() const { return mFile; }

private:
    std::filesystem::path mFile;
    torch::jit::Module mModule;
};

} // namespace ft
