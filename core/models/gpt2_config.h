// gpt2_config.h: GPT-2's config.json (model_type "gpt2") as a typed struct
// with transformers' defaults and names (n_embd, n_layer, n_head, ...).
// Torch-free; the original JSON is kept so a saved config carries every field.
#pragma once

#include "models/bert_config.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace ft {

struct Gpt2Config {
    std::vector<std::string> architectures;
    std::int64_t vocabSize = 50257;
    std::int64_t nPositions = 1024;
    std::int64_t nEmbd = 768;
    std::int64_t nLayer = 12;
    std::int64_t nHead = 12;
    std::optional<std::int64_t> nInner;           // null: 4 x n_embd
    HiddenAct activation = HiddenAct::GeluNew;    // activation_function
    double residPdrop = 0.1;
    double embdPdrop = 0.1;
    double attnPdrop = 0.1;
    double layerNormEpsilon = 1e-5;
    double initializerRange = 0.02;
    std::optional<std::int64_t> padTokenId;       // the classifier pools the last token that is not this
    std::optional<std::int64_t> bosTokenId;
    std::optional<std::int64_t> eosTokenId;
    std::vector<std::string> id2label;
    std::string problemType;
    nlohmann::json original = nlohmann::json::object();

    std::int64_t innerSize() const { return nInner.value_or(4 * nEmbd); }
    std::int64_t headDim() const { return nEmbd / nHead; }
    std::int64_t numLabels() const { return std::int64_t(id2label.size()); }

    // Parses and checks a config document; `source` names the file in errors
    // (InvalidInput for a malformed field, Incompatible for an option not built).
    static Gpt2Config fromJson(const nlohmann::json &document, const std::string &source);
    // The original fields with ours written over them, labels included.
    nlohmann::json toJson() const;
};

// Reads `file`, or `file`/config.json when it is a folder.
Gpt2Config loadGpt2Config(const std::filesystem::path &file);
// Whether config.json's model_type is GPT-2's.
bool isGpt2ModelType(const std::string &modelType);

// Parameters of GPT2ForSequenceClassification (the score head has no bias).
std::int64_t gpt2ParameterCount(const Gpt2Config &config);

} // namespace ft
