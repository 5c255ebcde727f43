// llama_config.h: a Llama config.json (model_type "llama") as a typed struct
// with transformers' names and defaults (hidden_size, num_key_value_heads,
// rms_norm_eps, rope_theta, ...). Torch-free; the original JSON is kept so a
// saved config carries every field.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace ft {

struct LlamaConfig {
    std::vector<std::string> architectures;
    std::int64_t vocabSize = 32000;
    std::int64_t hiddenSize = 4096;
    std::int64_t intermediateSize = 11008;
    std::int64_t numHiddenLayers = 32;
    std::int64_t numAttentionHeads = 32;
    std::int64_t numKeyValueHeads = 32;           // absent or null: num_attention_heads (no grouping)
    std::optional<std::int64_t> headDimension;    // head_dim; null: hidden_size / num_attention_heads
    std::string hiddenAct = "silu";               // the SwiGLU gate; the only one supported
    std::int64_t maxPositionEmbeddings = 2048;    // informational: rotary positions have no table
    double initializerRange = 0.02;
    double rmsNormEps = 1e-6;
    double ropeTheta = 10000.0;
    double attentionDropout = 0.0;
    bool tieWordEmbeddings = false;               // lm_head is embed_tokens (not stored)
    std::optional<std::int64_t> padTokenId;       // the classifier pools the last token that is not this
    std::optional<std::int64_t> bosTokenId = 1;
    std::vector<std::int64_t> eosTokenIds{2};     // eos_token_id: one id, or a list (Llama 3)
    std::vector<std::string> id2label;
    std::string problemType;
    nlohmann::json original = nlohmann::json::object();

    std::int64_t headDim() const { return headDimension.value_or(hiddenSize / numAttentionHeads); }
    // Query heads that share one key/value head.
    std::int64_t kvGroups() const { return numAttentionHeads / numKeyValueHeads; }
    std::int64_t numLabels() const { return std::int64_t(id2label.size()); }

    // Parses and checks a config document; `source` names the file in errors
    // (InvalidInput for a malformed field, Incompatible for an option not built:
    // rope_scaling, attention_bias, mlp_bias, an activation other than silu).
    static LlamaConfig fromJson(const nlohmann::json &document, const std::string &source);
    // The original fields with ours written over them, labels included.
    nlohmann::json toJson() const;
};

// Reads `file`, or `file`/config.json when it is a folder.
LlamaConfig loadLlamaConfig(const std::filesystem::path &file);
// Writes toJson() to `file` atomically.
void saveLlamaConfig(const LlamaConfig &config, const std::filesystem::path &file);
// Whether config.json's model_type is Llama's.
bool isLlamaModelType(const std::string &modelType);

enum class LlamaHead { SequenceClassification, CausalLm };

// Parameters of LlamaForSequenceClassification (score, no bias) or of
// LlamaForCausalLM (lm_head, none when tied to the embedding).
std::int64_t llamaParameterCount(const LlamaConfig &config, LlamaHead head = LlamaHead::SequenceClassification);

} // namespace ft
