// onnx_tensor.h: LibTorch tensors to ONNX TensorProtos and back, for the
// element types the ONNX export writes (float, int8, uint8, int32, int64).
// Internal to core/export: it includes ONNX's protobuf headers, which need
// the ONNX_ML / ONNX_NAMESPACE definitions core/CMakeLists.txt gives the
// export sources only.
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/ScalarType.h>
#include <onnx/onnx_pb.h>

#include <string>

namespace ft {

// TensorProto.DataType of a scalar type; throws ft::Error (Incompatible) for one the export never writes.
int onnxElementType(at::ScalarType type);
// The scalar type of a TensorProto.DataType; `what` names the tensor or value in the error.
at::ScalarType scalarTypeOfOnnx(int elementType, const std::string &what);

// Fills `proto` with `tensor`'s shape and bytes (raw_data, little-endian, as ONNX requires).
void toTensorProto(const at::Tensor &tensor, const std::string &name, onnx::TensorProto &proto);

// A CPU tensor holding `proto`'s values, from raw_data or the typed fields. Refuses external data and
// element counts that disagree with the shape (ft::Error naming the tensor).
at::Tensor fromTensorProto(const onnx::TensorProto &proto);

} // namespace ft
