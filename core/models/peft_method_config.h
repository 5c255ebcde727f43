// peft_method_config.h: what the parameter-efficient methods beside LoRA add to a text classifier
// (bottleneck adapters, prefix tuning, prompt tuning), as a plain struct. Torch-free, so the run
// configuration and the studio's pages use it too.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ft {

enum class PeftMethod {
    Adapter, // bottleneck adapters inside every layer
    Prefix,  // PEFT's PREFIX_TUNING: trained keys and values before every layer's own
    Prompt,  // PEFT's PROMPT_TUNING: trained embeddings before the input's
};

// Where bottleneck adapters go. Pfeiffer: after each layer's feed-forward block; Houlsby: after its
// attention output projection as well. Either way before the residual LayerNorm.
enum class AdapterType { Pfeiffer, Houlsby };

struct PeftMethodConfig {
    PeftMethod method = PeftMethod::Adapter;
    AdapterType adapterType = AdapterType::Pfeiffer;
    std::int64_t adapterReductionFactor = 16; // bottleneck = hidden size / this, at least 1
    std::int64_t adapterBottleneckSize = 0;   // > 0: the bottleneck itself (a saved model's), over the factor
    std::int64_t numVirtualTokens = 20;       // prefix and prompt
    bool prefixProjection = true;             // prefix: train through PEFT's MLP (Embedding, Linear, tanh, Linear)
    std::int64_t encoderHiddenSize = 0;       // prefix: the MLP's width; 0 = the model's hidden size
    // prompt: the token ids (special tokens included, as PEFT's TEXT init tokenises) whose word embeddings,
    // repeated or cut to numVirtualTokens, start the prompt; empty starts it at random (PEFT's RANDOM).
    std::vector<std::int64_t> promptInitTokenIds;
    std::string promptInitText;               // the text behind promptInitTokenIds, for adapter_config.json
    std::int64_t maxInputLength = 0;          // > 0: refuse when it and the virtual tokens exceed the positions
    std::uint64_t seed = 42;                  // the new parameters' initial values
};

// The key of a run's model folder's config.json that records the method (models/peft_methods.h).
inline constexpr const char *kPeftMethodKey = "finetune_method";

// "adapter", "prefix", "prompt": the run configuration's method names.
std::string toString(PeftMethod method);
// "houlsby", "pfeiffer".
std::string toString(AdapterType type);

} // namespace ft
