// llama_onnx_export.cpp
#include "export/llama_onnx_export.h"

#include "export/onnx_decoder_parts.h"
#include "export/onnx_graph_builder.h"

#include <ATen/Functions.h>
#include <nlohmann/json.hpp>

#include <cmath>

namespace ft {

namespace {

class LlamaGraphWriter {
public:
    LlamaGraphWriter(const LlamaForSequenceClassificationImpl &model, OnnxGraphBuilder &graph, int opset)
        : mConfig(model.config()), mGraph(graph), mWeights(model, graph), mOpset(opset)
    {
    }

    void write()
    {
        const std::int64_t n = mConfig.maxPositionEmbeddings;
        const std::string length = addInputLength(mGraph, "/model");
        std::string x = mGraph.add("Gather", "/model/embed_tokens/Gather", {mWeights("model.embed_tokens.weight"),
                                                                              "input_ids"});
        // The rotary tables of every position, as the model computes them, cut to the input's length.
        const RotaryTables rope = rotaryTables(at::arange(n, at::kLong).unsqueeze(0), mConfig.headDim(),
                                               mConfig.ropeTheta, at::kFloat);
        mCos = sliceToLength(mGraph, "/model/rotary_emb/Slice", mGraph.addInitializer("rope_cos", rope.cos[0]), length, 0);
        mSin = sliceToLength(mGraph, "/model/rotary_emb/Slice_1", mGraph.addInitializer("rope_sin", rope.sin[0]),
                             length, 0);
        mMask = addCausalPaddingMask(mGraph, "/model", length, n);
        for (std::int64_t i = 0; i < mConfig.numHiddenLayers; ++i)
            x = layer("model.layers." + std::to_string(i), x);
        x = rmsNorm("model.norm", x);
        addLastTokenLogits(mGraph, x, length, *mConfig.padTokenId, mConfig.hiddenSize, n, mConfig.numLabels(),
                           mWeights("score.weight"));
    }

private:
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
                          {mWeights(m + ".weight"), mGraph.add("Div", onnxNodeName(m, "Div"), {x, root})});
    }

    // A bias-free Linear: x @ weight^T, the transpose stored as the MatMul's initializer (as torch.onnx
    // stores it).
    std::string linear(const std::string &m, const std::string &x)
    {
        return mGraph.add("MatMul", onnxNodeName(m, "MatMul"), {x, mWeights.transposed(m + ".weight")});
    }

    const LlamaConfig &mConfig;
    OnnxGraphBuilder &mGraph;
    OnnxWeights mWeights;
    int mOpset = 17;
    std::string mCos;    // [length, head_dim]
    std::string mSin;
    std::string mMask;   // additive, [batch, 1, length, length]
};

} // namespace

OnnxExportReport writeLlamaOnnx(const LlamaForSequenceClassificationImpl &model, const std::filesystem::path &file,
                                const OnnxExportOptions &options)
{
    return writeDecoderOnnx(model, "LlamaForSequenceClassification", model.config().id2label,
                            model.config().toJson(), file, options,
                            [&](OnnxGraphBuilder &graph) { LlamaGraphWriter(model, graph, options.opset).write(); });
}

} // namespace ft
