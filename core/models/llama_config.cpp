// llama_config.cpp
#include "models/llama_config.h"

#include "common/error.h"
#include "models/atomic_file.h"
#include "models/config_fields.h"
#include "text/json_file.h"

namespace ft {

namespace {

using nlohmann::json;

constexpr std::int64_t kMaxTableSize = std::int64_t(1) << 24;
constexpr std::int64_t kMaxWidth = std::int64_t(1) << 20;
constexpr std::int64_t kMaxLayers = 4096;

// A token id below vocab_size: `fallback` when the key is absent, none when it is null.
std::optional<std::int64_t> optionalId(const ConfigFieldReader &reader, const char *key,
                                       std::optional<std::int64_t> fallback, std::int64_t vocabSize)
{
    const json *value = reader.find(key);
    if (!value)
        return fallback;
    if (value->is_null())
        return std::nullopt;
    const std::int64_t id = reader.integer(key, 0, 0);
    if (id >= vocabSize)
        reader.fail(key, "(" + std::to_string(id) + ") must be below vocab_size (" + std::to_string(vocabSize) + ")");
    return id;
}

// eos_token_id: an id or, as Llama 3 writes it, a list of ids.
std::vector<std::int64_t> eosIds(const ConfigFieldReader &reader, std::int64_t vocabSize)
{
    const json *value = reader.find("eos_token_id");
    if (!value || !value->is_array()) {
        const std::optional<std::int64_t> id = optionalId(reader, "eos_token_id", 2, vocabSize);
        return id ? std::vector<std::int64_t>{*id} : std::vector<std::int64_t>{};
    }
    std::vector<std::int64_t> ids;
    for (const json &item : *value) {
        if (!item.is_number_integer() || item.get<std::int64_t>() < 0 || item.get<std::int64_t>() >= vocabSize)
            reader.fail("eos_token_id", "must hold token ids below vocab_size (" + std::to_string(vocabSize) +
                                            "), not " + item.dump());
        ids.push_back(item.get<std::int64_t>());
    }
    return ids;
}

bool flag(const ConfigFieldReader &reader, const char *key, bool fallback)
{
    const json *value = reader.find(key);
    if (!value || value->is_null())
        return fallback;
    if (!value->is_boolean())
        reader.fail(key, "must be true or false, not " + value->dump());
    return value->get<bool>();
}

// attention_bias and mlp_bias: the projections are built without biases.
void refuseBias(const ConfigFieldReader &reader, const char *key)
{
    if (flag(reader, key, false))
        reader.fail(key, "true is not supported (supported: false, projections without bias)",
                    ErrorKind::Incompatible);
}

} // namespace

LlamaConfig LlamaConfig::fromJson(const json &document, const std::string &source)
{
    if (!document.is_object())
        throw Error(ErrorKind::InvalidInput, source + ": a config must be a JSON object");
    const ConfigFieldReader reader(document, source);
    if (reader.text("model_type", "") != "llama")
        reader.fail("model_type", "must be \"llama\"");
    LlamaConfig c;
    c.original = document;
    if (const json *architectures = reader.find("architectures"); architectures && architectures->is_array())
        for (const json &name : *architectures)
            if (name.is_string())
                c.architectures.push_back(name.get<std::string>());
    c.vocabSize = reader.integer("vocab_size", c.vocabSize, 1, kMaxTableSize);
    c.hiddenSize = reader.integer("hidden_size", c.hiddenSize, 1, kMaxWidth);
    c.intermediateSize = reader.integer("intermediate_size", c.intermediateSize, 1, kMaxWidth);
    c.numHiddenLayers = reader.integer("num_hidden_layers", c.numHiddenLayers, 0, kMaxLayers);
    c.numAttentionHeads = reader.integer("num_attention_heads", c.numAttentionHeads, 1, kMaxWidth);
    c.numKeyValueHeads = c.numAttentionHeads;
    if (const json *kv = reader.find("num_key_value_heads"); kv && !kv->is_null())
        c.numKeyValueHeads = reader.integer("num_key_value_heads", 0, 1, kMaxWidth);
    if (c.numAttentionHeads % c.numKeyValueHeads != 0)
        reader.fail("num_key_value_heads", "(" + std::to_string(c.numKeyValueHeads) +
                                               ") must divide num_attention_heads (" +
                                               std::to_string(c.numAttentionHeads) + ")");
    if (const json *headDim = reader.find("head_dim"); headDim && !headDim->is_null())
        c.headDimension = reader.integer("head_dim", 0, 1, kMaxWidth);
    else if (c.hiddenSize % c.numAttentionHeads != 0)
        reader.fail("num_attention_heads", "(" + std::to_string(c.numAttentionHeads) + ") must divide hidden_size (" +
                                               std::to_string(c.hiddenSize) + ")");
    if (c.headDim() % 2 != 0) // rotate_half splits each head in two
        reader.fail(c.headDimension ? "head_dim" : "num_attention_heads",
                    "gives an odd head dimension (" + std::to_string(c.headDim()) +
                        "); rotary embeddings need an even one");
    c.hiddenAct = reader.text("hidden_act", c.hiddenAct);
    if (c.hiddenAct != "silu")
        reader.fail("hidden_act", "'" + c.hiddenAct + "' is not supported (supported: silu)", ErrorKind::Incompatible);
    c.maxPositionEmbeddings = reader.integer("max_position_embeddings", c.maxPositionEmbeddings, 1, kMaxTableSize);
    c.initializerRange = reader.number("initializer_range", c.initializerRange, 0.0, 10.0);
    c.rmsNormEps = reader.number("rms_norm_eps", c.rmsNormEps, 0.0, 1.0);
    if (c.rmsNormEps <= 0)
        reader.fail("rms_norm_eps", "must be positive");
    c.ropeTheta = reader.number("rope_theta", c.ropeTheta, 0.0, 1e30);
    if (c.ropeTheta <= 0)
        reader.fail("rope_theta", "must be positive");
    if (const json *scaling = reader.find("rope_scaling"); scaling && !scaling->is_null())
        reader.fail("rope_scaling", scaling->dump() + " is not supported (supported: null, unscaled rotary embeddings)",
                    ErrorKind::Incompatible);
    refuseBias(reader, "attention_bias");
    refuseBias(reader, "mlp_bias");
    c.attentionDropout = reader.number("attention_dropout", c.attentionDropout, 0.0, 1.0);
    c.tieWordEmbeddings = flag(reader, "tie_word_embeddings", c.tieWordEmbeddings);
    c.padTokenId = optionalId(reader, "pad_token_id", std::nullopt, c.vocabSize);
    c.bosTokenId = optionalId(reader, "bos_token_id", c.bosTokenId, c.vocabSize);
    c.eosTokenIds = eosIds(reader, c.vocabSize);
    c.id2label = readConfigLabels(reader);
    c.problemType = reader.text("problem_type", "");
    return c;
}

json LlamaConfig::toJson() const
{
    json out = original.is_object() ? original : json::object();
    out["model_type"] = "llama";
    out["architectures"] = architectures;
    out["vocab_size"] = vocabSize;
    out["hidden_size"] = hiddenSize;
    out["intermediate_size"] = intermediateSize;
    out["num_hidden_layers"] = numHiddenLayers;
    out["num_attention_heads"] = numAttentionHeads;
    out["num_key_value_heads"] = numKeyValueHeads;
    if (headDimension)
        out["head_dim"] = *headDimension;
    out["hidden_act"] = hiddenAct;
    out["max_position_embeddings"] = maxPositionEmbeddings;
    out["initializer_range"] = initializerRange;
    out["rms_norm_eps"] = rmsNormEps;
    out["rope_theta"] = ropeTheta;
    out["rope_scaling"] = nullptr;
    out["attention_bias"] = false;
    out["mlp_bias"] = false;
    out["attention_dropout"] = attentionDropout;
    out["tie_word_embeddings"] = tieWordEmbeddings;
    const auto id = [](const std::optional<std::int64_t> &value) { return value ? json(*value) : json(nullptr); };
    out["pad_token_id"] = id(padTokenId);
    out["bos_token_id"] = id(bosTokenId);
    out["eos_token_id"] = eosTokenIds.size() == 1 ? json(eosTokenIds[0])
                          : eosTokenIds.empty()   ? json(nullptr)
                                                  : json(eosTokenIds);
    writeConfigLabels(out, id2label);
    out["problem_type"] = problemType.empty() ? json(nullptr) : json(problemType);
    return out;
}

LlamaConfig loadLlamaConfig(const std::filesystem::path &path)
{
    const std::filesystem::path file = std::filesystem::is_directory(path) ? path / "config.json" : path;
    return LlamaConfig::fromJson(JsonFile::read(file).root(), file.string());
}

void saveLlamaConfig(const LlamaConfig &config, const std::filesystem::path &file)
{
    writeFileAtomically(file, config.toJson().dump(2) + "\n");
}

bool isLlamaModelType(const std::string &modelType)
{
    return modelType == "llama";
}

std::int64_t llamaParameterCount(const LlamaConfig &c, LlamaHead head)
{
    const std::int64_t n = c.hiddenSize, attention = c.numAttentionHeads * c.headDim();
    const std::int64_t kv = c.numKeyValueHeads * c.headDim();
    const std::int64_t layer = n * attention + 2 * n * kv + attention * n + 3 * n * c.intermediateSize + 2 * n;
    const std::int64_t body = c.vocabSize * n + c.numHiddenLayers * layer + n;
    if (head == LlamaHead::CausalLm)
        return body + (c.tieWordEmbeddings ? 0 : c.vocabSize * n);
    return body + c.numLabels() * n;
}

} // namespace ft
