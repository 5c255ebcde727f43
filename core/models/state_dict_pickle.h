// state_dict_pickle.h: the pickle (data.pkl) of a torch.save'd state dict,
// read by a restricted VM that knows only the operations and classes a state
// dict uses and calls nothing else (unlike Python's pickle). Torch-free: the
// storages themselves are read by models/pytorch_bin.cpp.
#pragma once

#include "models/safetensors_format.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ft {

// One storage record of the archive (data/<key>), as the pickle describes it.
struct PickledStorage {
    std::string key;
    safetensors::Dtype dtype = safetensors::Dtype::F32;
    std::int64_t elements = 0;
};

// A tensor: a strided view of a storage, checked to lie inside it.
struct PickledTensor {
    std::string name;
    PickledStorage storage;
    std::int64_t offset = 0; // in elements
    std::vector<std::int64_t> sizes, strides;
    std::int64_t numel = 0;
    bool contiguous = false; // row-major dense strides
};

// The state dict's tensors in pickle order. Throws ft::Error (InvalidInput),
// naming `file` and the byte at fault, for a malformed pickle, an operation or
// class a state dict does not use, anything but a flat {name: tensor} dict,
// a name given twice, or a view that reaches outside its storage.
std::vector<PickledTensor> parseStateDictPickle(std::string_view pickle, const std::string &file);

} // namespace ft
