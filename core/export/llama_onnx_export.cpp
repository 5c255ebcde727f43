// llama_onnx_export.cpp
#include "export/llama_onnx_export.h"

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
#include <set>

namespace ft {

namespace {

class LlamaGraphWriter {
public:
    LlamaGraphWriter(const LlamaForSequenceClassificationImpl &model, OnnxGraphBuilder &graph, int opset)
        : mConfig(model.config()), mGraph(graph), mOpset(opset)
    {
        for (const auto &item : model.named_parameters())
            mParameters.emplace(item.key(), item.value());
    }

    void write()
    {
        addTextClassifierInputs(mGraph);
        const std::string ids = "input_ids";
        mLength = mGraph.add("Shape", "/model/Shape", {ids}, {{"start", std::int64_t(1)}, {"end", std::int64_t(2)}});
        std::string x = mGraph.add("Gather", "/model/embed_tokens/Gather", {parameter("model.embed_tokens.weight"), ids});

        // The rotary tables of every position, as the model computes them, cut to the input's length.
        const std::int64_t n = mConfig.maxPositionEmbeddings;
        const RotaryTables rope = rotaryTables(at::arange(n, at::kLong).unsqueeze(0), mConfig.headDim(),
                                               mConfig.ropeTheta, at::kFloat);
        mCos = upTo("/model/rotary_emb/Slice", mGraph.addInitializer("rope_cos", rope.cos[0]), 0);
        mSin = upTo("/model/rotary_emb/Slice_1", mGraph.addInitializer("rope_sin", rope.sin[0]), 0);

        // Which keys each query may attend: the causal table's [L, L] corner times the padding mask, then
        // one additive mask of the lowest float, as GPT-2's export makes it.
        const std::string table = mGraph.addInitializer("causal_mask", at::ones({n, n}, at::kFloat).tril());
        const std::string causal = upTo("/model/causal/Slice_1", upTo("/model/causal/Slice", table, 0), 1);
        const std::string padding = mGraph.add(
            "Unsqueeze", "/model/Unsqueeze",
            {mGraph.add("Cast", "/model/Cast", {"attention_mask"}, {{"to", std::int64_t(onnx::TensorProto_DataType_FLOAT)}}),
             mGraph.int64Vector({1, 2})});
        const std::string allowed = mGraph.add("Mul", "/model/Mul", {causal, padding});
        mMask = mGraph.add("Mul", "/model/Mul_1",
                           {mGraph.add("Sub", "/model/Sub", {mGraph.floatScalar(1.0f), allowed}),
                            mGraph.floatScalar(std::numeric_limits<float>::lowest())});

        for (std::int64_t i = 0; i < mConfig.numHiddenLayers; ++i)
            x = layer("model.layers." + std::to_string(i), x);
        x = rmsNorm("model.norm", x);

        // The last token that is not padding: ArgMax over position x (id != pad).
        const std::string real = mGraph.add(
            "Cast", "/score/Cast",
            {mGraph.add("Not", "/score/Not",
                        {mGraph.add("Equal", "/score/Equal", {ids, mGraph.int64Scalar(*mConfig.padTokenId)})})},
            {{"to", std::int64_t(onnx::TensorProto_DataType_INT64)}});
        const std::string positions = upTo("/score/Slice", mGraph.addInitializer("positions", at::arange(n, at::kLong)), 0);
        const std::string last = mGraph.add("ArgMax", "/score/ArgMax",
                                            {mGraph.add("Mul", "/score/Mul", {positions, real})},
                                            {{"axis", std::int64_t(1)}, {"keepdims", std::int64_t(1)}});
        const std::int64_t hidden = mConfig.hiddenSize;
        const std::string index = mGraph.add(
            "Expand", "/score/Expand",
            {mGraph.add("Unsqueeze", "/score/Unsqueeze", {last, mGraph.int64Vector({2})}),
             mGraph.int64Vector({1, 1, hidden})});
        const std::string pooled = mGraph.add(
            "Reshape", "/score/Reshape",
            {mGraph.add("GatherElements", "/score/GatherElements", {x, index}, {{"axis", std::int64_t(1)}}),
             mGraph.int64Vector({0, hidden})});
        const std::string logits = mGraph.add("Gemm", "/score/Gemm", {pooled, parameter("score.weight")},
                                              {{"transB", std::int64_t(1)}});
        mGraph.renameOutput(logits, "logits");
        mGraph.addOutput("logits", onnx::TensorProto_DataType_FLOAT, {{-1, "batch"}, {mConfig.numLabels(), ""}});
    }

private:
    std::string upTo(const std::string &name, const std::string &table, std::int64_t axis)
    {
        return mGraph.add("Slice", name, {table, mGraph.int64Vector({0}), mLength, mGraph.int64Vector({axis})});
    }

    std::string layer(const std::string &m, const std::string &x)
    {
        const std::int64_t heads = mConfig.numAttentionHeads, kvHeads = mConfig.numKeyValueHeads;
        const std::int64_t headDim = mConfig.headDim();
        const std::string a = m + ".self_attn";
        const std::string h = rmsNorm(m + ".input_layernorm", x);
        // [batch, length, count * head_dim] -> [batch, count, length, head_dim]
        const auto split = [&](const std::string &projection, std::int64_t count) {
            const std::string p = a + "." + projection;
            const std::string shaped = mGraph.add("Reshape", onnxNodeName(p, "Reshape"),
                                                  {linear(p, h), mGraph.int64Vector({0, 0, count, headDim})});
            return mGraph.add("Transpose", onnxNodeName(p, "Transpose"), {shaped},
                              {{"perm", std::vector<std::int64_t>{0, 2, 1, 3}}});
        };
        const std::string query = rotate(a + "/query", split("q_proj", heads));
        const std::string key = repeatKv(a + "/key", rotate(a + "/key", split("k_proj", kvHeads)));
        const std::string value = repeatKv(a + "/value", split("v_proj", kvHeads));
        const std::string keyT = mGraph.add("Transpose", onnxNodeName(a, "Transpose"), {key},
                                            {{"perm", std::vector<std::int64_t>{0, 1, 3, 2}}});
        const std::string scores = mGraph.add("Div", onnxNodeName(a, "Div"),
                                              {mGraph.add("MatMul", onnxNodeName(a, "MatMul"), {query, keyT}),
                                               mGraph.floatScalar(float(std::sqrt(double(headDim))))});
        const std::string probs = mGraph.add("Softmax", onnxNodeName(a, "Softmax"),
                                             {mGraph.add("Add", onnxNodeName(a, "Add"), {scores, mMask})},
                                             {{"axis", std::int64_t(-1)}});
        const std::string context = mGraph.add(
            "Reshape", onnxNodeName(a, "Reshape"),
            {mGraph.add("Transpose", onnxNodeName(a, "Transpose_1"),
                        {mGraph.add("MatMul", onnxNodeName(a, "MatMul_1"), {probs, value})},
                        {{"perm", std::vector<std::int64_t>{0, 2, 1, 3}}}),
             mGraph.int64Vector({0, 0, heads * headDim})});
        const std::string attended = mGraph.add("Add", onnxNodeName(m, "Add"), {x, linear(a + ".o_proj", context)});

        // SwiGLU: down_proj(silu(gate_proj(h)) * up_proj(h)), silu(g) = g * sigmoid(g).
        const std::string mlp = m + ".mlp";
        const std::string normed = rmsNorm(m + ".post_attention_layernorm", attended);
        const std::string gate = linear(mlp + ".gate_proj", normed);
        const std::string silu = mGraph.add("Mul", onnxNodeName(mlp + ".act_fn", "Mul"),
                                            {gate, mGraph.add("Sigmoid", onnxNodeName(mlp + ".act_fn", "Sigmoid"), {gate})});
        const std::string product =
            mGraph.add("Mul", onnxNodeName(mlp, "Mul"), {silu, linear(mlp + ".up_proj", normed)});
        return mGraph.add("Add", onnxNodeName(m, "Add_1"), {attended, linear(mlp + ".down_proj", product)});
    }

    // x * cos + rotate_half(x) * sin, rotate_half(x) = (-x2, x1) over the halves of each head.
    std::string rotate(const std::string &p, const std::string &x)
    {
        const std::int64_t half = mConfig.headDim() / 2;
        const auto slice = [&](const char *name, std::int64_t from, std::int64_t to) {
            return mGraph.add("Slice", onnxNodeName(p, name),
                              {x, mGraph.int64Vector({from}), mGraph.int64Vector({to}), mGraph.int64Vector({-1})});
        };
        const std::string rotated = mGraph.add(
            "Concat", onnxNodeName(p, "Concat"),
            {mGraph.add("Neg", onnxNodeName(p, "Neg"), {slice("Slice", half, 2 * half)}), slice("Slice_1", 0, half)},
            {{"axis", std::int64_t(-1)}});
        return mGraph.add("Add", onnxNodeName(p, "Add"),
                          {mGraph.add("Mul", onnxNodeName(p, "Mul"), {x, mCos}),
                           mGraph.add("Mul", onnxNodeName(p, "Mul_1"), {rotated, mSin})});
    }

    // repeat_kv: [batch, kv_heads, length, head_dim] -> [batch, heads, length, head_dim], query head j
    // reading key/value head j / groups.
    std::string repeatKv(const std::string &p, const std::string &x)
    {
        const std::int64_t groups = mConfig.numAttentionHeads / mConfig.numKeyValueHeads;
        if (groups == 1)
            return x;
        const std::string expanded = mGraph.add(
            "Expand", onnxNodeName(p, "Expand"),
            {mGraph.add("Unsqueeze", onnxNodeName(p, "Unsqueeze"), {x, mGraph.int64Vector({2})}),
             mGraph.int64Vector({1, 1, groups, 1, 1})});
        return mGraph.add("Reshape", onnxNodeName(p, "Reshape"),
                          {expanded, mGraph.int64Vector({0, mConfig.numAttentionHeads, -1, mConfig.headDim()})});
    }

    // LlamaRMSNorm: weight * x / sqrt(mean(x^2) + eps).
    std::string rmsNorm(const std::string &m, const std::string &x)
    {
        const std::string squared = mGraph.add("Pow", onnxNodeName(m, "Pow"), {x, mGraph.floatScalar(2.0f)});
        std::string mean;
        if (mOpset >= 18)
            mean = mGraph.add("ReduceMean", onnxNodeName(m, "ReduceMean"), {squared, mGraph.int64Vector({-1})},
                              {{"keepdims", std::int64_t(1)}});
        else
            mean = mGraph.add("ReduceMean", onnxNodeName(m, "ReduceMean"), {squared},
                              {{"axes", std::vector<std::int64_t>{-1}}, {"keepdims", std::int64_t(1)}});
        const std::string root = mGraph.add(
            "Sqrt", onnxNodeName(m, "Sqrt"),
            {mGraph.add("Add", onnxNodeName(m, "Add"), {mean, mGraph.floatScalar(float(mConfig.rmsNormEps))})});
        return mGraph.add("Mul", onnxNodeName(m, "Mul"),
                          {parameter(m + ".weight"), mGraph.add("Div", onnxNodeName(m, "Div"), {x, root})});
    }

    // A bias-free Linear: x @ weight^T, the transpose stored as the MatMul's initializer (as torch.onnx
    // stores it), named after the weight.
    std::string linear(const std::string &m, const std::string &x)
    {
        const std::string weight = m + ".weight";
        const std::string transposed = weight + ".T";
        if (!mWritten.contains(transposed)) {
            mGraph.addInitializer(transposed, tensorOf(weight).t().contiguous());
            mWritten.insert(transposed);
        }
        return mGraph.add("MatMul", onnxNodeName(m, "MatMul"), {x, transposed});
    }

    at::Tensor tensorOf(const std::string &name) const
    {
        const auto found = mParameters.find(name);
        if (found == mParameters.end())
            throw Error(ErrorKind::Internal, "the model has no parameter " + name);
        return found->second.detach().to(at::kCPU, at::kFloat);
    }

    std::string parameter(const std::string &name)
    {
        if (!mWritten.contains(name)) {
            mGraph.addInitializer(name, tensorOf(name).contiguous());
            mWritten.insert(name);
        }
        return name;
    }

    const LlamaConfig &mConfig;
    OnnxGraphBuilder &mGraph;
    int mOpset = 17;
    std::map<std::string, at::Tensor> mParameters;
    std::set<std::string> mWritten;
    std::string mLength; // the input's length, [1]
    std::string mCos;    // [length, head_dim]
    std::string mSin;
    std::string mMask;   // additive, [batch, 1, length, length]
};

} // namespace

OnnxExportReport writeLlamaOnnx(const LlamaForSequenceClassificationImpl &model, const std::filesystem::path &file,
                                const OnnxExportOptions &options)
{
    if (hasLora(model))
        throw Error(ErrorKind::InvalidInput, "cannot export a model with LoRA branches to ONNX: merge them into the "
                                             "weights first (merge the adapter, then export)");
    if (options.quantizeInt8)
        throw Error(ErrorKind::Incompatible, "int8 ONNX export of LlamaForSequenceClassification is not built yet; "
                                             "export onnx (float32)");
    c10::NoGradGuard noGrad;
    onnx::ModelProto proto;
    onnx::GraphProto &graphProto =
        startOnnxModel(proto, options.opset, "LlamaForSequenceClassification fine-tuned with Finetune Studio",
                       "LlamaForSequenceClassification");
    OnnxGraphBuilder graph(graphProto);
    LlamaGraphWriter(model, graph, options.opset).write();
    const LlamaConfig &config = model.config();
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
