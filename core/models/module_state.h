// module_state.h: a LibTorch module's parameters and buffers under their
// registered names (Hugging Face's, for the vision models), loaded from and
// gathered into TensorMaps. Used by model families whose checkpoint keys are
// exactly their module paths.
#pragma once

#include "models/tensor_map.h"

#include <torch/nn/module.h>

#include <nlohmann/json_fwd.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace ft {

// Copies `tensors` into `module`. Every parameter and buffer must be there
// with its shape: otherwise ft::Error (InvalidInput) naming `source` and the
// tensor, and nothing is written. Returns the names the module does not
// have (transformers ignores those the same way, with a warning).
std::vector<std::string> loadModuleState(torch::nn::Module &module, const TensorMap &tensors,
                                         const std::string &source);

// "[3, 4]": a tensor shape for messages.
std::string shapeText(at::IntArrayRef sizes);

// Parameters and buffers on the CPU, contiguous; floating-point ones as `floatType`.
TensorMap moduleState(const torch::nn::Module &module, at::ScalarType floatType = at::kFloat);

// loadModuleState for a whole model: a tensor the module lacks is an error
// naming it and `architecture` (a LoRA checkpoint on a model without LoRA).
void loadWholeModuleState(torch::nn::Module &module, const TensorMap &tensors, const std::string &source,
                          const std::string &architecture);

// A Hugging Face folder of `module`: model.safetensors and `config`
// (torch_dtype float32) as config.json, each written atomically.
void saveModuleFolder(const torch::nn::Module &module, nlohmann::json config, const std::filesystem::path &folder);

} // namespace ft
