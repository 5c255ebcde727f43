// torchscript_export.h: a fine-tuned BertForSequenceClassification as a TorchScript file (model.pt)
// that torch.jit.load runs in Python and LibTorch without this project's code. The module is built
// in C++ (no Python at build time) with Hugging Face's module tree, so its state_dict uses HF's names
// (bert.embeddings.word_embeddings.weight, ..., classifier.bias), and its forward is HF's eval-mode
// forward written out in TorchScript for the model's config.
#pragma once

#include "models/bert_model.h"

#include <ATen/core/Tensor.h>
#include <torch/csrc/jit/api/module.h>
#include <torch/csrc/jit/frontend/resolver.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace ft {

// Writes `file` atomically: a TorchScript module whose
//   forward(input_ids, attention_mask, token_type_ids)   int64 [batch, sequence] each
// returns float32 logits [batch, num_labels], equal to the model's eval-mode forward. Submodules
// carry forward methods too (model.bert(...) returns (last_hidden_state, pooled_output)). The file
// holds float32 CPU weights (detached copies, requires_grad off) whatever the model's dtype and
// device. Throws ft::Error: InvalidInput for a model with LoRA branches (merge them first),
// Io when the file cannot be written (then no partial file is left and an existing one is kept).
void writeTorchScript(const BertForSequenceClassificationImpl &model, const std::filesystem::path &file);

// Shared by the TorchScript writers: a resolver that knows Exception, a float literal that parses
// back to the same double, a message without LibTorch's backtrace, and an atomic save (a failed
// write leaves no partial file and keeps an existing one; ft::Error Io names the file).
std::shared_ptr<torch::jit::Resolver> scriptResolver();
std::string scriptFloat(double value);
// The activation of the variable `x` as applyHiddenAct computes it.
std::string scriptActivation(HiddenAct act, const std::string &x);
std::string reasonOf(const std::exception &error);
void saveScriptModule(const torch::jit::Module &module, const std::filesystem::path &file);

// A .pt with that forward (or an image classifier's forward(pixel_values), export/
// vision_torchscript_export.h), loaded on the CPU: the post-export check and prediction.
class TorchScriptClassifier {
public:
    // ft::Error naming the file: NotFound when it does not exist, InvalidInput when it is not a
    // TorchScript module with a forward method.
    explicit TorchScriptClassifier(const std::filesystem::path &file);

    // float32 logits [batch, num_labels], computed without autograd. Inputs are int64
    // [batch, sequence] on the CPU. ft::Error (InvalidInput) naming the file when the module refuses them.
    at::Tensor logits(const at::Tensor &inputIds, const at::Tensor &attentionMask, const at::Tensor &tokenTypeIds);
    // Image classifiers: float32 pixel values [batch, 3, height, width].
    at::Tensor logits(const at::Tensor &pixelValues);

    const std::filesystem::path &file() const { return mFile; }

private:
    at::Tensor forward(std::vector<c10::IValue> inputs);

    std::filesystem::path mFile;
    torch::jit::Module mModule;
};

} // namespace ft
