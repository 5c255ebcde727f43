// onnx_graph_builder.h: appends nodes, initializers and typed inputs/outputs
// to an ONNX GraphProto, naming values after the node that makes them (as
// torch.onnx.export does: "/bert/pooler/activation/Tanh_output_0") and
// sharing one initializer per constant value. Knows nothing about BERT.
#pragma once

#include <ATen/core/Tensor.h>
#include <onnx/onnx_pb.h>

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <variant>
#include <vector>

namespace ft {

struct OnnxAttribute {
    std::string name;
    std::variant<std::int64_t, float, std::vector<std::int64_t>> value;
};

// One dimension of a graph input or output: a fixed size, or a named dynamic one ("batch").
struct OnnxDim {
    std::int64_t size = -1;
    std::string param;
};

class OnnxGraphBuilder {
public:
    explicit OnnxGraphBuilder(onnx::GraphProto &graph) : mGraph(graph) {}

    void addInput(const std::string &name, int elementType, const std::vector<OnnxDim> &dims);
    void addOutput(const std::string &name, int elementType, const std::vector<OnnxDim> &dims);

    // Stores `tensor` (any device and layout) as the initializer `name`; returns the name.
    std::string addInitializer(const std::string &name, const at::Tensor &tensor);
    // Rank-0 constants and int64 vectors, one initializer per distinct value.
    std::string floatScalar(float value);
    std::string int64Scalar(std::int64_t value);
    std::string int64Vector(const std::vector<std::int64_t> &values);

    // Appends a node and returns its outputs, named "<name>_output_<i>". `name` is made unique.
    std::vector<std::string> addNode(const std::string &opType, const std::string &name,
                                     const std::vector<std::string> &inputs, int outputCount,
                                     const std::vector<OnnxAttribute> &attributes = {});
    // The same for the usual node with one output.
    std::string add(const std::string &opType, const std::string &name, const std::vector<std::string> &inputs,
                    const std::vector<OnnxAttribute> &attributes = {});

    // Renames the value `from` (an output of the last node that made it) to `to`: the graph output's name.
    void renameOutput(const std::string &from, const std::string &to);

private:
    std::string constant(const std::string &key, const at::Tensor &tensor);

    onnx::GraphProto &mGraph;
    std::map<std::string, std::string> mConstants; // value key -> initializer name
    std::set<std::string> mNodeNames;
};

} // namespace ft
