// model_family.h: what each model family (config.json's model_type) offers:
// its input, its name for people, the training methods it supports and
// PEFT's default LoRA targets for it. Torch-free, for the run dialog, the
// CLI and the trainer alike.
#pragma once

#include "text/tokenizer.h"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace ft {

// PEFT's shorthand for every linear layer but the output layer.
inline constexpr const char *kLoraAllLinear = "all-linear";

struct ModelFamily {
    std::string modelType;                // "bert", "distilbert", "vit", "resnet"
    std::string displayName;              // "BERT", "DistilBERT", ...
    bool images = false;                  // classifies images (else text)
    std::vector<std::string> methods;     // run config "method" values it trains with
    std::vector<std::string> loraTargets; // PEFT's default target_modules; empty: no LoRA
    bool languageModel = false;           // also a causal LM: fine-tunes with task causal-lm and generates
    bool distils = false;                 // its classifiers teach students of fewer layers (train/distillation.h)
};

// config.json's model_type ("" when it has none); ft::Error naming the file when it cannot be read.
std::string configModelType(const std::filesystem::path &configFile);
// A text model's layers by its config (num_hidden_layers, DistilBERT's n_layers, GPT-2's n_layer); 0 without.
std::int64_t configLayerCount(const nlohmann::json &config);

// What inference needs to know of a text classifier's config, whatever its family.
struct TextModelShape {
    std::string modelType;
    std::int64_t vocabSize = 0;
    std::int64_t maxLength = 0;         // the longest input the position table takes
    std::vector<std::string> id2label;
    std::string problemType;
    std::int64_t numLabels() const { return std::int64_t(id2label.size()); }
};
// From config.json of BERT's family or GPT-2; ft::Error naming the file and key as their parsers do.
TextModelShape readTextModelShape(const std::filesystem::path &configFile);

// The tokenizer padding as the model expects: its own pad token, or else the
// config's pad_token_id (GPT-2 defines no pad token; its classifiers read the
// last token that is not pad_token_id, which fine-tuning sets to the end of text).
Tokenizer withModelPadding(const Tokenizer &tokenizer, const nlohmann::json &modelConfig);
// The tokenizer of a model folder, padding by the config.json beside it when there is one.
Tokenizer modelTokenizer(const std::filesystem::path &folder);

// The families this build trains, in the order the model picker lists them.
const std::vector<ModelFamily> &modelFamilies();
// The family of a model_type, or null when this build has none.
const ModelFamily *findModelFamily(const std::string &modelType);

// The LoRA targets of a run: lora_target_modules when the run names any,
// else the family's default (query and value for BERT, q_lin and v_lin for
// DistilBERT, as PEFT picks them).
std::vector<std::string> resolvedLoraTargets(const std::vector<std::string> &configured, const std::string &modelType);

} // namespace ft
