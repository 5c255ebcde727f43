// onnx_model_file.h: what every ONNX export shares: the ModelProto's header
// (producer, opset, the IR version that goes with it), metadata entries, and
// the file written whole or not at all.
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <filesystem>
#include <string>

namespace ft {

inline constexpr int kMinOnnxOpset = 17; // LayerNormalization
inline constexpr int kMaxOnnxOpset = 21;

// Fills `proto`'s header and returns its graph, named `graphName`. Throws
// ft::Error (InvalidInput) for an opset outside kMinOnnxOpset..kMaxOnnxOpset.
onnx::GraphProto &startOnnxModel(onnx::ModelProto &proto, int opset, const std::string &docString,
                                 const std::string &graphName);
void addOnnxMetadata(onnx::ModelProto &proto, const std::string &key, const std::string &value);
// Serialises `proto` into `file` atomically; returns its size. Throws
// ft::Error: Incompatible over 2 GiB (ONNX's external data is not written),
// Io when the file cannot be written.
std::int64_t writeOnnxModel(const onnx::ModelProto &proto, const std::filesystem::path &file);

} // namespace ft
