// tensor_map.h: a checkpoint's tensors by name, the currency between the
// file readers (safetensors, pytorch_model.bin) and the model loader.
#pragma once

#include <ATen/core/Tensor.h>

#include <map>
#include <string>

namespace ft {

// Ordered by name, so iterating it (and writing it) is deterministic.
using TensorMap = std::map<std::string, at::Tensor>;

} // namespace ft
