// safetensors.h: safetensors files as tensors: single files (memory-mapped),
// sharded checkpoints through model.safetensors.index.json, and the writer.
#pragma once

#include "models/tensor_map.h"

#include <c10/core/ScalarType.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace ft {

namespace safetensors {
enum class Dtype;
}

// The LibTorch type of a safetensors dtype.
at::ScalarType scalarTypeOf(safetensors::Dtype dtype);

// Floating-point tensors (F16, BF16, F32, F64) come back as `floatType`;
// integer and bool tensors keep their type. Tensors that need no conversion
// share the file's mapping (copy-on-write) rather than being copied.
TensorMap loadSafetensors(const std::filesystem::path &file, at::ScalarType floatType = at::kFloat);

// Reads every shard named by a model.safetensors.index.json; checks that each
// tensor is in the shard the index names and in no other.
// `shards`, when given, receives the shard files read.
TensorMap loadShardedSafetensors(const std::filesystem::path &indexFile, at::ScalarType floatType = at::kFloat,
                                 std::vector<std::filesystem::path> *shards = nullptr);

// Writes each tensor in its own dtype (convert first for F16/BF16), atomically.
void saveSafetensors(const std::filesystem::path &file, const TensorMap &tensors,
                     const std::map<std::string, std::string> &metadata = {{"format", "pt"}});

} // namespace ft
