// onnx_ops.h: OnnxRunner's kernels, one per ai.onnx op the exports emit,
// each following the ONNX operator specification (opset 17 and later).
// Internal to core/export (includes ONNX's protobuf headers).
#pragma once

#include <ATen/core/Tensor.h>
#include <onnx/onnx_pb.h>

#include <string>
#include <vector>

namespace ft {

// `inputs` in the node's order, an undefined tensor for an omitted optional input; returns one
// tensor per node output. Throws ft::Error or c10::Error; the runner adds the node's name.
using OnnxKernel = std::vector<at::Tensor> (*)(const onnx::NodeProto &node, const std::vector<at::Tensor> &inputs);

// The kernel of an op of the default domain, or nullptr when the runner does not implement it.
OnnxKernel findOnnxKernel(const std::string &opType);

} // namespace ft
