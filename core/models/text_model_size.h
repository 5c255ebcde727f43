// text_model_size.h: a text model's sizes and parameter counts by part, from its config alone (no
// weights built, so a 7B model costs nothing): what the memory estimate (train/memory_estimate.h)
// needs of BERT, DistilBERT, RoBERTa, XLM-R, GPT-2 and Llama, as classifiers or causal LMs.
// Torch-free.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace ft {

struct BertConfig;

// A linear layer by PEFT's module name (what lora_target_modules names), with its sizes.
struct LinearShape {
    std::string name;
    std::int64_t in = 0;
    std::int64_t out = 0;
};

struct TextModelSize {
    std::string modelType;
    std::int64_t hidden = 0;
    std::int64_t layers = 0;
    std::int64_t heads = 0;
    std::int64_t intermediate = 0;
    std::int64_t vocab = 0;
    std::int64_t keyValueWidth = 0;       // one layer's keys per token: kv_heads x head_dim (prefix tuning's width)
    std::int64_t embeddingParameters = 0; // token, position and type embeddings (and their LayerNorm)
    std::int64_t layerParameters = 0;     // one layer's
    std::int64_t topParameters = 0;       // after the layers, not the head: BERT's pooler, GPT-2's ln_f, Llama's norm
    std::int64_t headParameters = 0;      // what trains beside a method (PEFT's modules_to_save): the classification
                                          // head; a causal LM's untied lm_head (which trains only in full runs)
    bool causalLm = false;
    std::vector<LinearShape> layerLinears; // each layer's linear layers
    std::vector<LinearShape> topLinears;   // others LoRA may adapt (BERT's pooler dense)
    std::int64_t mlpValuesPerToken = 0;    // what the feed-forward block keeps for backward, per token and layer

    std::int64_t parameters() const
    {
        return embeddingParameters + layers * layerParameters + topParameters + headParameters;
    }
};

// From config.json's contents (`source` names it in errors). `labels` > 0 replaces the config's label
// count; `causalLm` sizes the family's language model instead of its classifier. ft::Error
// (Incompatible) for a model_type without a text model here, else as the family's config parser.
TextModelSize textModelSize(const nlohmann::json &config, const std::string &source, std::int64_t labels = 0,
                            bool causalLm = false);
TextModelSize textModelSize(const BertConfig &config);

} // namespace ft
