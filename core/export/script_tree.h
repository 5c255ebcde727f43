// script_tree.h: TorchScript exports built as a copy of a LibTorch module
// tree (so state_dict() keys are Hugging Face's) with one forward written
// out on the root, and the snippets such forwards are made of.
#pragma once

#include <torch/nn/module.h>

#include <cstdint>
#include <filesystem>
#include <string>

namespace ft {

// "vit.encoder.layer.0.attention" -> getattr(self.vit.encoder.layer, "0").attention: list indices
// are attributes that are not identifiers.
std::string scriptPath(const std::string &dotted);
// torch.linear(x, <m>.weight, <m>.bias), or None for the bias.
std::string scriptLinear(const std::string &x, const std::string &module, bool bias = true);
std::string scriptLayerNorm(const std::string &x, const std::string &module, std::int64_t width, double eps);

// Copies `model` (float32 CPU copies of every parameter and buffer, each
// module its own class type, the root named `architecture`), defines
// `forward` on the root and saves it to `file` atomically. ft::Error: Internal
// when the forward does not compile, Io when the file cannot be written.
void writeScriptTree(const torch::nn::Module &model, const std::string &architecture, const std::string &forward,
                     const std::filesystem::path &file);

} // namespace ft
