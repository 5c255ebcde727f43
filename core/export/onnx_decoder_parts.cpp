// onnx_decoder_parts.cpp
#include "export/onnx_decoder_parts.h"

#include "common/error.h"
#include "export/onnx_graph_builder.h"
#include "export/onnx_model_file.h"
#include "models/lora.h"

#include <ATen/Functions.h>
#include <c10/core/GradMode.h>
#include <nlohmann/json.hpp>
#include <torch/nn/module.h>

#include <limits>

namespace ft {

OnnxWeights::OnnxWeights(const torch::nn::Module &model, OnnxGraphBuilder &graph) : mGraph(graph)
{
    for (const auto &item : model.named_parameters())
        mParameters.emplace(item.key(), item.value());
}

at::Tensor OnnxWeights::tensorOf(const std::string &name) const
{
    const auto found = mParameters.find(name);
    if (found == mParameters.end())
        throw Error(ErrorKind::Internal, "the model has no parameter " + name);
    return found->second.detach().to(at::kCPU, at::kFloat);
}

std::string OnnxWeights::operator()(const std::string &name)
{
    if (mWritten.insert(name).second)
        mGraph.addInitializer(name, tensorOf(name).contiguous());
    return name;
}

std::string OnnxWeights::transposed(const std::string &name)
{
    const std::string transposedName = name + ".T";
    if (mWritten.insert(transposedName).second)
        mGraph.addInitializer(transposedName, tensorOf(name).t().contiguous());
    return transposedName;
}

std::string addInputLength(OnnxGraphBuilder &graph, const std::string &scope)
{
    return graph.add("Shape", scope + "/Shape", {"input_ids"}, {{"start", std::int64_t(1)}, {"end", std::int64_t(2)}});
}

std::string sliceToLength(OnnxGraphBuilder &graph, const std::string &name, const std::string &table,
                          const std::string &length, std::int64_t axis)
{
    return graph.add("Slice", name, {table, graph.int64Vector({0}), length, graph.int64Vector({axis})});
}

std::string addCausalPaddingMask(OnnxGraphBuilder &graph, const std::string &scope, const std::string &length,
                                 std::int64_t positions)
{
    // The causal table's [L, L] corner times the padding mask, then one additive mask.
    const std::string table = graph.addInitializer("causal_mask", at::ones({positions, positions}, at::kFloat).tril());
    const std::string causal = sliceToLength(graph, scope + "/causal/Slice_1",
                                             sliceToLength(graph, scope + "/causal/Slice", table, length, 0), length, 1);
    const std::string padding = graph.add(
        "Unsqueeze", scope + "/Unsqueeze",
        {graph.add("Cast", scope + "/Cast", {"attention_mask"}, {{"to", std::int64_t(onnx::TensorProto_DataType_FLOAT)}}),
         graph.int64Vector({1, 2})});
    const std::string allowed = graph.add("Mul", scope + "/Mul", {causal, padding});
    return graph.add("Mul", scope + "/Mul_1",
                     {graph.add("Sub", scope + "/Sub", {graph.floatScalar(1.0f), allowed}),
                      graph.floatScalar(std::numeric_limits<float>::lowest())});
}

void addLastTokenLogits(OnnxGraphBuilder &graph, const std::string &x, const std::string &length, std::int64_t padId,
                        std::int64_t hidden, std::int64_t positions, std::int64_t labels, const std::string &scoreWeight)
{
    // ArgMax over position x (id != pad), then that row of each sequence.
    const std::string real = graph.add(
        "Cast", "/score/Cast",
        {graph.add("Not", "/score/Not", {graph.add("Equal", "/score/Equal", {"input_ids", graph.int64Scalar(padId)})})},
        {{"to", std::int64_t(onnx::TensorProto_DataType_INT64)}});
    const std::string index =
        sliceToLength(graph, "/score/Slice", graph.addInitializer("positions", at::arange(positions, at::kLong)), length, 0);
    const std::string last = graph.add("ArgMax", "/score/ArgMax", {graph.add("Mul", "/score/Mul", {index, real})},
                                       {{"axis", std::int64_t(1)}, {"keepdims", std::int64_t(1)}});
    const std::string gather = graph.add(
        "Expand", "/score/Expand",
        {graph.add("Unsqueeze", "/score/Unsqueeze", {last, graph.int64Vector({2})}), graph.int64Vector({1, 1, hidden})});
    const std::string pooled = graph.add(
        "Reshape", "/score/Reshape",
        {graph.add("GatherElements", "/score/GatherElements", {x, gather}, {{"axis", std::int64_t(1)}}),
         graph.int64Vector({0, hidden})});
    const std::string logits = graph.add("Gemm", "/score/Gemm", {pooled, scoreWeight}, {{"transB", std::int64_t(1)}});
    graph.renameOutput(logits, "logits");
    graph.addOutput("logits", onnx::TensorProto_DataType_FLOAT, {{-1, "batch"}, {labels, ""}});
}

OnnxExportReport writeDecoderOnnx(const torch::nn::Module &model, const std::string &architecture,
                                  const std::vector<std::string> &id2label, const nlohmann::json &config,
                                  const std::filesystem::path &file, const OnnxExportOptions &options,
                                  const std::function<void(OnnxGraphBuilder &)> &write)
{
    if (hasLora(model))
        throw Error(ErrorKind::InvalidInput, "cannot export a model with LoRA branches to ONNX: merge them into the "
                                             "weights first (merge the adapter, then export)");
    if (options.quantizeInt8)
        throw Error(ErrorKind::Incompatible, "int8 ONNX export of " + architecture + " is not built yet; export onnx "
                                                                                    "(float32)");
    c10::NoGradGuard noGrad;
    onnx::ModelProto proto;
    onnx::GraphProto &graphProto =
        startOnnxModel(proto, options.opset, architecture + " fine-tuned with Finetune Studio", architecture);
    OnnxGraphBuilder graph(graphProto);
    addTextClassifierInputs(graph);
    write(graph);
    nlohmann::ordered_json labels = nlohmann::ordered_json::object();
    for (std::size_t i = 0; i < id2label.size(); ++i)
        labels[std::to_string(i)] = id2label[i];
    addOnnxMetadata(proto, "id2label", labels.dump());
    addOnnxMetadata(proto, "config", config.dump());
    OnnxExportReport report;
    report.bytes = writeOnnxModel(proto, file);
    report.opset = options.opset;
    return report;
}

} // namespace ft
