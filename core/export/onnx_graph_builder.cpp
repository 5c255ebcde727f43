// onnx_graph_builder.cpp: the protobuf bookkeeping behind OnnxGraphBuilder.
#include "export/onnx_graph_builder.h"

#include "common/error.h"
#include "export/onnx_tensor.h"

#include <ATen/Functions.h>

#include <cstdio>

namespace ft {

namespace {

void setValueInfo(onnx::ValueInfoProto &info, const std::string &name, int elementType,
                  const std::vector<OnnxDim> &dims)
{
    info.set_name(name);
    onnx::TypeProto_Tensor *tensorType = info.mutable_type()->mutable_tensor_type();
    tensorType->set_elem_type(elementType);
    onnx::TensorShapeProto *shape = tensorType->mutable_shape();
    for (const OnnxDim &dim : dims) {
        onnx::TensorShapeProto_Dimension *d = shape->add_dim();
        if (dim.param.empty())
            d->set_dim_value(dim.size);
        else
            d->set_dim_param(dim.param);
    }
}

void setAttribute(onnx::AttributeProto &proto, const OnnxAttribute &attribute)
{
    proto.set_name(attribute.name);
    if (const auto *i = std::get_if<std::int64_t>(&attribute.value)) {
        proto.set_type(onnx::AttributeProto_AttributeType_INT);
        proto.set_i(*i);
    } else if (const auto *f = std::get_if<float>(&attribute.value)) {
        proto.set_type(onnx::AttributeProto_AttributeType_FLOAT);
        proto.set_f(*f);
    } else {
        proto.set_type(onnx::AttributeProto_AttributeType_INTS);
        for (const std::int64_t value : std::get<std::vector<std::int64_t>>(attribute.value))
            proto.add_ints(value);
    }
}

} // namespace

void OnnxGraphBuilder::addInput(const std::string &name, int elementType, const std::vector<OnnxDim> &dims)
{
    setValueInfo(*mGraph.add_input(), name, elementType, dims);
}

void OnnxGraphBuilder::addOutput(const std::string &name, int elementType, const std::vector<OnnxDim> &dims)
{
    setValueInfo(*mGraph.add_output(), name, elementType, dims);
}

std::string OnnxGraphBuilder::addInitializer(const std::string &name, const at::Tensor &tensor)
{
    toTensorProto(tensor, name, *mGraph.add_initializer());
    return name;
}

std::string OnnxGraphBuilder::constant(const std::string &key, const at::Tensor &tensor)
{
    const auto found = mConstants.find(key);
    if (found != mConstants.end())
        return found->second;
    const std::string name = "const." + key;
    mConstants.emplace(key, addInitializer(name, tensor));
    return name;
}

std::string OnnxGraphBuilder::floatScalar(float value)
{
    char key[48];
    std::snprintf(key, sizeof key, "float.%.9g", double(value)); // 9 digits: every float round-trips
    return constant(key, at::scalar_tensor(value, at::kFloat));
}

std::string OnnxGraphBuilder::int64Scalar(std::int64_t value)
{
    return constant("int64." + std::to_string(value), at::scalar_tensor(value, at::kLong));
}

std::string OnnxGraphBuilder::int64Vector(const std::vector<std::int64_t> &values)
{
    std::string key = "int64s";
    for (const std::int64_t value : values)
        key += "." + std::to_string(value);
    return constant(key, at::tensor(values, at::kLong));
}

std::vector<std::string> OnnxGraphBuilder::addNode(const std::string &opType, const std::string &name,
                                                   const std::vector<std::string> &inputs, int outputCount,
                                                   const std::vector<OnnxAttribute> &attributes)
{
    std::string unique = name;
    for (int suffix = 1; !mNodeNames.insert(unique).second; ++suffix)
        unique = name + "_" + std::to_string(suffix);

    onnx::NodeProto *node = mGraph.add_node();
    node->set_op_type(opType);
    node->set_name(unique);
    for (const std::string &input : inputs)
        node->add_input(input);
    std::vector<std::string> outputs;
    for (int i = 0; i < outputCount; ++i) {
        outputs.push_back(unique + "_output_" + std::to_string(i));
        node->add_output(outputs.back());
    }
    for (const OnnxAttribute &attribute : attributes)
        setAttribute(*node->add_attribute(), attribute);
    return outputs;
}

std::string OnnxGraphBuilder::add(const std::string &opType, const std::string &name,
                                  const std::vector<std::string> &inputs, const std::vector<OnnxAttribute> &attributes)
{
    return addNode(opType, name, inputs, 1, attributes).front();
}

void OnnxGraphBuilder::renameOutput(const std::string &from, const std::string &to)
{
    for (int n = mGraph.node_size() - 1; n >= 0; --n) {
        onnx::NodeProto *node = mGraph.mutable_node(n);
        for (int o = 0; o < node->output_size(); ++o) {
            if (node->output(o) == from) {
                node->set_output(o, to);
                return;
            }
        }
    }
    throw Error(ErrorKind::Internal, "no node makes the ONNX value '" + from + "'");
}

} // namespace ft
