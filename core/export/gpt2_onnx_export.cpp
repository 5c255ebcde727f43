// gpt2_onnx_export.cpp
#include "export/gpt2_onnx_export.h"

#include "export/onnx_decoder_parts.h"
#include "export/onnx_graph_builder.h"

#include <nlohmann/json.hpp>

#include <cmath>

namespace ft {

namespace {

class Gpt2GraphWriter {
public:
    Gpt2GraphWriter(const Gpt2ForSequenceClassificationImpl &model, OnnxGraphBuilder &graph)
        : mConfig(model.config()), mGraph(graph), mWeights(model, graph)
    {
    }

    void write()
    {
        const std::int64_t n = mConfig.nPositions;
        const std::string length = addInputLength(mGraph, "/transformer");
        std::string x = mGraph.add(
            "Add", "/transformer/Add",
            {mGraph.add("Gather", "/transformer/wte/Gather", {mWeights("transformer.wte.weight"), "input_ids"}),
             sliceToLength(mGraph, "/transformer/wpe/Slice", mWeights("transformer.wpe.weight"), length, 0)});
        mMask = addCausalPaddingMask(mGraph, "/transformer", length, n);
        for (std::int64_t i = 0; i < mConfig.nLayer; ++i)
            x = block("transformer.h." + std::to_string(i), x);
        x = layerNorm("transformer.ln_f", x);
        addLastTokenLogits(mGraph, x, length, *mConfig.padTokenId, mConfig.nEmbd, n, mConfig.numLabels(),
                           mWeights("score.weight"));
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
        const std::string product = mGraph.add("MatMul", onnxNodeName(m, "MatMul"), {x, mWeights(m + ".weight")});
        return mGraph.add("Add", onnxNodeName(m, "Add"), {product, mWeights(m + ".bias")});
    }

    std::string layerNorm(const std::string &m, const std::string &x)
    {
        return mGraph.add("LayerNormalization", onnxNodeName(m, "LayerNormalization"),
                          {x, mWeights(m + ".weight"), mWeights(m + ".bias")},
                          {{"axis", std::int64_t(-1)}, {"epsilon", float(mConfig.layerNormEpsilon)}});
    }

    const Gpt2Config &mConfig;
    OnnxGraphBuilder &mGraph;
    OnnxWeights mWeights;
    std::string mMask;
};

} // namespace

OnnxExportReport writeGpt2Onnx(const Gpt2ForSequenceClassificationImpl &model, const std::filesystem::path &file,
                               const OnnxExportOptions &options)
{
    return writeDecoderOnnx(model, "GPT2ForSequenceClassification", model.config().id2label,
                            model.config().toJson(), file, options,
                            [&](OnnxGraphBuilder &graph) { Gpt2GraphWriter(model, graph).write(); });
}

} // namespace ft
