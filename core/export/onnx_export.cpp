// onnx_export.cpp: BertForSequenceClassification and DistilBertForSequenceClassification as ONNX
// graphs, node for node what bert_model.cpp and distilbert_model.cpp compute, then serialised and
// written atomically.
#include "export/onnx_export.h"

#include "common/error.h"
#include "export/onnx_graph_builder.h"
#include "export/onnx_model_file.h"
#include "models/lora.h"

#include <ATen/Functions.h>
#include <c10/core/GradMode.h>
#include <nlohmann/json.hpp>

#include <array>
#include <cmath>
#include <limits>
#include <map>
#include <set>

namespace ft {

std::string onnxNodeName(const std::string &module, const std::string &op)
{
    return "/" + module + "/" + op;
}

void addTextClassifierInputs(OnnxGraphBuilder &graph)
{
    const std::vector<OnnxDim> batchBySequence{{-1, "batch"}, {-1, "sequence"}};
    for (const char *name : {"input_ids", "attention_mask", "token_type_ids"})
        graph.addInput(name, onnx::TensorProto_DataType_INT64, batchBySequence);
}

namespace {

// Symmetric int8 per output feature, as quantize_dynamic(per_channel=True) quantises a weight:
// scale = max|w| / 127, q = round_half_even(w / scale) in [-127, 127].
struct QuantizedWeight {
    at::Tensor values; // int8 [in, out]: MatMulInteger's B
    at::Tensor scales; // float [out]
};

QuantizedWeight quantizeWeight(const at::Tensor &weight)
{
    const at::Tensor maxAbs = weight.abs().amax(1);
    const at::Tensor scales = at::where(maxAbs > 0, maxAbs / 127.0f, at::ones_like(maxAbs));
    const at::Tensor q = at::round(weight / scales.unsqueeze(1)).clamp(-127, 127).to(at::kChar);
    return {q.t().contiguous(), scales};
}

// BERT's graph, or DistilBERT's (the same encoder under other names: no
// token types, the query scaled before its product, a pre_classifier + ReLU
// head instead of the pooler).
class BertGraphWriter {
public:
    BertGraphWriter(const torch::nn::Module &model, const BertConfig &config, bool quantize, OnnxGraphBuilder &graph)
        : mConfig(config), mQuantize(quantize), mGraph(graph)
    {
        for (const auto &item : model.named_parameters())
            mParameters.emplace(item.key(), item.value());
    }

    void write()
    {
        addTextClassifierInputs(mGraph);

        const bool distil = mConfig.isDistilBert();
        const std::string encoder = mConfig.isRoberta() ? "roberta.encoder.layer." : "bert.encoder.layer.";
        std::string hidden = embeddings("input_ids", "token_type_ids");
        const std::string mask = extendedMask("attention_mask");
        for (std::int64_t i = 0; i < mConfig.numHiddenLayers; ++i)
            hidden = distil ? distilBertLayer("distilbert.transformer.layer." + std::to_string(i), hidden, mask)
                            : layer(encoder + std::to_string(i), hidden, mask);
        if (mConfig.isRoberta()) { // out_proj(tanh(dense(<s>)))
            const std::string first = mGraph.add("Gather", node("classifier", "Gather"),
                                                 {hidden, mGraph.int64Scalar(0)}, {{"axis", std::int64_t(1)}});
            const std::string dense =
                mGraph.add("Tanh", node("classifier", "Tanh"), {linear("classifier.dense", first)});
            const std::string logits = mGraph.add(
                "Gemm", "/classifier/out_proj/Gemm",
                {dense, parameter("classifier.out_proj.weight"), parameter("classifier.out_proj.bias")},
                {{"transB", std::int64_t(1)}});
            mGraph.renameOutput(logits, "logits");
            mGraph.addOutput("logits", onnx::TensorProto_DataType_FLOAT, {{-1, "batch"}, {mConfig.numLabels(), ""}});
            return;
        }

        // BERT's pooler: tanh(dense(first token)); DistilBERT's: relu(pre_classifier(first token)).
        // The classifier: a float Gemm, dropout being identity at inference.
        const std::string head = distil ? "pre_classifier" : "bert.pooler";
        const std::string first = mGraph.add("Gather", node(head, "Gather"), {hidden, mGraph.int64Scalar(0)},
                                             {{"axis", std::int64_t(1)}});
        const std::string pooled = distil ? mGraph.add("Relu", node(head, "Relu"), {linear(head, first)})
                                          : mGraph.add("Tanh", node(head, "Tanh"), {linear(head + ".dense", first)});
        const std::string logits =
            mGraph.add("Gemm", "/classifier/Gemm",
                       {pooled, parameter("classifier.weight"), parameter("classifier.bias")},
                       {{"transB", std::int64_t(1)}});
        mGraph.renameOutput(logits, "logits");
        mGraph.addOutput("logits", onnx::TensorProto_DataType_FLOAT, {{-1, "batch"}, {mConfig.numLabels(), ""}});
    }

    std::int64_t quantizedLayers() const { return mQuantizedLayers; }

private:
    static std::string node(const std::string &module, const std::string &op) { return onnxNodeName(module, op); }

    // The parameter as a float32 initializer under its Hugging Face name (added once).
    std::string parameter(const std::string &name)
    {
        if (mWritten.insert(name).second)
            mGraph.addInitializer(name, floatParameter(name));
        return name;
    }

    at::Tensor floatParameter(const std::string &name) const
    {
        const auto found = mParameters.find(name);
        if (found == mParameters.end())
            throw Error(ErrorKind::Internal, "the model has no parameter " + name);
        return found->second.detach().to(at::kCPU, at::kFloat).contiguous();
    }

    // word (+ token type) embeddings, + positions 0..sequence-1 (a slice of the table), LayerNorm.
    std::string embeddings(const std::string &ids, const std::string &types)
    {
        const std::string m = mConfig.isDistilBert() ? "distilbert.embeddings"
                               : mConfig.isRoberta()  ? "roberta.embeddings"
                                                      : "bert.embeddings";
        std::string sum =
            mGraph.add("Gather", node(m, "word_embeddings/Gather"), {parameter(m + ".word_embeddings.weight"), ids});
        if (!mConfig.isDistilBert()) {
            const std::string typeRows = mGraph.add("Gather", node(m, "token_type_embeddings/Gather"),
                                                    {parameter(m + ".token_type_embeddings.weight"), types});
            sum = mGraph.add("Add", node(m, "Add"), {sum, typeRows});
        }
        if (mConfig.isRoberta()) { // positions counted over the real tokens from pad_token_id + 1
            const std::string pad = mGraph.int64Scalar(*mConfig.padTokenId);
            const std::string real = mGraph.add(
                "Cast", node(m, "Cast"),
                {mGraph.add("Not", node(m, "Not"), {mGraph.add("Equal", node(m, "Equal"), {ids, pad})})},
                {{"to", std::int64_t(onnx::TensorProto_DataType_INT64)}});
            const std::string counted = mGraph.add("CumSum", node(m, "CumSum"), {real, mGraph.int64Scalar(1)});
            const std::string positions = mGraph.add(
                "Add", node(m, "Add_2"), {mGraph.add("Mul", node(m, "Mul"), {counted, real}), pad});
            const std::string rows = mGraph.add("Gather", node(m, "position_embeddings/Gather"),
                                                {parameter(m + ".position_embeddings.weight"), positions});
            return layerNorm(m + ".LayerNorm", mGraph.add("Add", node(m, "Add_1"), {sum, rows}));
        }
        const std::string length = mGraph.add("Shape", node(m, "Shape"), {ids},
                                              {{"start", std::int64_t(1)}, {"end", std::int64_t(2)}});
        const std::string positions =
            mGraph.add("Slice", node(m, "position_embeddings/Slice"),
                       {parameter(m + ".position_embeddings.weight"), mGraph.int64Vector({0}), length,
                        mGraph.int64Vector({0})});
        return layerNorm(m + ".LayerNorm", mGraph.add("Add", node(m, "Add_1"), {sum, positions}));
    }

    // HF's extended mask: [batch, sequence] of 1/0 -> [batch, 1, 1, sequence] of 0 / float32 lowest.
    // DistilBERT fills masked scores with the lowest value instead of adding it: the same
    // probabilities (a score plus the lowest float rounds to the lowest float).
    std::string extendedMask(const std::string &mask)
    {
        const std::string m = "bert";
        const std::string unsqueezed =
            mGraph.add("Unsqueeze", node(m, "Unsqueeze"), {mask, mGraph.int64Vector({1, 2})});
        const std::string asFloat = mGraph.add("Cast", node(m, "Cast"), {unsqueezed},
                                               {{"to", std::int64_t(onnx::TensorProto_DataType_FLOAT)}});
        const std::string inverted = mGraph.add("Sub", node(m, "Sub"), {mGraph.floatScalar(1.0f), asFloat});
        return mGraph.add("Mul", node(m, "Mul"),
                          {inverted, mGraph.floatScalar(std::numeric_limits<float>::lowest())});
    }

    std::string layer(const std::string &m, const std::string &hidden, const std::string &mask)
    {
        const std::string context = selfAttention(m + ".attention.self", {"query", "key", "value"}, false, hidden, mask);
        const std::string attended = residualOutput(m + ".attention.output", context, hidden);
        const std::string intermediate = activation(m + ".intermediate", linear(m + ".intermediate.dense", attended));
        return residualOutput(m + ".output", intermediate, attended);
    }

    // DistilBERT: attention (q_lin, k_lin, v_lin, out_lin) + sa_layer_norm, then ffn (lin1, lin2) + output_layer_norm.
    std::string distilBertLayer(const std::string &m, const std::string &hidden, const std::string &mask)
    {
        const std::string a = m + ".attention";
        const std::string context = selfAttention(a, {"q_lin", "k_lin", "v_lin"}, true, hidden, mask);
        const std::string attended = layerNorm(
            m + ".sa_layer_norm", mGraph.add("Add", node(a, "Add_1"), {linear(a + ".out_lin", context), hidden}));
        const std::string inner = activation(m + ".ffn", linear(m + ".ffn.lin1", attended));
        return layerNorm(m + ".output_layer_norm",
                         mGraph.add("Add", node(m + ".ffn", "Add_2"), {linear(m + ".ffn.lin2", inner), attended}));
    }

    // Heads of query, key and value (the modules `names` under m); `scaleQuery`: DistilBERT's
    // order, the query divided by sqrt(head_dim) before the product (BERT divides the scores).
    std::string selfAttention(const std::string &m, const std::array<const char *, 3> &names, bool scaleQuery,
                              const std::string &hidden, const std::string &mask)
    {
        const std::int64_t heads = mConfig.numAttentionHeads;
        const std::int64_t headDim = mConfig.headDim();
        const std::string splitShape = mGraph.int64Vector({0, 0, heads, headDim});
        // [batch, sequence, hidden] -> [batch, heads, sequence, headDim]; keys straight to [.., headDim, sequence].
        const auto heads4d = [&](const std::string &projection, std::vector<std::int64_t> perm) {
            const std::string p = m + "." + projection;
            const std::string split = mGraph.add("Reshape", node(p, "Reshape"), {linear(p, hidden), splitShape});
            return mGraph.add("Transpose", node(p, "Transpose"), {split}, {{"perm", std::move(perm)}});
        };
        const std::string root = mGraph.floatScalar(float(std::sqrt(double(headDim))));
        std::string query = heads4d(names[0], {0, 2, 1, 3});
        if (scaleQuery)
            query = mGraph.add("Div", node(m, "Div"), {query, root});
        const std::string keyT = heads4d(names[1], {0, 2, 3, 1});
        const std::string value = heads4d(names[2], {0, 2, 1, 3});

        std::string scores = mGraph.add("MatMul", node(m, "MatMul"), {query, keyT});
        if (!scaleQuery)
            scores = mGraph.add("Div", node(m, "Div"), {scores, root});
        const std::string masked = mGraph.add("Add", node(m, "Add"), {scores, mask});
        const std::string probs = mGraph.add("Softmax", node(m, "Softmax"), {masked}, {{"axis", std::int64_t(-1)}});
        const std::string context = mGraph.add("MatMul", node(m, "MatMul_1"), {probs, value});
        const std::string merged = mGraph.add("Transpose", node(m, "Transpose"), {context},
                                              {{"perm", std::vector<std::int64_t>{0, 2, 1, 3}}});
        return mGraph.add("Reshape", node(m, "Reshape"),
                          {merged, mGraph.int64Vector({0, 0, heads * headDim})});
    }

    // LayerNorm(dense(x) + residual): BertSelfOutput and BertOutput.
    std::string residualOutput(const std::string &m, const std::string &hidden, const std::string &residual)
    {
        const std::string sum = mGraph.add("Add", node(m, "Add"), {linear(m + ".dense", hidden), residual});
        return layerNorm(m + ".LayerNorm", sum);
    }

    std::string layerNorm(const std::string &m, const std::string &x)
    {
        return mGraph.add("LayerNormalization", node(m, "LayerNormalization"),
                          {x, parameter(m + ".weight"), parameter(m + ".bias")},
                          {{"axis", std::int64_t(-1)}, {"epsilon", float(mConfig.layerNormEps)}});
    }

    std::string activation(const std::string &m, const std::string &x)
    {
        return onnxActivation(mGraph, mConfig.hiddenAct, m, x);
    }

    // x @ weight^T + bias for the encoder's and pooler's layers, float or int8 as asked.
    std::string linear(const std::string &m, const std::string &x)
    {
        if (mQuantize)
            return quantizedLinear(m, x);
        const std::string weightT = mGraph.add("Transpose", node(m, "weight/Transpose"), {parameter(m + ".weight")},
                                               {{"perm", std::vector<std::int64_t>{1, 0}}});
        const std::string product = mGraph.add("MatMul", node(m, "MatMul"), {x, weightT});
        return mGraph.add("Add", node(m, "Add"), {product, parameter(m + ".bias")});
    }

    std::string quantizedLinear(const std::string &m, const std::string &x)
    {
        const QuantizedWeight weight = quantizeWeight(floatParameter(m + ".weight"));
        const std::string values = mGraph.addInitializer(m + ".weight_quantized", weight.values);
        const std::string scales = mGraph.addInitializer(m + ".weight_scale", weight.scales);
        const std::string zeroPoint = mGraph.addInitializer(m + ".weight_zero_point", at::zeros({}, at::kChar));
        ++mQuantizedLayers;

        const std::vector<std::string> quantized =
            mGraph.addNode("DynamicQuantizeLinear", node(m, "DynamicQuantizeLinear"), {x}, 3);
        const std::string product = mGraph.add("MatMulInteger", node(m, "MatMulInteger"),
                                               {quantized[0], values, quantized[2], zeroPoint});
        const std::string asFloat = mGraph.add("Cast", node(m, "Cast"), {product},
                                               {{"to", std::int64_t(onnx::TensorProto_DataType_FLOAT)}});
        const std::string scale = mGraph.add("Mul", node(m, "scale/Mul"), {quantized[1], scales});
        const std::string dequantized = mGraph.add("Mul", node(m, "Mul"), {asFloat, scale});
        return mGraph.add("Add", node(m, "Add"), {dequantized, parameter(m + ".bias")});
    }

    const BertConfig &mConfig;
    bool mQuantize = false;
    OnnxGraphBuilder &mGraph;
    std::map<std::string, at::Tensor> mParameters;
    std::set<std::string> mWritten;
    std::int64_t mQuantizedLayers = 0;
};

OnnxExportReport writeEncoderOnnx(const torch::nn::Module &model, const BertConfig &config,
                                  const std::filesystem::path &file, const OnnxExportOptions &options)
{
    if (hasLora(model))
        throw Error(ErrorKind::InvalidInput, "cannot export a model with LoRA branches to ONNX: merge them into the "
                                             "weights first (merge the adapter, then export)");
    c10::NoGradGuard noGrad;

    const std::string architecture = config.isDistilBert()             ? "DistilBertForSequenceClassification"
                                     : config.modelType == "xlm-roberta" ? "XLMRobertaForSequenceClassification"
                                     : config.isRoberta()                ? "RobertaForSequenceClassification"
                                                                         : "BertForSequenceClassification";
    onnx::ModelProto proto;
    onnx::GraphProto &graphProto =
        startOnnxModel(proto, options.opset, architecture + " fine-tuned with Finetune Studio", architecture);
    OnnxGraphBuilder graph(graphProto);
    BertGraphWriter writer(model, config, options.quantizeInt8, graph);
    writer.write();

    nlohmann::ordered_json id2label = nlohmann::ordered_json::object();
    for (std::size_t i = 0; i < config.id2label.size(); ++i)
        id2label[std::to_string(i)] = config.id2label[i];
    addOnnxMetadata(proto, "id2label", id2label.dump());
    addOnnxMetadata(proto, "hidden_act", std::string(hiddenActName(config.hiddenAct)));
    addOnnxMetadata(proto, "quantization",
                options.quantizeInt8 ? "int8 dynamic: encoder and pooler linear weights int8 per channel, "
                                       "activations uint8 (DynamicQuantizeLinear)"
                                     : "none");
    addOnnxMetadata(proto, "config", config.toJson().dump());

    OnnxExportReport report;
    report.bytes = writeOnnxModel(proto, file);
    report.quantizedLinearLayers = writer.quantizedLayers();
    report.opset = options.opset;
    return report;
}

} // namespace

std::string onnxActivation(OnnxGraphBuilder &graph, HiddenAct act, const std::string &m, const std::string &x)
{
    const auto one = [&] { return graph.floatScalar(1.0f); };
    const auto half = [&] { return graph.add("Mul", onnxNodeName(m, "Mul"), {x, graph.floatScalar(0.5f)}); };
    // x * 0.5 * (tanh(sqrt(2 / pi) * (x + 0.044715 * cube)) + 1)
    const auto tanhGelu = [&](const std::string &cube) {
        const std::string scaledCube = graph.add("Mul", onnxNodeName(m, "Mul_1"), {cube, graph.floatScalar(0.044715f)});
        const std::string inner = graph.add("Add", onnxNodeName(m, "Add"), {x, scaledCube});
        const std::string scaled =
            graph.add("Mul", onnxNodeName(m, "Mul_2"), {inner, graph.floatScalar(float(std::sqrt(2.0 / M_PI)))});
        const std::string plusOne = graph.add("Add", onnxNodeName(m, "Add_1"),
                                               {graph.add("Tanh", onnxNodeName(m, "Tanh"), {scaled}), one()});
        return graph.add("Mul", onnxNodeName(m, "Mul_3"), {half(), plusOne});
    };
    switch (act) {
    case HiddenAct::Gelu: { // x * 0.5 * (erf(x / sqrt(2)) + 1)
        const std::string erf = graph.add(
            "Erf", onnxNodeName(m, "Erf"),
            {graph.add("Div", onnxNodeName(m, "Div"), {x, graph.floatScalar(float(std::sqrt(2.0)))})});
        const std::string plusOne = graph.add("Add", onnxNodeName(m, "Add"), {erf, one()});
        return graph.add("Mul", onnxNodeName(m, "Mul_1"), {half(), plusOne});
    }
    case HiddenAct::GeluNew: // HF's NewGELUActivation: pow(x, 3)
        return tanhGelu(graph.add("Pow", onnxNodeName(m, "Pow"), {x, graph.floatScalar(3.0f)}));
    case HiddenAct::GeluPytorchTanh: // torch's gelu(approximate="tanh"): x * x * x
        return tanhGelu(
            graph.add("Mul", onnxNodeName(m, "Mul_cube"), {graph.add("Mul", onnxNodeName(m, "Mul_square"), {x, x}), x}));
    case HiddenAct::Relu:
        return graph.add("Relu", onnxNodeName(m, "Relu"), {x});
    }
    throw Error(ErrorKind::Internal, "unhandled hidden_act in the ONNX export");
}

OnnxExportReport writeOnnx(const BertForSequenceClassificationImpl &model, const std::filesystem::path &file,
                           const OnnxExportOptions &options)
{
    return writeEncoderOnnx(model, model.config(), file, options);
}

OnnxExportReport writeOnnx(const DistilBertForSequenceClassificationImpl &model, const std::filesystem::path &file,
                           const OnnxExportOptions &options)
{
    return writeEncoderOnnx(model, model.config(), file, options);
}

OnnxExportReport writeOnnx(const RobertaForSequenceClassificationImpl &model, const std::filesystem::path &file,
                           const OnnxExportOptions &options)
{
    return writeEncoderOnnx(model, model.config(), file, options);
}

} // namespace ft
