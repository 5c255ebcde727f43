// vision_onnx_export.cpp: ViT and ResNet as ONNX graphs.
#include "export/vision_onnx_export.h"

#include "common/error.h"
#include "export/onnx_graph_builder.h"
#include "export/onnx_model_file.h"

#include <ATen/Functions.h>
#include <c10/core/GradMode.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <map>
#include <set>

namespace ft {

namespace {

std::string node(const std::string &module, const std::string &op)
{
    return "/" + module + "/" + op;
}

// Parameters and buffers by name, added to the graph as float32 initializers once each.
class Weights {
public:
    Weights(const torch::nn::Module &model, OnnxGraphBuilder &graph) : mGraph(graph)
    {
        for (const auto &item : model.named_parameters())
            mTensors.emplace(item.key(), item.value());
        for (const auto &item : model.named_buffers())
            mTensors.emplace(item.key(), item.value());
    }

    std::string operator()(const std::string &name)
    {
        const auto found = mTensors.find(name);
        if (found == mTensors.end())
            throw Error(ErrorKind::Internal, "the model has no tensor " + name);
        if (mWritten.insert(name).second)
            mGraph.addInitializer(name, found->second.detach().to(at::kCPU, at::kFloat).contiguous());
        return name;
    }

private:
    OnnxGraphBuilder &mGraph;
    std::map<std::string, at::Tensor> mTensors;
    std::set<std::string> mWritten;
};

std::string classifierOutput(OnnxGraphBuilder &graph, Weights &weights, const std::string &features,
                             const std::string &prefix, std::int64_t labels)
{
    const std::string logits = graph.add("Gemm", node(prefix, "Gemm"),
                                         {features, weights(prefix + ".weight"), weights(prefix + ".bias")},
                                         {{"transB", std::int64_t(1)}});
    graph.renameOutput(logits, "logits");
    graph.addOutput("logits", onnx::TensorProto_DataType_FLOAT, {{-1, "batch"}, {labels, ""}});
    return logits;
}

void finish(onnx::ModelProto &proto, const std::vector<std::string> &labels, const nlohmann::json &config)
{
    nlohmann::ordered_json id2label = nlohmann::ordered_json::object();
    for (std::size_t i = 0; i < labels.size(); ++i)
        id2label[std::to_string(i)] = labels[i];
    addOnnxMetadata(proto, "id2label", id2label.dump());
    addOnnxMetadata(proto, "config", config.dump());
}

class VitGraphWriter {
public:
    VitGraphWriter(const VitForImageClassificationImpl &model, OnnxGraphBuilder &graph)
        : mConfig(model.config()), mGraph(graph), mWeights(model, graph)
    {
    }

    void write()
    {
        const std::int64_t size = mConfig.imageSize, hidden = mConfig.hiddenSize;
        mGraph.addInput("pixel_values", onnx::TensorProto_DataType_FLOAT,
                        {{-1, "batch"}, {mConfig.numChannels, ""}, {size, ""}, {size, ""}});
        // Patches: a strided convolution, then [batch, hidden, patches] -> [batch, patches, hidden].
        const std::string m = "vit.embeddings";
        const std::string conv = mGraph.add(
            "Conv", node(m + ".patch_embeddings.projection", "Conv"),
            {"pixel_values", mWeights(m + ".patch_embeddings.projection.weight"),
             mWeights(m + ".patch_embeddings.projection.bias")},
            {{"kernel_shape", std::vector<std::int64_t>{mConfig.patchSize, mConfig.patchSize}},
             {"strides", std::vector<std::int64_t>{mConfig.patchSize, mConfig.patchSize}}});
        const std::string flat =
            mGraph.add("Reshape", node(m, "Reshape"), {conv, mGraph.int64Vector({0, hidden, -1})});
        const std::string patches =
            mGraph.add("Transpose", node(m, "Transpose"), {flat}, {{"perm", std::vector<std::int64_t>{0, 2, 1}}});
        // [CLS] expanded to the batch: shape (batch, 1, hidden) from the input's first dimension.
        const std::string batch = mGraph.add("Shape", node(m, "Shape"), {"pixel_values"},
                                             {{"start", std::int64_t(0)}, {"end", std::int64_t(1)}});
        const std::string clsShape = mGraph.add("Concat", node(m, "Concat"),
                                                {batch, mGraph.int64Vector({1, hidden})}, {{"axis", std::int64_t(0)}});
        const std::string cls =
            mGraph.add("Expand", node(m, "Expand"), {mWeights(m + ".cls_token"), clsShape});
        const std::string tokens =
            mGraph.add("Concat", node(m, "Concat_1"), {cls, patches}, {{"axis", std::int64_t(1)}});
        std::string x = mGraph.add("Add", node(m, "Add"), {tokens, mWeights(m + ".position_embeddings")});

        for (std::int64_t i = 0; i < mConfig.numHiddenLayers; ++i)
            x = layer("vit.encoder.layer." + std::to_string(i), x);
        x = layerNorm("vit.layernorm", x);
        const std::string first = mGraph.add("Gather", node("vit", "Gather"), {x, mGraph.int64Scalar(0)},
                                             {{"axis", std::int64_t(1)}});
        classifierOutput(mGraph, mWeights, first, "classifier", mConfig.numLabels());
    }

private:
    std::string layer(const std::string &m, const std::string &x)
    {
        const std::string context = attention(m + ".attention.attention", layerNorm(m + ".layernorm_before", x));
        const std::string attended =
            mGraph.add("Add", node(m, "Add"), {linear(m + ".attention.output.dense", context), x});
        const std::string inner = gelu(m + ".intermediate",
                                       linear(m + ".intermediate.dense", layerNorm(m + ".layernorm_after", attended)));
        return mGraph.add("Add", node(m, "Add_1"), {linear(m + ".output.dense", inner), attended});
    }

    std::string attention(const std::string &m, const std::string &x)
    {
        const std::int64_t heads = mConfig.numAttentionHeads, headDim = mConfig.hiddenSize / heads;
        const std::string splitShape = mGraph.int64Vector({0, 0, heads, headDim});
        const auto split = [&](const std::string &projection, std::vector<std::int64_t> perm) {
            const std::string p = m + "." + projection;
            const std::string r = mGraph.add("Reshape", node(p, "Reshape"), {linear(p, x), splitShape});
            return mGraph.add("Transpose", node(p, "Transpose"), {r}, {{"perm", std::move(perm)}});
        };
        const std::string query = split("query", {0, 2, 1, 3});
        const std::string keyT = split("key", {0, 2, 3, 1});
        const std::string value = split("value", {0, 2, 1, 3});
        const std::string scores = mGraph.add("MatMul", node(m, "MatMul"), {query, keyT});
        const std::string scaled =
            mGraph.add("Div", node(m, "Div"), {scores, mGraph.floatScalar(float(std::sqrt(double(headDim))))});
        const std::string probs = mGraph.add("Softmax", node(m, "Softmax"), {scaled}, {{"axis", std::int64_t(-1)}});
        const std::string context = mGraph.add("MatMul", node(m, "MatMul_1"), {probs, value});
        const std::string merged = mGraph.add("Transpose", node(m, "Transpose"), {context},
                                              {{"perm", std::vector<std::int64_t>{0, 2, 1, 3}}});
        return mGraph.add("Reshape", node(m, "Reshape"), {merged, mGraph.int64Vector({0, 0, mConfig.hiddenSize})});
    }

    std::string linear(const std::string &m, const std::string &x)
    {
        const std::string weightT = mGraph.add("Transpose", node(m, "weight/Transpose"), {mWeights(m + ".weight")},
                                               {{"perm", std::vector<std::int64_t>{1, 0}}});
        const std::string product = mGraph.add("MatMul", node(m, "MatMul"), {x, weightT});
        return mGraph.add("Add", node(m, "Add"), {product, mWeights(m + ".bias")});
    }

    std::string layerNorm(const std::string &m, const std::string &x)
    {
        return mGraph.add("LayerNormalization", node(m, "LayerNormalization"),
                          {x, mWeights(m + ".weight"), mWeights(m + ".bias")},
                          {{"axis", std::int64_t(-1)}, {"epsilon", float(mConfig.layerNormEps)}});
    }

    // GELU as vit_model.cpp computes it: exact (Erf) or the tanh approximation.
    std::string gelu(const std::string &m, const std::string &x)
    {
        const std::string half = mGraph.add("Mul", node(m, "Mul"), {x, mGraph.floatScalar(0.5f)});
        std::string inner;
        if (!mConfig.geluTanh) {
            inner = mGraph.add("Erf", node(m, "Erf"),
                               {mGraph.add("Div", node(m, "Div"), {x, mGraph.floatScalar(float(std::sqrt(2.0)))})});
        } else {
            const std::string cube = mGraph.add("Mul", node(m, "Mul_cube"),
                                                {mGraph.add("Mul", node(m, "Mul_square"), {x, x}), x});
            const std::string sum = mGraph.add(
                "Add", node(m, "Add_cube"), {x, mGraph.add("Mul", node(m, "Mul_1"), {cube, mGraph.floatScalar(0.044715f)})});
            inner = mGraph.add("Tanh", node(m, "Tanh"),
                               {mGraph.add("Mul", node(m, "Mul_2"),
                                           {sum, mGraph.floatScalar(float(std::sqrt(2.0 / M_PI)))})});
        }
        return mGraph.add("Mul", node(m, "Mul_3"),
                          {half, mGraph.add("Add", node(m, "Add"), {inner, mGraph.floatScalar(1.0f)})});
    }

    const VitConfig &mConfig;
    OnnxGraphBuilder &mGraph;
    Weights mWeights;
};

class ResNetGraphWriter {
public:
    ResNetGraphWriter(const ResNetForImageClassificationImpl &model, OnnxGraphBuilder &graph)
        : mConfig(model.config()), mGraph(graph), mWeights(model, graph)
    {
    }

    void write()
    {
        mGraph.addInput("pixel_values", onnx::TensorProto_DataType_FLOAT,
                        {{-1, "batch"}, {mConfig.numChannels, ""}, {-1, "height"}, {-1, "width"}});
        std::string x = convLayer("resnet.embedder.embedder", "pixel_values", 7, 2, true);
        x = mGraph.add("MaxPool", node("resnet.embedder.pooler", "MaxPool"), {x},
                       {{"kernel_shape", std::vector<std::int64_t>{3, 3}},
                        {"strides", std::vector<std::int64_t>{2, 2}},
                        {"pads", std::vector<std::int64_t>{1, 1, 1, 1}}});
        std::int64_t in = mConfig.embeddingSize;
        for (std::size_t s = 0; s < mConfig.hiddenSizes.size(); ++s) {
            const std::int64_t out = mConfig.hiddenSizes[s];
            const std::int64_t stride = s == 0 && !mConfig.downsampleInFirstStage ? 1 : 2;
            for (std::int64_t l = 0; l < mConfig.depths[s]; ++l) {
                const std::string m = "resnet.encoder.stages." + std::to_string(s) + ".layers." + std::to_string(l);
                x = residual(m, x, l == 0 ? in : out, out, l == 0 ? stride : 1);
            }
            in = out;
        }
        const std::string pooled = mGraph.add("GlobalAveragePool", node("resnet.pooler", "GlobalAveragePool"), {x});
        const std::string flat =
            mGraph.add("Flatten", node("classifier.0", "Flatten"), {pooled}, {{"axis", std::int64_t(1)}});
        classifierOutput(mGraph, mWeights, flat, "classifier.1", mConfig.numLabels());
    }

private:
    // convolution (no bias), batch norm with the running statistics, ReLU unless `relu` is false.
    std::string convLayer(const std::string &m, const std::string &x, std::int64_t kernel, std::int64_t stride, bool relu)
    {
        const std::int64_t pad = kernel / 2;
        const std::string conv = mGraph.add("Conv", node(m + ".convolution", "Conv"),
                                            {x, mWeights(m + ".convolution.weight")},
                                            {{"kernel_shape", std::vector<std::int64_t>{kernel, kernel}},
                                             {"strides", std::vector<std::int64_t>{stride, stride}},
                                             {"pads", std::vector<std::int64_t>{pad, pad, pad, pad}}});
        const std::string n = m + ".normalization";
        const std::string normed = mGraph.add(
            "BatchNormalization", node(n, "BatchNormalization"),
            {conv, mWeights(n + ".weight"), mWeights(n + ".bias"), mWeights(n + ".running_mean"),
             mWeights(n + ".running_var")},
            {{"epsilon", 1e-5f}});
        return relu ? mGraph.add("Relu", node(m, "Relu"), {normed}) : normed;
    }

    std::string residual(const std::string &m, const std::string &x, std::int64_t in, std::int64_t out,
                         std::int64_t stride)
    {
        std::string y;
        if (mConfig.bottleneck) {
            const bool first = mConfig.downsampleInBottleneck;
            y = convLayer(m + ".layer.0", x, 1, first ? stride : 1, true);
            y = convLayer(m + ".layer.1", y, 3, first ? 1 : stride, true);
            y = convLayer(m + ".layer.2", y, 1, 1, false);
        } else {
            y = convLayer(m + ".layer.0", x, 3, stride, true);
            y = convLayer(m + ".layer.1", y, 3, 1, false);
        }
        const std::string shortcut = in != out || stride != 1 ? convLayer(m + ".shortcut", x, 1, stride, false) : x;
        return mGraph.add("Relu", node(m, "Relu"), {mGraph.add("Add", node(m, "Add"), {y, shortcut})});
    }

    const ResNetConfig &mConfig;
    OnnxGraphBuilder &mGraph;
    Weights mWeights;
};

} // namespace

namespace {

// One graph writer's model into `file`: the shared header, the graph, the metadata.
template <typename Writer, typename Model>
OnnxExportReport writeVisionOnnx(const Model &model, const std::filesystem::path &file, int opset,
                                 const std::string &architecture)
{
    c10::NoGradGuard noGrad;
    onnx::ModelProto proto;
    OnnxGraphBuilder graph(
        startOnnxModel(proto, opset, architecture + " fine-tuned with Finetune Studio", architecture));
    Writer(model, graph).write();
    finish(proto, model.config().id2label, toJson(model.config()));
    return {writeOnnxModel(proto, file), 0, opset};
}

} // namespace

OnnxExportReport writeVitOnnx(const VitForImageClassificationImpl &model, const std::filesystem::path &file, int opset)
{
    for (const auto &item : model.named_parameters())
        if (item.key().find(".lora_") != std::string::npos)
            throw Error(ErrorKind::InvalidInput, "cannot export a model with LoRA branches to ONNX: merge them first");
    return writeVisionOnnx<VitGraphWriter>(model, file, opset, "ViTForImageClassification");
}

OnnxExportReport writeResNetOnnx(const ResNetForImageClassificationImpl &model, const std::filesystem::path &file,
                                 int opset)
{
    return writeVisionOnnx<ResNetGraphWriter>(model, file, opset, "ResNetForImageClassification");
}

} // namespace ft
