// virtual_tokens.h: PEFT's prompt learning encoders as one LibTorch module, registered in an encoder
// as "prompt_encoder" (PEFT's attribute, less the adapter name):
//   prompt tuning (PromptEmbedding):  "embedding" [tokens, hidden], prepended to the word embeddings
//   prefix tuning (PrefixEncoder):    "embedding" [tokens, hidden] then "transform" (Linear, Tanh,
//                                     Linear to layers * 2 * hidden) while training with the projection;
//                                     "embedding" [tokens, layers * 2 * hidden] without it (or once
//                                     loaded from PEFT's prompt_embeddings)
// Each row of a prefix table holds, for one virtual token, every layer's key then value, head by head:
// column ((layer * 2 + kv) * heads + head) * head_dim + d, as PEFT's get_prompt views it.
#pragma once

#include "models/kv_cache.h"

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/pimpl.h>

#include <cstdint>

namespace ft {

enum class VirtualTokenKind { Prefix, Prompt };

struct VirtualTokensOptions {
    VirtualTokenKind kind = VirtualTokenKind::Prompt;
    std::int64_t numVirtualTokens = 20;
    std::int64_t tokenDim = 0;          // the model's hidden size
    std::int64_t numLayers = 0;
    std::int64_t numHeads = 0;
    bool projection = false;            // prefix only: train through the MLP
    std::int64_t encoderHiddenSize = 0; // the MLP's width; 0 = tokenDim
};

class VirtualTokensImpl : public torch::nn::Module {
public:
    // torch's default initialisation (embedding N(0, 1), Linear layers kaiming-uniform), as PEFT leaves
    // it, drawn on the CPU from `generator`. Throws ft::Error (InvalidInput) for sizes that do not fit.
    VirtualTokensImpl(const VirtualTokensOptions &options, at::Generator &generator);

    // What PEFT saves as prompt_embeddings: [tokens, hidden] for a prompt, [tokens, layers * 2 * hidden]
    // (the MLP's output when there is one) for a prefix.
    at::Tensor table();
    // Prompt tuning: [batch, tokens, hidden].
    at::Tensor prompts(std::int64_t batch);
    // Prefix tuning: [layers * 2, batch, heads, tokens, head_dim]; rows 2i and 2i + 1 are layer i's key and value.
    at::Tensor pastKeyValues(std::int64_t batch);
    // [batch, length] of 1/0 -> [batch, tokens + length]: every virtual token attended, as PEFT's forward does.
    at::Tensor extendMask(const at::Tensor &attentionMask) const;

    const VirtualTokensOptions &options() const { return mOptions; }
    std::int64_t count() const { return mOptions.numVirtualTokens; }
    // The table's width: hidden (prompt) or layers * 2 * hidden (prefix).
    std::int64_t width() const;

private:
    VirtualTokensOptions mOptions;
    torch::nn::Embedding mEmbedding{nullptr};
    torch::nn::Sequential mTransform{nullptr};
};
TORCH_MODULE(VirtualTokens);

// How a decoder (GPT-2, Llama) takes its virtual tokens in one call. Its callers' masks and positions
// cover the real tokens only, as PEFT's do; the virtual ones go in front.
struct DecoderVirtualTokens {
    KvCache *cache = nullptr;        // the cache to use: the caller's, or the local one a prefix needs
    bool prependPrompts = false;     // prompt tuning's first call: the prompts go before the embeddings
    std::int64_t count = 0;          // virtual tokens in front of the real ones (0 without)
};
// `tokens` may be null (no virtual tokens). A prefix fills an empty cache (the caller's, else `local`)
// with its keys and values for `layers` layers.
DecoderVirtualTokens decoderVirtualTokens(VirtualTokens tokens, KvCache *cache, KvCache &local,
                                          std::size_t layers, std::int64_t batch);

} // namespace ft
