// gpt2_config.cpp
#include "models/gpt2_config.h"

#include "common/error.h"
#include "models/config_fields.h"
#include "text/json_file.h"

namespace ft {

namespace {

using nlohmann::json;

constexpr std::int64_t kMaxTableSize = std::int64_t(1) << 24;
constexpr std::int64_t kMaxWidth = std::int64_t(1) << 20;
constexpr std::int64_t kMaxLayers = 4096;

std::optional<std::int64_t> optionalId(const ConfigFieldReader &reader, const char *key, std::int64_t vocabSize)
{
    const json *value = reader.find(key);
    if (!value || value->is_null())
        return std::nullopt;
    const std::int64_t id = reader.integer(key, 0, 0);
    if (id >= vocabSize)
        reader.fail(key, "(" + std::to_string(id) + ") must be below vocab_size (" + std::to_string(vocabSize) + ")");
    return id;
}

void refuseTrue(const ConfigFieldReader &reader, const char *key)
{
    if (const json *value = reader.find(key); value && *value == true)
        reader.fail(key, "true is not supported", ErrorKind::Incompatible);
}

} // namespace

Gpt2Config Gpt2Config::fromJson(const json &document, const std::string &source)
{
    if (!document.is_object())
        throw Error(ErrorKind::InvalidInput, source + ": a config must be a JSON object");
    const ConfigFieldReader reader(document, source);
    if (reader.text("model_type", "") != "gpt2")
        reader.fail("model_type", "must be \"gpt2\"");
    Gpt2Config c;
    c.original = document;
    if (const json *architectures = reader.find("architectures"); architectures && architectures->is_array())
        for (const json &name : *architectures)
            if (name.is_string())
                c.architectures.push_back(name.get<std::string>());
    c.vocabSize = reader.integer("vocab_size", c.vocabSize, 1, kMaxTableSize);
    c.nPositions = reader.integer("n_positions", c.nPositions, 1, kMaxTableSize);
    c.nEmbd = reader.integer("n_embd", c.nEmbd, 1, kMaxWidth);
    c.nLayer = reader.integer("n_layer", c.nLayer, 0, kMaxLayers);
    c.nHead = reader.integer("n_head", c.nHead, 1, kMaxWidth);
    if (c.nEmbd % c.nHead != 0)
        reader.fail("n_head", "(" + std::to_string(c.nHead) + ") must divide n_embd (" + std::to_string(c.nEmbd) + ")");
    if (const json *inner = reader.find("n_inner"); inner && !inner->is_null())
        c.nInner = reader.integer("n_inner", 0, 1, kMaxWidth);
    c.activation = readHiddenAct(reader, "activation_function", "gelu_new");
    c.residPdrop = reader.number("resid_pdrop", c.residPdrop, 0.0, 1.0);
    c.embdPdrop = reader.number("embd_pdrop", c.embdPdrop, 0.0, 1.0);
    c.attnPdrop = reader.number("attn_pdrop", c.attnPdrop, 0.0, 1.0);
    c.layerNormEpsilon = reader.number("layer_norm_epsilon", c.layerNormEpsilon, 0.0, 1.0);
    if (c.layerNormEpsilon <= 0)
        reader.fail("layer_norm_epsilon", "must be positive");
    c.initializerRange = reader.number("initializer_range", c.initializerRange, 0.0, 10.0);
    if (const json *scale = reader.find("scale_attn_weights"); scale && *scale == false)
        reader.fail("scale_attn_weights", "false is not supported", ErrorKind::Incompatible);
    refuseTrue(reader, "scale_attn_by_inverse_layer_idx");
    refuseTrue(reader, "reorder_and_upcast_attn");
    c.padTokenId = optionalId(reader, "pad_token_id", c.vocabSize);
    c.bosTokenId = optionalId(reader, "bos_token_id", c.vocabSize);
    c.eosTokenId = optionalId(reader, "eos_token_id", c.vocabSize);
    c.id2label = readConfigLabels(reader);
    c.problemType = reader.text("problem_type", "");
    return c;
}

json Gpt2Config::toJson() const
{
    json out = original.is_object() ? original : json::object();
    out["model_type"] = "gpt2";
    out["architectures"] = architectures;
    out["vocab_size"] = vocabSize;
    out["n_positions"] = nPositions;
    out["n_embd"] = nEmbd;
    out["n_layer"] = nLayer;
    out["n_head"] = nHead;
    out["n_inner"] = nInner ? json(*nInner) : json(nullptr);
    out["activation_function"] = hiddenActName(activation);
    out["resid_pdrop"] = residPdrop;
    out["embd_pdrop"] = embdPdrop;
    out["attn_pdrop"] = attnPdrop;
    out["layer_norm_epsilon"] = layerNormEpsilon;
    out["initializer_range"] = initializerRange;
    const auto id = [](const std::optional<std::int64_t> &value) { return value ? json(*value) : json(nullptr); };
    out["pad_token_id"] = id(padTokenId);
    out["bos_token_id"] = id(bosTokenId);
    out["eos_token_id"] = id(eosTokenId);
    writeConfigLabels(out, id2label);
    out["problem_type"] = problemType.empty() ? json(nullptr) : json(problemType);
    return out;
}

Gpt2Config loadGpt2Config(const std::filesystem::path &path)
{
    const std::filesystem::path file = std::filesystem::is_directory(path) ? path / "config.json" : path;
    return Gpt2Config::fromJson(JsonFile::read(file).root(), file.string());
}

bool isGpt2ModelType(const std::string &modelType)
{
    return modelType == "gpt2";
}

std::int64_t gpt2ParameterCount(const Gpt2Config &c)
{
    const std::int64_t n = c.nEmbd, inner = c.innerSize();
    const std::int64_t block = 2 * 2 * n + (n * 3 * n + 3 * n) + (n * n + n) + (n * inner + inner) + (inner * n + n);
    return (c.vocabSize + c.nPositions) * n + c.nLayer * block + 2 * n + c.numLabels() * n;
}

} // namespace ft
