// pytorch_bin.h: pytorch_model.bin as torch.save writes it (a zip archive of
// a pickled state dict plus one record per storage), read without running
// Python: only the pickle operations and classes a state dict uses are known.
#pragma once

#include "models/tensor_map.h"

#include <c10/core/ScalarType.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace ft {

// A tensor as the pickle describes it, before any storage is read.
struct PytorchBinEntry {
    std::string name;
    at::ScalarType dtype = at::kFloat;
    std::vector<std::int64_t> shape;
};

// The state dict's names, dtypes and shapes (reads only the pickle).
std::vector<PytorchBinEntry> readPytorchBinEntries(const std::filesystem::path &file);

// Every tensor, contiguous; floating-point ones converted to `floatType`
// (at::ScalarType::Undefined keeps each in its stored dtype, for conversion).
// Legacy (pre-zip) files and anything but a flat {name: tensor} dict are refused.
// Callers outside models/pickle_checkpoint.cpp and tests go through that
// file's consent rule: a pickle is read only when the user agreed.
TensorMap loadPytorchBin(const std::filesystem::path &file, at::ScalarType floatType = at::kFloat);

} // namespace ft
