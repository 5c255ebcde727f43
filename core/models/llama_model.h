// llama_model.h: Llama as LibTorch modules under Hugging Face's names
// (model.embed_tokens, model.layers.0.self_attn.q_proj, ..., model.norm, score
// or lm_head): LlamaForSequenceClassification, which classifies by the last
// token that is not padding, and LlamaForCausalLM. RMSNorm, rotary position
// embeddings on HF's rotate_half layout, grouped-query attention and the SwiGLU
// MLP; the seven projections are LoraLinear without bias. Keys and values can
// be kept between calls (LlamaKvCache) for a generation loop.
#pragma once

#include "models/bert_model.h"
#include "models/bottleneck_adapter.h"
#include "models/kv_cache.h"
#include "models/llama_config.h"
#include "models/lora_linear.h"

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include <cstdint>
#include <string_view>
#include <vector>

namespace ft {

// LlamaRMSNorm: x * rsqrt(mean(x^2) + eps) in float32, back in x's dtype, times the weight.
class LlamaRmsNormImpl : public torch::nn::Module {
public:
    LlamaRmsNormImpl(std::int64_t size, double eps);
    at::Tensor forward(const at::Tensor &hidden);
    at::Tensor weight;

private:
    double mEps = 1e-6;
};
TORCH_MODULE(LlamaRmsNorm);

// cos and sin of every position's angles, [batch, length, head_dim] in the
// hidden states' dtype: LlamaRotaryEmbedding's output for `positionIds`.
struct RotaryTables {
    at::Tensor cos;
    at::Tensor sin;
};
RotaryTables rotaryTables(const at::Tensor &positionIds, std::int64_t headDim, double theta, at::ScalarType dtype);

// A layer's keys (after RoPE) and values, and every layer's: models/kv_cache.h.
using LlamaLayerCache = LayerKvCache;
using LlamaKvCache = KvCache;

class LlamaAttentionImpl : public torch::nn::Module {
public:
    explicit LlamaAttentionImpl(const LlamaConfig &config);
    // `allowed` [batch, 1, length, past + length] bool: which keys each query may
    // attend. With `cache`, this call's keys and values are appended to it first.
    at::Tensor forward(const at::Tensor &hidden, const RotaryTables &rope, const at::Tensor &allowed,
                       LlamaLayerCache *cache = nullptr);

private:
    LoraLinear mQ{nullptr}; // q_proj
    LoraLinear mK{nullptr}; // k_proj
    LoraLinear mV{nullptr}; // v_proj
    LoraLinear mO{nullptr}; // o_proj
    std::int64_t mHeads = 0;
    std::int64_t mKvHeads = 0;
    std::int64_t mHeadDim = 0;
    double mDropout = 0;
};
TORCH_MODULE(LlamaAttention);

// SwiGLU: down_proj(silu(gate_proj(x)) * up_proj(x)).
class LlamaMlpImpl : public torch::nn::Module {
public:
    explicit LlamaMlpImpl(const LlamaConfig &config);
    at::Tensor forward(const at::Tensor &hidden);

private:
    LoraLinear mGate{nullptr};
    LoraLinear mUp{nullptr};
    LoraLinear mDown{nullptr};
};
TORCH_MODULE(LlamaMlp);

// Pre-norm block: x + self_attn(input_layernorm(x)), then + mlp(post_attention_layernorm(.)).
class LlamaDecoderLayerImpl : public torch::nn::Module {
public:
    explicit LlamaDecoderLayerImpl(const LlamaConfig &config);
    at::Tensor forward(const at::Tensor &hidden, const RotaryTables &rope, const at::Tensor &allowed,
                       LlamaLayerCache *cache = nullptr);

    // Registers "attention_adapter" (on self_attn's output) or "output_adapter" (on the MLP's), each
    // before its residual sum (models/peft_methods.h).
    void addAttentionAdapter(BottleneckAdapter adapter);
    void addOutputAdapter(BottleneckAdapter adapter);

private:
    LlamaRmsNorm mInputNorm{nullptr};
    LlamaAttention mAttention{nullptr};
    LlamaRmsNorm mPostAttentionNorm{nullptr};
    LlamaMlp mMlp{nullptr};
    BottleneckAdapter mAttentionAdapter{nullptr};
    BottleneckAdapter mOutputAdapter{nullptr};
};
TORCH_MODULE(LlamaDecoderLayer);

// LlamaModel ("model"): embed_tokens, the layers, norm.
class LlamaModelImpl : public torch::nn::Module {
public:
    explicit LlamaModelImpl(const LlamaConfig &config);
    // The last hidden state [batch, length, hidden]. `attentionMask` [batch, past + length]
    // (1 real, 0 padding; undefined: all real) covers the cached positions too, as HF's does.
    // `positionIds` [batch or 1, length] default to past .. past + length - 1 for every row,
    // whatever the mask says (HF's default). With `cache` (past = its length) the new keys and
    // values are added to it.
    // With virtual tokens (prompt_encoder, models/peft_methods.h) they come first: a prompt's
    // embeddings before the first call's tokens, a prefix's keys and values in the cache. The mask,
    // positions and output then cover the real tokens only; the model adds the virtual ones in
    // front (mask 1, positions shifted by their count), as PEFT's forward and generate do.
    at::Tensor forward(const at::Tensor &inputIds, const at::Tensor &attentionMask = {},
                       const at::Tensor &positionIds = {}, LlamaKvCache *cache = nullptr);
    const at::Tensor &tokenEmbedding() const { return mEmbedTokens->weight; }

    // Registers "prompt_encoder"; ft::Error when there is one.
    void addVirtualTokens(VirtualTokens tokens);
    VirtualTokens virtualTokens() const { return mVirtualTokens; }

private:
    VirtualTokens mVirtualTokens{nullptr};
    torch::nn::Embedding mEmbedTokens{nullptr};
    std::vector<LlamaDecoderLayer> mLayers;
    LlamaRmsNorm mNorm{nullptr};
    std::int64_t mHeadDim = 0;
    double mRopeTheta = 10000.0;
};
TORCH_MODULE(LlamaModel);

class LlamaForSequenceClassificationImpl : public torch::nn::Module {
public:
    explicit LlamaForSequenceClassificationImpl(const LlamaConfig &config);
    // Logits from score(hidden state at the last non-padding token, lastTokenIndices);
    // pooledOutput is that state.
    SequenceClassifierOutput forward(const at::Tensor &inputIds, const at::Tensor &attentionMask = {},
                                     const at::Tensor &positionIds = {});

    // transformers' _init_weights for a seed (Linear and Embedding N(0, initializer_range), the
    // padding row 0, RMSNorm 1); with a prefix only the modules under it.
    void initWeights(std::uint64_t seed, std::string_view prefix = {});
    const LlamaConfig &config() const { return mConfig; }
    LlamaModel &model() { return mModel; }

private:
    LlamaConfig mConfig;
    LlamaModel mModel{nullptr};
    torch::nn::Linear mScore{nullptr};
};
TORCH_MODULE(LlamaForSequenceClassification);

class LlamaForCausalLMImpl : public torch::nn::Module {
public:
    explicit LlamaForCausalLMImpl(const LlamaConfig &config);
    // Next-token logits [batch, length, vocab]: lm_head, or embed_tokens when tied. The
    // arguments are LlamaModel's.
    at::Tensor forward(const at::Tensor &inputIds, const at::Tensor &attentionMask = {},
                       const at::Tensor &positionIds = {}, LlamaKvCache *cache = nullptr);
    void initWeights(std::uint64_t seed);
    const LlamaConfig &config() const { return mConfig; }
    LlamaModel &model() { return mModel; }

private:
    LlamaConfig mConfig;
    LlamaModel mModel{nullptr};
    torch::nn::Linear mLmHead{nullptr}; // none when tie_word_embeddings
};
TORCH_MODULE(LlamaForCausalLM);

} // namespace ft
