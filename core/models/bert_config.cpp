// bert_config.cpp: config.json parsing with HF BertConfig's defaults, and
// errors that name the file and the key.
#include "models/bert_config.h"

#include "common/error.h"
#include "common/json_depth.h"
#include "models/atomic_file.h"
#include "models/config_fields.h"

#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace ft {

namespace {

using nlohmann::json;

// Sizes above these are refused: far beyond any BERT-family checkpoint, they
// would only make the parameter count and memory estimates overflow.
constexpr std::int64_t kMaxTableSize = std::int64_t(1) << 24; // vocab_size, max_position_embeddings, type_vocab_size
constexpr std::int64_t kMaxWidth = std::int64_t(1) << 20;     // hidden_size, intermediate_size
constexpr std::int64_t kMaxLayers = 4096;

std::string checkModelType(const ConfigFieldReader &reader, const std::string &source)
{
    const json *value = reader.find("model_type");
    if (!value)
        throw Error(ErrorKind::InvalidInput,
                    source + ": missing required key 'model_type' (supported: " + supportedTextModelTypes() + ")");
    const std::string type = reader.text("model_type", "");
    if (type == "bert" || type == "distilbert" || type == "roberta" || type == "xlm-roberta")
        return type;
    // ELECTRA discriminators share BERT's encoder, but not its embeddings
    // (a projection when embedding_size != hidden_size) nor its pooler and head.
    std::string why = "model_type '" + type + "' is not supported yet (supported: " + supportedTextModelTypes() + ")";
    if (type == "electra")
        why = "model_type 'electra' is not supported yet: its embedding projection and classification head differ "
              "from BERT's (supported: " + supportedTextModelTypes() + ")";
    throw Error(ErrorKind::Incompatible, source + ": " + why);
}

void requireKeys(const ConfigFieldReader &reader, std::initializer_list<const char *> keys)
{
    for (const char *key : keys)
        if (!reader.find(key))
            throw Error(ErrorKind::InvalidInput, reader.source() + ": missing required key '" + key + "'");
}

void checkHeads(const ConfigFieldReader &reader, const BertConfig &config, const char *key)
{
    if (config.hiddenSize % config.numAttentionHeads != 0)
        reader.fail(key, "(" + std::to_string(config.numAttentionHeads) + ") must divide the hidden size ("
                             + std::to_string(config.hiddenSize) + ")");
}

void readBertShape(const ConfigFieldReader &reader, BertConfig &config)
{
    requireKeys(reader, {"vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size"});
    config.vocabSize = reader.integer("vocab_size", config.vocabSize, 1, kMaxTableSize);
    config.hiddenSize = reader.integer("hidden_size", config.hiddenSize, 1, kMaxWidth);
    config.numHiddenLayers = reader.integer("num_hidden_layers", config.numHiddenLayers, 0, kMaxLayers);
    config.numAttentionHeads = reader.integer("num_attention_heads", config.numAttentionHeads, 1);
    config.intermediateSize = reader.integer("intermediate_size", config.intermediateSize, 1, kMaxWidth);
    checkHeads(reader, config, "num_attention_heads");
    config.hiddenAct = readHiddenAct(reader, "hidden_act", "gelu");
    config.hiddenDropoutProb = reader.number("hidden_dropout_prob", config.hiddenDropoutProb, 0.0, 1.0);
    config.attentionProbsDropoutProb =
        reader.number("attention_probs_dropout_prob", config.attentionProbsDropoutProb, 0.0, 1.0);
    if (const json *value = reader.find("classifier_dropout"); value && !value->is_null())
        config.classifierDropout = reader.number("classifier_dropout", 0.0, 0.0, 1.0);
    config.maxPositionEmbeddings =
        reader.integer("max_position_embeddings", config.maxPositionEmbeddings, 1, kMaxTableSize);
    config.typeVocabSize = reader.integer("type_vocab_size", config.typeVocabSize, 1, kMaxTableSize);
    config.layerNormEps = reader.number("layer_norm_eps", config.layerNormEps, 0.0, 1.0);
    if (config.layerNormEps <= 0.0)
        reader.fail("layer_norm_eps", "must be positive");
    const std::string positions = reader.text("position_embedding_type", "absolute");
    if (positions != "absolute")
        reader.fail("position_embedding_type", "'" + positions + "' is not supported (supported: absolute)",
                    ErrorKind::Incompatible);
}

// DistilBertConfig's own names (transformers maps hidden_size to dim and so
// on the same way); LayerNorm's epsilon is fixed at 1e-12 and there are no
// token types.
void readDistilBertShape(const ConfigFieldReader &reader, BertConfig &config)
{
    requireKeys(reader, {"vocab_size", "dim", "n_layers", "n_heads", "hidden_dim"});
    config.vocabSize = reader.integer("vocab_size", config.vocabSize, 1, kMaxTableSize);
    config.hiddenSize = reader.integer("dim", config.hiddenSize, 1, kMaxWidth);
    config.numHiddenLayers = reader.integer("n_layers", 6, 0, kMaxLayers);
    config.numAttentionHeads = reader.integer("n_heads", config.numAttentionHeads, 1);
    config.intermediateSize = reader.integer("hidden_dim", config.intermediateSize, 1, kMaxWidth);
    checkHeads(reader, config, "n_heads");
    config.hiddenAct = readHiddenAct(reader, "activation", "gelu");
    config.hiddenDropoutProb = reader.number("dropout", config.hiddenDropoutProb, 0.0, 1.0);
    config.attentionProbsDropoutProb = reader.number("attention_dropout", config.attentionProbsDropoutProb, 0.0, 1.0);
    config.classifierDropout = reader.number("seq_classif_dropout", 0.2, 0.0, 1.0);
    config.maxPositionEmbeddings =
        reader.integer("max_position_embeddings", config.maxPositionEmbeddings, 1, kMaxTableSize);
    config.typeVocabSize = 0;
    config.layerNormEps = 1e-12;
    if (const json *sinusoidal = reader.find("sinusoidal_pos_embds"); sinusoidal && *sinusoidal == true)
        reader.fail("sinusoidal_pos_embds", "true is not supported (supported: false, learned positions)",
                    ErrorKind::Incompatible);
}

} // namespace

std::string_view hiddenActName(HiddenAct act)
{
    switch (act) {
    case HiddenAct::Gelu: return "gelu";
    case HiddenAct::GeluNew: return "gelu_new";
    case HiddenAct::GeluPytorchTanh: return "gelu_pytorch_tanh";
    case HiddenAct::Relu: return "relu";
    }
    return "gelu";
}

HiddenAct readHiddenAct(const ConfigFieldReader &reader, const std::string &key, const std::string &fallback)
{
    static const std::map<std::string, HiddenAct> kActs = {{"gelu", HiddenAct::Gelu},
                                                           {"gelu_new", HiddenAct::GeluNew},
                                                           {"gelu_pytorch_tanh", HiddenAct::GeluPytorchTanh},
                                                           {"relu", HiddenAct::Relu}};
    const std::string name = reader.text(key, fallback);
    const auto it = kActs.find(name);
    if (it == kActs.end())
        reader.fail(key, "'" + name + "' is not supported (supported: " + supportedHiddenActs() + ")",
                    ErrorKind::Incompatible);
    return it->second;
}

std::string supportedHiddenActs()
{
    return "gelu, gelu_new, gelu_pytorch_tanh, relu";
}

std::string supportedTextModelTypes()
{
    return "bert, distilbert, roberta, xlm-roberta";
}

std::optional<std::int64_t> BertConfig::labelId(std::string_view label) const
{
    for (std::size_t i = 0; i < id2label.size(); ++i)
        if (id2label[i] == label)
            return std::int64_t(i);
    return std::nullopt;
}

void BertConfig::setLabels(std::vector<std::string> labels)
{
    if (labels.empty())
        throw Error(ErrorKind::InvalidInput, "a classifier needs at least one label");
    if (std::set<std::string>(labels.begin(), labels.end()).size() != labels.size())
        throw Error(ErrorKind::InvalidInput, "the label names must be distinct");
    id2label = std::move(labels);
}

BertConfig BertConfig::fromJson(const nlohmann::json &document, const std::string &source)
{
    if (!document.is_object())
        throw Error(ErrorKind::InvalidInput, source + ": a config must be a JSON object");
    const ConfigFieldReader reader(document, source);
    BertConfig config;
    config.modelType = checkModelType(reader, source);
    config.original = document;
    if (const json *architectures = reader.find("architectures"); architectures && !architectures->is_null()) {
        if (!architectures->is_array())
            reader.fail("architectures", "must be a list of class names");
        for (const json &name : *architectures) {
            if (!name.is_string())
                reader.fail("architectures", "must be a list of class names, not " + architectures->dump());
            config.architectures.push_back(name.get<std::string>());
        }
    }
    if (config.isDistilBert())
        readDistilBertShape(reader, config);
    else
        readBertShape(reader, config);
    config.initializerRange = reader.number("initializer_range", config.initializerRange, 0.0, 10.0);
    if (const json *value = reader.find("pad_token_id"); value && value->is_null())
        config.padTokenId.reset();
    else
        config.padTokenId = reader.integer("pad_token_id", 0, 0);
    if (config.padTokenId && *config.padTokenId >= config.vocabSize)
        reader.fail("pad_token_id", "(" + std::to_string(*config.padTokenId) + ") must be below vocab_size (" +
                                        std::to_string(config.vocabSize) + ")");
    // RoBERTa counts positions from padding_idx + 1 (HF's create_position_ids_from_input_ids).
    if (config.isRoberta() && !config.padTokenId)
        reader.fail("pad_token_id", "is required by " + config.modelType + " (positions count from it)");
    if (config.isRoberta() && config.maxPositionEmbeddings <= *config.padTokenId + 1)
        reader.fail("max_position_embeddings", "must be above pad_token_id + 1 (" +
                                                   std::to_string(*config.padTokenId + 1) + ") for " + config.modelType);
    config.id2label = readConfigLabels(reader);
    config.problemType = reader.text("problem_type", "");
    if (!config.problemType.empty() && config.problemType != "regression" &&
        config.problemType != "single_label_classification" && config.problemType != "multi_label_classification")
        reader.fail("problem_type", "'" + config.problemType +
                                        "' is not one of regression, single_label_classification, "
                                        "multi_label_classification");
    return config;
}

nlohmann::json BertConfig::toJson() const
{
    json out = original.is_object() ? original : json::object();
    out["model_type"] = modelType;
    out["architectures"] = architectures;
    out["vocab_size"] = vocabSize;
    if (isDistilBert()) {
        out["dim"] = hiddenSize;
        out["n_layers"] = numHiddenLayers;
        out["n_heads"] = numAttentionHeads;
        out["hidden_dim"] = intermediateSize;
        out["activation"] = hiddenActName(hiddenAct);
        out["dropout"] = hiddenDropoutProb;
        out["attention_dropout"] = attentionProbsDropoutProb;
        out["seq_classif_dropout"] = classifierDropoutProb();
        out["sinusoidal_pos_embds"] = false;
    } else {
        out["hidden_size"] = hiddenSize;
        out["num_hidden_layers"] = numHiddenLayers;
        out["num_attention_heads"] = numAttentionHeads;
        out["intermediate_size"] = intermediateSize;
        out["hidden_act"] = hiddenActName(hiddenAct);
        out["hidden_dropout_prob"] = hiddenDropoutProb;
        out["attention_probs_dropout_prob"] = attentionProbsDropoutProb;
        out["classifier_dropout"] = classifierDropout ? json(*classifierDropout) : json(nullptr);
        out["type_vocab_size"] = typeVocabSize;
        out["layer_norm_eps"] = layerNormEps;
        if (!out.contains("position_embedding_type"))
            out["position_embedding_type"] = "absolute";
    }
    out["max_position_embeddings"] = maxPositionEmbeddings;
    out["initializer_range"] = initializerRange;
    out["pad_token_id"] = padTokenId ? json(*padTokenId) : json(nullptr);
    writeConfigLabels(out, id2label);
    out["problem_type"] = problemType.empty() ? json(nullptr) : json(problemType);
    return out;
}

BertConfig loadBertConfig(const std::filesystem::path &path)
{
    const std::filesystem::path file = std::filesystem::is_directory(path) ? path / "config.json" : path;
    std::ifstream in(file, std::ios::binary);
    if (!in)
        throw Error(ErrorKind::NotFound, "cannot open " + file.string());
    std::stringstream text;
    text << in.rdbuf();
    const std::string bytes = text.str();
    if (const auto deep = jsonTooDeep(bytes))
        throw Error(ErrorKind::InvalidInput, file.string() + ": invalid JSON: " + jsonTooDeepMessage(bytes, *deep));
    json document;
    try {
        document = json::parse(bytes);
    } catch (const json::exception &e) {
        // parse_error, or out_of_range for a number too large for a double (1e400).
        throw Error(ErrorKind::InvalidInput, file.string() + ": invalid JSON: " + e.what());
    }
    return BertConfig::fromJson(document, file.string());
}

void saveBertConfig(const BertConfig &config, const std::filesystem::path &file)
{
    writeFileAtomically(file, config.toJson().dump(2) + "\n");
}

std::int64_t bertParameterCount(const BertConfig &c)
{
    const std::int64_t h = c.hiddenSize;
    const std::int64_t embeddings = (c.vocabSize + c.maxPositionEmbeddings + c.typeVocabSize) * h + 2 * h;
    const std::int64_t layer = 4 * (h * h + h) + 2 * (h * c.intermediateSize) + c.intermediateSize + h + 4 * h;
    const std::int64_t pooler = h * h + h; // DistilBERT's pre_classifier has the same shape
    const std::int64_t classifier = c.numLabels() * h + c.numLabels();
    return embeddings + c.numHiddenLayers * layer + pooler + classifier;
}

} // namespace ft
