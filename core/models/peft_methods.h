// peft_methods.h: the training methods beside LoRA on the text models (BERT, RoBERTa, XLM-R,
// DistilBERT, GPT-2, Llama): bottleneck adapters, prefix tuning and prompt tuning
// (models/peft_method_config.h).
// Applying one adds its modules to the classifier, freezes every other parameter and leaves the new
// ones and the classification head (PEFT's modules_to_save for SEQ_CLS) trainable.
//
// Names inside the model, so a Classifier::state() (training checkpoints, the run's model folder)
// carries them:
//   adapters  <encoder>.layer.<i>.output.adapter.{down_proj,up_proj}.{weight,bias}
//             (Houlsby also <encoder>.layer.<i>.attention.output.adapter...; DistilBERT:
//             distilbert.transformer.layer.<i>.{attention_adapter,output_adapter}...; GPT-2:
//             transformer.h.<i>.{attention_adapter,output_adapter}...; Llama:
//             model.layers.<i>.{attention_adapter,output_adapter}...)
//   prefix    <encoder>.prompt_encoder.embedding.weight [tokens, hidden], with the projection
//             <encoder>.prompt_encoder.transform.{0,2}.{weight,bias} (PEFT's PrefixEncoder)
//   prompt    <encoder>.prompt_encoder.embedding.weight [tokens, hidden] (PEFT's PromptEmbedding)
// where <encoder> is "bert", "roberta", "distilbert", "transformer" (GPT-2) or "model" (Llama).
//
// A run's model folder records the method in config.json under "finetune_method" (peftMethodRecord),
// so loadClassifier rebuilds the modules before reading model.safetensors. Prefix and prompt runs
// also get PEFT's adapter folder (models/prompt_adapter.h).
#pragma once

#include "models/classifier_factory.h"
#include "models/peft_method_config.h"
#include "models/virtual_tokens.h"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace ft {

class Classifier;

struct PeftMethodSummary {
    PeftMethodConfig config;              // as applied: sizes resolved
    std::vector<std::string> modules;     // the added modules' full names, in model order
    std::int64_t trainableParameters = 0;
    // PEFT's "all params": for prefix and prompt it counts the head twice (its ModulesToSaveWrapper keeps
    // the original beside the trained copy), as LoraSummary does.
    std::int64_t allParameters = 0;

    // "prefix tuning (20 virtual tokens): trainable params: 1,234 || all params: ... || trainable%: ..."
    std::string describe() const;
};

// The model_types that train with `method`, by modelFamilies(): "BERT, RoBERTa, ...".
std::string familiesWithMethod(PeftMethod method);

// `config` with the sizes filled in for `model`: the adapter's bottleneck (hidden / reduction factor,
// unless set) and the prefix MLP's width (the hidden size, unless set). ft::Error (InvalidInput) for
// sizes that do not fit the model.
PeftMethodConfig resolvePeftMethod(const Classifier &model, PeftMethodConfig config);

// Adds the method's modules (on the model's device), freezes every other parameter but the head's.
// Throws ft::Error: Incompatible for a family without the method (saying which families have it), or a
// model that already has a method's modules; InvalidInput for sizes that do not fit (a reduction
// factor above the hidden size, max length and virtual tokens beyond the positions, init token ids
// outside the vocabulary).
PeftMethodSummary applyPeftMethod(Classifier &model, const PeftMethodConfig &config);

// The sizes of a text classifier's encoder, from its config.
struct EncoderSizes {
    std::string modelType;
    std::int64_t hidden = 0;
    std::int64_t layers = 0;
    std::int64_t heads = 0;
    std::int64_t kvHeads = 0;   // key/value heads: fewer than heads with grouped-query attention (Llama)
    std::int64_t vocab = 0;
    std::int64_t maxLength = 0; // the longest input its positions take
};
EncoderSizes encoderSizesOf(const Classifier &model);

// The width and heads of a model's virtual tokens (PEFT's token_dim and num_attention_heads): the
// hidden size and the heads, but a prefix's keys and values are the attention's, with kv_heads of
// head_dim each (fewer than the heads with grouped-query attention).
struct VirtualTokenShape {
    std::int64_t tokenDim = 0;
    std::int64_t heads = 0;
};
VirtualTokenShape virtualTokenShape(const EncoderSizes &sizes, bool prefix);

// The model's virtual tokens, null without. Adding them: ft::Error (Incompatible) for a family
// without an encoder that takes them, or a model that has them already.
VirtualTokens virtualTokensOf(Classifier &model);
void addVirtualTokens(Classifier &model, VirtualTokens tokens);

// Whether a parameter name belongs to an adapter or virtual tokens.
bool isPeftMethodParameter(const std::string &name);
// Whether the model carries any.
bool hasPeftMethod(const Classifier &model);

// config.json's record of a resolved method, and back; nullopt when `modelConfig` has none. ft::Error
// (InvalidInput) naming `source` for a malformed record.
nlohmann::json peftMethodRecord(const PeftMethodConfig &config);
std::optional<PeftMethodConfig> peftMethodFromRecord(const nlohmann::json &modelConfig, const std::string &source);

// Adds the record to `modelFolder`/config.json (written by Classifier::save), atomically.
void recordPeftMethod(const std::filesystem::path &modelFolder, const PeftMethodConfig &config);

// A model folder whose config.json holds a record: the classifier built from config.json, the method
// applied, then every tensor of model.safetensors loaded (in eval mode, on the options' device).
// nullopt for a folder without a record.
std::optional<LoadedClassifier> loadPeftMethodClassifier(const std::filesystem::path &folder,
                                                         const ClassifierOptions &options);

} // namespace ft
