// bert_config.h: a BERT-family config.json as a typed struct: BERT itself,
// RoBERTa and XLM-R (BERT's keys), and DistilBERT (whose own key names, dim,
// n_layers, ..., map onto the same fields as transformers' attribute_map does). Torch-free, so the studio's
// pages and the CLI read configs without LibTorch; the original JSON is kept
// so a saved config still carries every field we do not model.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ft {

// The activations `hidden_act` may name; anything else is refused on load.
enum class HiddenAct {
    Gelu,            // "gelu": exact, with erf
    GeluNew,         // "gelu_new": the tanh approximation, written out as HF's NewGELUActivation
    GeluPytorchTanh, // "gelu_pytorch_tanh": the same approximation through torch's gelu(approximate="tanh")
    Relu,            // "relu"
};

class ConfigFieldReader;

std::string_view hiddenActName(HiddenAct act);
// The activation a config names under `key` (hidden_act, DistilBERT's activation, GPT-2's
// activation_function); Incompatible naming the key for one not supported.
HiddenAct readHiddenAct(const ConfigFieldReader &reader, const std::string &key, const std::string &fallback);
// "gelu, gelu_new, gelu_pytorch_tanh, relu": for messages.
std::string supportedHiddenActs();
// The text model_types this build loads: "bert, distilbert".
std::string supportedTextModelTypes();

struct BertConfig {
    std::string modelType = "bert";             // or "distilbert", "roberta", "xlm-roberta"
    std::vector<std::string> architectures;      // e.g. {"BertForSequenceClassification"}; may be empty
    std::int64_t vocabSize = 30522;
    std::int64_t hiddenSize = 768;
    std::int64_t numHiddenLayers = 12;
    std::int64_t numAttentionHeads = 12;
    std::int64_t intermediateSize = 3072;
    HiddenAct hiddenAct = HiddenAct::Gelu;
    double hiddenDropoutProb = 0.1;
    double attentionProbsDropoutProb = 0.1;
    std::optional<double> classifierDropout;     // null: the classifier uses hiddenDropoutProb
    std::int64_t maxPositionEmbeddings = 512;
    std::int64_t typeVocabSize = 2;              // DistilBERT: 0, no token types
    double layerNormEps = 1e-12;
    double initializerRange = 0.02;              // std of the normal init of Linear/Embedding weights
    std::optional<std::int64_t> padTokenId = 0;  // its word-embedding row starts at zero
    std::vector<std::string> id2label;           // label name by class id; num_labels is its size
    std::string problemType;                     // "", "regression", "single_label_classification",
                                                 // "multi_label_classification"
    nlohmann::json original = nlohmann::json::object(); // config.json as read

    bool isDistilBert() const { return modelType == "distilbert"; }
    // RoBERTa and XLM-R: BERT's encoder with positions counted from pad_token_id + 1, no pooler
    // and their own head (classifier.dense, classifier.out_proj).
    bool isRoberta() const { return modelType == "roberta" || modelType == "xlm-roberta"; }
    // The longest input the position table takes.
    std::int64_t maxSequenceLength() const
    {
        return isRoberta() ? maxPositionEmbeddings - *padTokenId - 1 : maxPositionEmbeddings;
    }
    std::int64_t numLabels() const { return std::int64_t(id2label.size()); }
    std::int64_t headDim() const { return hiddenSize / numAttentionHeads; }
    double classifierDropoutProb() const { return classifierDropout.value_or(hiddenDropoutProb); }
    std::optional<std::int64_t> labelId(std::string_view label) const;

    // Replaces the labels (a fine-tuning task's classes); refuses empty or repeated names.
    void setLabels(std::vector<std::string> labels);

    // The config as HF writes it: the original fields with ours written over them,
    // id2label/label2id included, num_labels derived.
    nlohmann::json toJson() const;

    // Parses and checks a config.json document; `source` names the file in errors.
    static BertConfig fromJson(const nlohmann::json &json, const std::string &source);
};

// Reads `file`, or `file`/config.json when `file` is a folder.
BertConfig loadBertConfig(const std::filesystem::path &file);
// Writes toJson() to `file` atomically (temporary file, fsync, rename).
void saveBertConfig(const BertConfig &config, const std::filesystem::path &file);

// Parameters of BertForSequenceClassification built from `config` (pooler and classifier included).
std::int64_t bertParameterCount(const BertConfig &config);

} // namespace ft
