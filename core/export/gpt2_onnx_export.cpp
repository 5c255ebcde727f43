// gpt2_onnx_export.cpp
#include "export/gpt2_onnx_export.h"

#include "common/error.h"
#include "export/onnx_graph_builder.h"
#include "export/onnx_model_file.h"
#include "models/lora.h"

#include <ATen/Functions.h>
#include <c10/core/GradMode.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <limits>
#include <map>

namespace ft {

namespace {

class Gpt2GraphWriter {
public:
    Gpt2GraphWriter(const Gpt2ForSequenceClassificationImpl &model, OnnxGraphBuilder &graph)
        : mConfig(model.config()), mGraph(graph)
    {
        for (const auto &item : model.named_parameters())
            mParameters.emplace(item.key(), item.value());
    }

    void write()
    {
        addTextClassifierInputs(mGraph);
        const std::string ids = "input_ids";
        const std::string length = mGraph.add("Shape", "/transformer/Shape", {ids},
                                              {{"start", std::int64_t(1)}, {"end", std::int64_t(2)}});
        const auto upTo = [&](const std::string &name, const std::string &table, std::int64_t axis) {
            return mGraph.add("Slice", name, {table, mGraph.int64Vector({0}), length, mGraph.int64Vector({axis})});
        };
        std::string x = mGraph.add(
            "Add", "/transformer/Add",
            {mGraph.add("Gather", "/transformer/wte/Gather", {parameter("transformer.wte.weight"), ids}),
             upTo("/transformer/wpe/Slice", parameter("transformer.wpe.weight"), 0)});

        // Which keys each query may attend: the causal table's [L, L] corner times the padding
        // mask, then one additive mask (a single lowest value, as gpt2_model.cpp fills).
        const std::int64_t n = mConfig.nPositions;
        const std::string table = mGraph.addInitializer("causal_mask", at::ones({n, n}, at::kFloat).tril());
        const std::string causal = upTo("/transformer/causal/Slice_1", upTo("/transformer/causal/Slice", table, 0), 1);
        const std::string padding = mGraph.add(
            "Unsqueeze", "/transformer/Unsqueeze",
            {mGraph.add("Cast", "/transformer/Cast", {"attention_mask"},
                        {{"to", std::int64_t(onnx::TensorProto_DataType_FLOAT)}}),
             mGraph.int64Vector({1, 2})});
        const std::string allowed = mGraph.add("Mul", "/transformer/Mul", {causal, padding});
        mMask = mGraph.add("Mul", "/transformer/Mul_1",
                           {mGraph.add("Sub", "/transformer/Sub", {mGraph.floatScalar(1.0f), allowed}),
                            mGraph.floatScalar(std::numeric_limits<float>::lowest())});

        for (std::int64_t i = 0; i < mConfig.nLayer; ++i)
            x = block("transformer.h." + std::to_string(i), x);
        x = layerNorm("transformer.ln_f", x);

        // The last token that is not padding: ArgMax over position x (id != pad).
        const std::string real = mGraph.add(
            "Cast", "/score/Cast",
            {mGraph.add("Not", "/score/Not",
                        {mGraph.add("Equal", "/score/Equal", {ids, mGraph.int64Scalar(*mConfig.padTokenId)})})},
            {{"to", std::int64_t(onnx::TensorProto_DataType_INT64)}});
        const std::string positions =
            upTo("/score/Slice", mGraph.addInitializer("positions", at::arange(n, at::kLong)), 0);
        const std::string last = mGraph.add("ArgMax", "/score/ArgMax",
                                            {mGraph.add("Mul", "/score/Mul", {positions, real})},
                                            {{"axis", std::int64_t(1)}, {"keepdims", std::int64_t(1)}});
        const std::string index = mGraph.add(
            "Expand", "/score/Expand",
            {mGraph.add("Unsqueeze", "/score/Unsqueeze", {last, mGraph.int64Vector({2})}),
             mGraph.int64Vector({1, 1, mConfig.nEmbd})});
        const std::string pooled = mGraph.add(
            "Reshape", "/score/Reshape",
            {mGraph.add("GatherElements", "/score/GatherElements", {x, index}, {{"axis", std::int64_t(1)}}),
             mGraph.int64Vector({0, mConfig.nEmbd})});
        const std::string logits = mGraph.add("Gemm", "/score/Gemm", {pooled, parameter("score.weight")},
                                              {{"transB", std::int64_t(1)}});
        mGraph.renameOutput(logits, "logits");
        mGraph.addOutput("logits", onnx::TensorProto_DataType_FLOAT, {{-1, "batch"}, {mConfig.numLabels(), ""}});
    }

private:
    std::string block(const std::string &m, const std::string &x)
    {
        const std::int64_t n = mConfig.nEmbd, heads = mConfig.nHead, headDim = mConfig.headDim();
        const std::string a = m + ".attn";
        const std::string qkv = conv1d(a + ".c_attn", layerNorm(m + ".ln_1", x));
        const std::string splitShape = mGraph.int64Vector({0, 0, heads, headDim});
        const auto part = [&](int index, const char *name, std::vector<std::int64_t> perm) {
            const std::string p = a + "/" + name;
            const std::string slice = mGraph.add("Slice", onnxNodeName(p, "Slice"),
                                                 {qkv, mGraph.int64Vector({index * n}),
                                                  mGraph.int64Vector({(index + 1) * n}), mGraph.int64Vector({2})});
            const std::string split = mGraph.add("Reshape", onnxNodeName(p, "Reshape"), {slice, splitShape});
            return mGraph.add("Transpose", onnxNodeName(p, "Transpose"), {split}, {{"perm", std::move(perm)}});
        };
        const std::string query = part(0, "query", {0, 2, 1, 3});
        const std::string keyT = part(1, "key", {0, 2, 3, 1});
        const std::string value = part(2, "value", {0, 2, 1, 3});
        const std::string scores = mGraph.add(
            "Div", onnxNodeName(a, "Div"),
            {mGraph.add("MatMul", onnxNodeName(a, "MatMul"), {query, keyT}),
             mGraph.floatScalar(float(std::sqrt(double(headDim))))});
        const std::string probs = mGraph.add("Softmax", onnxNodeName(a, "Softmax"),
                                             {mGraph.add("Add", onnxNodeName(a, "Add"), {scores, mMask})},
                                             {{"axis", std::int64_t(-1)}});
        const std::string context = mGraph.add(
            "Reshape", onnxNodeName(a, "Reshape"),
            {mGraph.add("Transpose", onnxNodeName(a, "Transpose"),
                        {mGraph.add("MatMul", onnxNodeName(a, "MatMul_1"), {probs, value})},
                        {{"perm", std::vector<std::int64_t>{0, 2, 1, 3}}}),
             mGraph.int64Vector({0, 0, n})});
        const std::string attended =
            mGraph.add("Add", onnxNodeName(m, "Add"), {x, conv1d(a + ".c_proj", context)});
        const std::string inner = onnxActivation(mGraph, mConfig.activation, m + ".mlp",
                                                 conv1d(m + ".mlp.c_fc", layerNorm(m + ".ln_2", attended)));
        return mGraph.add("Add", onnxNodeName(m, "Add_1"), {attended, conv1d(m + ".mlp.c_proj", inner)});
    }

    // transformers' Conv1D: x @ weight + bias, the weight stored [in, out].
    std::string conv1d(const std::string &m, const std::string &x)
    {
        const std::string product = mGraph.add("MatMul", onnxNodeName(m, "MatMul"), {x, parameter(m + ".weight")});
        return mGraph.add("Add", onnxNodeName(m, "Add"), {product, parameter(m + ".bias")});
    }

    std::string layerNorm(const std::string &m, const std::string &x)
    {
        return mGraph.add("LayerNormalization", onnxNodeName(m, "LayerNormalization"),
                          {x, parameter(m + ".weight"), parameter(m + ".bias")},
                          {{"axis", std::int64_t(-1)}, {"epsilon", float(mConfig.layerNormEpsilon)}});
    }

    std::string parameter(const std::string &name)
    {
        if (!mWritten.contains(name)) {
            const auto found = mParameters.find(name);
            if (found == mParameters.end())
                throw Error(ErrorKind::Internal, "the model has no parameter " + name);
            mGraph.addInitializer(name, found->second.detach().to(at::kCPU, at::kFloat).contiguous());
            mWritten.insert(name);
        }
        return name;
    }

    const Gpt2Config &mConfig;
    OnnxGraphBuilder &mGraph;
    std::map<std::string, at::Tensor> mParameters;
    std::set<std::string> mWritten;
    std::string mMask;
};

} // namespace

OnnxExportReport writeGpt2Onnx(const Gpt2ForSequenceClassificationImpl &model, const std::filesystem::path &file,
                               const OnnxExportOptions &options)
{
    if (hasLora(model))
        throw Error(ErrorKind::InvalidInput, "cannot export a model with LoRA branches to ONNX: merge them into the "
                                             "weights first (merge the adapter, then export)");
    if (options.quantizeInt8)
        throw Error(ErrorKind::Incompatible, "int8 ONNX export of GPT2ForSequenceClassification is not built yet; "
                                             "export onnx (float32)");
    c10::NoGradGuard noGrad;
    onnx::ModelProto proto;
    onnx::GraphProto &graphProto =
        startOnnxModel(proto, options.opset, "GPT2ForSequenceClassification fine-tuned with Finetune Studio",
                       "GPT2ForSequenceClassification");
    OnnxGraphBuilder graph(graphProto);
    Gpt2GraphWriter(model, graph).write();
    const Gpt2Config &config = model.config();
    nlohmann::ordered_json id2label = nlohmann::ordered_json::object();
    for (std::size_t i = 0; i < config.id2label.size(); ++i)
        id2label[std::to_string(i)] = config.id2label[i];
    addOnnxMetadata(proto, "id2label", id2label.dump());
    addOnnxMetadata(proto, "config", config.toJson().dump());
    OnnxExportReport report;
    report.bytes = writeOnnxModel(proto, file);
    report.opset = options.opset;
    return report;
}

} // namespace ft
