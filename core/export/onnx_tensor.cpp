// onnx_tensor.cpp: tensor <-> TensorProto conversion. ONNX stores raw_data
// little-endian; so does every machine LibTorch runs on here.
#include "export/onnx_tensor.h"

#include "common/error.h"

#include <ATen/Functions.h>

#include <bit>
#include <cstring>

namespace ft {

static_assert(std::endian::native == std::endian::little, "ONNX raw_data is little-endian");

namespace {

using DataType = onnx::TensorProto_DataType;

std::int64_t elementCount(const onnx::TensorProto &proto)
{
    std::int64_t count = 1;
    for (const std::int64_t dim : proto.dims()) {
        if (dim < 0)
            throw Error(ErrorKind::InvalidInput, "ONNX tensor '" + proto.name() + "' has a negative dimension");
        count *= dim;
    }
    return count;
}

// Copies a repeated typed field (float_data, int32_data, ...) into a tensor of `type`.
template <typename Field>
at::Tensor fromField(const Field &field, at::ScalarType fieldType, at::ScalarType type)
{
    const at::Tensor values = at::empty({std::int64_t(field.size())}, fieldType);
    if (field.size() > 0)
        std::memcpy(values.data_ptr(), field.data(), std::size_t(field.size()) * values.element_size());
    return values.to(type);
}

} // namespace

int onnxElementType(at::ScalarType type)
{
    switch (type) {
    case at::kFloat: return onnx::TensorProto_DataType_FLOAT;
    case at::kDouble: return onnx::TensorProto_DataType_DOUBLE;
    case at::kLong: return onnx::TensorProto_DataType_INT64;
    case at::kInt: return onnx::TensorProto_DataType_INT32;
    case at::kChar: return onnx::TensorProto_DataType_INT8;
    case at::kByte: return onnx::TensorProto_DataType_UINT8;
    default: break;
    }
    throw Error(ErrorKind::Incompatible, std::string("no ONNX element type for ") + c10::toString(type));
}

at::ScalarType scalarTypeOfOnnx(int elementType, const std::string &what)
{
    switch (elementType) {
    case onnx::TensorProto_DataType_FLOAT: return at::kFloat;
    case onnx::TensorProto_DataType_DOUBLE: return at::kDouble;
    case onnx::TensorProto_DataType_INT64: return at::kLong;
    case onnx::TensorProto_DataType_INT32: return at::kInt;
    case onnx::TensorProto_DataType_INT8: return at::kChar;
    case onnx::TensorProto_DataType_UINT8: return at::kByte;
    default: break;
    }
    const std::string name = onnx::TensorProto_DataType_IsValid(elementType)
                                 ? onnx::TensorProto_DataType_Name(DataType(elementType))
                                 : std::to_string(elementType);
    throw Error(ErrorKind::Incompatible, "unsupported ONNX element type " + name + " for " + what);
}

void toTensorProto(const at::Tensor &tensor, const std::string &name, onnx::TensorProto &proto)
{
    const at::Tensor values = tensor.detach().to(at::kCPU).contiguous();
    proto.set_name(name);
    proto.set_data_type(onnxElementType(values.scalar_type()));
    for (const std::int64_t dim : values.sizes())
        proto.add_dims(dim);
    proto.set_raw_data(values.data_ptr(), values.numel() * values.element_size());
}

at::Tensor fromTensorProto(const onnx::TensorProto &proto)
{
    const std::string what = "ONNX tensor '" + proto.name() + "'";
    if (proto.data_location() == onnx::TensorProto_DataLocation_EXTERNAL)
        throw Error(ErrorKind::Incompatible, what + " is stored in an external file, which is not supported");
    const at::ScalarType type = scalarTypeOfOnnx(proto.data_type(), what);
    const std::vector<std::int64_t> shape(proto.dims().begin(), proto.dims().end());
    const std::int64_t count = elementCount(proto);

    at::Tensor tensor;
    if (proto.has_raw_data()) {
        tensor = at::empty(shape, type);
        if (std::int64_t(proto.raw_data().size()) != count * tensor.element_size())
            throw Error(ErrorKind::InvalidInput, what + " has " + std::to_string(proto.raw_data().size()) +
                                                     " bytes of data for " + std::to_string(count) + " elements");
        std::memcpy(tensor.data_ptr(), proto.raw_data().data(), proto.raw_data().size());
        return tensor;
    }
    switch (proto.data_type()) {
    case onnx::TensorProto_DataType_FLOAT: tensor = fromField(proto.float_data(), at::kFloat, type); break;
    case onnx::TensorProto_DataType_DOUBLE: tensor = fromField(proto.double_data(), at::kDouble, type); break;
    case onnx::TensorProto_DataType_INT64: tensor = fromField(proto.int64_data(), at::kLong, type); break;
    default: tensor = fromField(proto.int32_data(), at::kInt, type); break; // int32, int8, uint8
    }
    if (tensor.numel() != count)
        throw Error(ErrorKind::InvalidInput, what + " has " + std::to_string(tensor.numel()) + " values for " +
                                                 std::to_string(count) + " elements");
    return tensor.view(shape);
}

} // namespace ft
