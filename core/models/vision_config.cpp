// vision_config.cpp: ViTConfig and ResNetConfig fields, checked.
#include "models/vision_config.h"

#include "common/error.h"
#include "models/config_fields.h"

namespace ft {

namespace {

using nlohmann::json;

constexpr std::int64_t kMaxWidth = std::int64_t(1) << 20;
constexpr std::int64_t kMaxLayers = 4096;

void checkType(const ConfigFieldReader &reader, const char *expected)
{
    const std::string type = reader.text("model_type", "");
    if (type != expected)
        reader.fail("model_type", "is '" + type + "', expected '" + expected + "'", ErrorKind::Incompatible);
}

std::vector<std::int64_t> sizes(const ConfigFieldReader &reader, const char *key, std::vector<std::int64_t> fallback,
                                std::int64_t minimum)
{
    const json *value = reader.find(key);
    if (!value)
        return fallback;
    if (!value->is_array() || value->empty())
        reader.fail(key, "must be a non-empty list of whole numbers");
    std::vector<std::int64_t> out;
    for (const json &item : *value) {
        if (!item.is_number_integer() || item.get<std::int64_t>() < minimum || item.get<std::int64_t>() > kMaxWidth)
            reader.fail(key, "must hold whole numbers from " + std::to_string(minimum) + " to "
                                 + std::to_string(kMaxWidth) + ", not " + item.dump());
        out.push_back(item.get<std::int64_t>());
    }
    return out;
}

} // namespace

VitConfig vitConfigFromJson(const json &document, const std::string &source)
{
    if (!document.is_object())
        throw Error(ErrorKind::InvalidInput, source + ": a config must be a JSON object");
    const ConfigFieldReader reader(document, source);
    checkType(reader, "vit");
    VitConfig c;
    c.original = document;
    c.imageSize = reader.integer("image_size", c.imageSize, 1, 65536);
    c.patchSize = reader.integer("patch_size", c.patchSize, 1, 65536);
    c.numChannels = reader.integer("num_channels", c.numChannels, 3, 3);
    c.hiddenSize = reader.integer("hidden_size", c.hiddenSize, 1, kMaxWidth);
    c.numHiddenLayers = reader.integer("num_hidden_layers", c.numHiddenLayers, 0, kMaxLayers);
    c.numAttentionHeads = reader.integer("num_attention_heads", c.numAttentionHeads, 1, kMaxWidth);
    c.intermediateSize = reader.integer("intermediate_size", c.intermediateSize, 1, kMaxWidth);
    if (c.hiddenSize % c.numAttentionHeads != 0)
        reader.fail("num_attention_heads", "(" + std::to_string(c.numAttentionHeads) + ") must divide hidden_size ("
                                               + std::to_string(c.hiddenSize) + ")");
    if (c.imageSize % c.patchSize != 0)
        reader.fail("patch_size", "(" + std::to_string(c.patchSize) + ") must divide image_size ("
                                      + std::to_string(c.imageSize) + ")");
    const std::string act = reader.text("hidden_act", "gelu");
    if (act != "gelu" && act != "gelu_new" && act != "gelu_pytorch_tanh")
        reader.fail("hidden_act", "'" + act + "' is not supported (supported: gelu, gelu_new, gelu_pytorch_tanh)",
                    ErrorKind::Incompatible);
    c.geluTanh = act != "gelu";
    c.hiddenDropoutProb = reader.number("hidden_dropout_prob", c.hiddenDropoutProb, 0.0, 1.0);
    c.attentionProbsDropoutProb = reader.number("attention_probs_dropout_prob", c.attentionProbsDropoutProb, 0.0, 1.0);
    c.layerNormEps = reader.number("layer_norm_eps", c.layerNormEps, 0.0, 1.0);
    if (c.layerNormEps <= 0.0)
        reader.fail("layer_norm_eps", "must be positive");
    c.initializerRange = reader.number("initializer_range", c.initializerRange, 0.0, 10.0);
    if (const json *bias = reader.find("qkv_bias")) {
        if (!bias->is_boolean())
            reader.fail("qkv_bias", "must be true or false");
        c.qkvBias = bias->get<bool>();
    }
    if (const json *stride = reader.find("encoder_stride"); stride && !stride->is_number_integer())
        reader.fail("encoder_stride", "must be a whole number");
    c.id2label = readConfigLabels(reader);
    return c;
}

ResNetConfig resNetConfigFromJson(const json &document, const std::string &source)
{
    if (!document.is_object())
        throw Error(ErrorKind::InvalidInput, source + ": a config must be a JSON object");
    const ConfigFieldReader reader(document, source);
    checkType(reader, "resnet");
    ResNetConfig c;
    c.original = document;
    c.numChannels = reader.integer("num_channels", c.numChannels, 3, 3);
    c.embeddingSize = reader.integer("embedding_size", c.embeddingSize, 1, kMaxWidth);
    c.hiddenSizes = sizes(reader, "hidden_sizes", c.hiddenSizes, 1);
    c.depths = sizes(reader, "depths", c.depths, 1);
    if (c.hiddenSizes.size() != c.depths.size())
        reader.fail("depths", "must have one entry per hidden_sizes entry (" + std::to_string(c.hiddenSizes.size())
                                  + "), not " + std::to_string(c.depths.size()));
    const std::string layerType = reader.text("layer_type", "bottleneck");
    if (layerType != "bottleneck" && layerType != "basic")
        reader.fail("layer_type", "must be \"basic\" or \"bottleneck\", not \"" + layerType + "\"");
    c.bottleneck = layerType == "bottleneck";
    if (c.bottleneck)
        for (const std::int64_t size : c.hiddenSizes)
            if (size < 4)
                reader.fail("hidden_sizes", "must be at least 4 for bottleneck layers (they reduce by 4)");
    const std::string act = reader.text("hidden_act", "relu");
    if (act != "relu")
        reader.fail("hidden_act", "'" + act + "' is not supported (supported: relu)", ErrorKind::Incompatible);
    for (const auto &[key, target] : {std::pair{"downsample_in_first_stage", &c.downsampleInFirstStage},
                                      std::pair{"downsample_in_bottleneck", &c.downsampleInBottleneck}}) {
        if (const json *value = reader.find(key)) {
            if (!value->is_boolean())
                reader.fail(key, "must be true or false");
            *target = value->get<bool>();
        }
    }
    c.id2label = readConfigLabels(reader);
    return c;
}

std::int64_t parameterCount(const VitConfig &c)
{
    const std::int64_t h = c.hiddenSize, i = c.intermediateSize;
    const std::int64_t embeddings = c.numChannels * c.patchSize * c.patchSize * h + h // patch convolution
                                    + h + (c.numPatches() + 1) * h;                   // [CLS], positions
    const std::int64_t layer = 4 * (h * h + h) + (h * i + i) + (i * h + h) + 4 * h; // attention, MLP, 2 LayerNorms
    return embeddings + c.numHiddenLayers * layer + 2 * h + (h * c.numLabels() + c.numLabels());
}

std::int64_t parameterCount(const ResNetConfig &c)
{
    const auto conv = [](std::int64_t in, std::int64_t out, std::int64_t kernel) {
        return kernel * kernel * in * out + 2 * out; // no bias; batch norm's weight and bias
    };
    std::int64_t total = conv(c.numChannels, c.embeddingSize, 7);
    std::int64_t in = c.embeddingSize;
    for (std::size_t s = 0; s < c.hiddenSizes.size(); ++s) {
        const std::int64_t out = c.hiddenSizes[s];
        for (std::int64_t l = 0; l < c.depths[s]; ++l) {
            const std::int64_t from = l == 0 ? in : out;
            const bool stride = l == 0 && (s > 0 || c.downsampleInFirstStage);
            if (from != out || stride)
                total += conv(from, out, 1); // the projection shortcut
            if (c.bottleneck) {
                const std::int64_t r = out / 4;
                total += conv(from, r, 1) + conv(r, r, 3) + conv(r, out, 1);
            } else {
                total += conv(from, out, 3) + conv(out, out, 3);
            }
        }
        in = out;
    }
    return total + in * c.numLabels() + c.numLabels();
}

json toJson(const VitConfig &c)
{
    json out = c.original.is_object() ? c.original : json::object();
    out["model_type"] = "vit";
    out["image_size"] = c.imageSize;
    out["patch_size"] = c.patchSize;
    out["num_channels"] = c.numChannels;
    out["hidden_size"] = c.hiddenSize;
    out["num_hidden_layers"] = c.numHiddenLayers;
    out["num_attention_heads"] = c.numAttentionHeads;
    out["intermediate_size"] = c.intermediateSize;
    if (!c.geluTanh)
        out["hidden_act"] = "gelu";
    else if (!out.contains("hidden_act") || out["hidden_act"] == "gelu")
        out["hidden_act"] = "gelu_new";
    out["hidden_dropout_prob"] = c.hiddenDropoutProb;
    out["attention_probs_dropout_prob"] = c.attentionProbsDropoutProb;
    out["layer_norm_eps"] = c.layerNormEps;
    out["initializer_range"] = c.initializerRange;
    out["qkv_bias"] = c.qkvBias;
    writeConfigLabels(out, c.id2label);
    return out;
}

json toJson(const ResNetConfig &c)
{
    json out = c.original.is_object() ? c.original : json::object();
    out["model_type"] = "resnet";
    out["num_channels"] = c.numChannels;
    out["embedding_size"] = c.embeddingSize;
    out["hidden_sizes"] = c.hiddenSizes;
    out["depths"] = c.depths;
    out["layer_type"] = c.bottleneck ? "bottleneck" : "basic";
    out["hidden_act"] = "relu";
    out["downsample_in_first_stage"] = c.downsampleInFirstStage;
    out["downsample_in_bottleneck"] = c.downsampleInBottleneck;
    writeConfigLabels(out, c.id2label);
    return out;
}

bool isImageModelType(const std::string &modelType)
{
    return modelType == "vit" || modelType == "resnet";
}

} // namespace ft
