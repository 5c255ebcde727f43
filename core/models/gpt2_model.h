// gpt2_model.h: GPT-2 as LibTorch modules under Hugging Face's names
// (transformer.wte, transformer.h.0.attn.c_attn, ..., score):
// GPT2ForSequenceClassification, which classifies by the last token that is
// not padding, and GPT2LMHeadModel, whose output layer is the token embedding
// (tied, as transformers ties it). The Conv1D layers are LoraLinear with
// weights stored [in, out] as HF stores them.
#pragma once

#include "models/bert_model.h"
#include "models/bottleneck_adapter.h"
#include "models/kv_cache.h"
#include "models/gpt2_config.h"
#include "models/lora_linear.h"

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include <cstdint>
#include <vector>

namespace ft {

class Gpt2AttentionImpl : public torch::nn::Module {
public:
    explicit Gpt2AttentionImpl(const Gpt2Config &config);
    // `allowed` [batch, 1, length, past + length] bool: which keys each query may attend. With
    // `cache`, this call's keys and values are appended to it first.
    at::Tensor forward(const at::Tensor &hidden, const at::Tensor &allowed, LayerKvCache *cache = nullptr);

private:
    LoraLinear mQkv{nullptr};  // c_attn
    LoraLinear mProj{nullptr}; // c_proj
    torch::nn::Dropout mAttnDropout{nullptr};
    torch::nn::Dropout mResidDropout{nullptr};
    std::int64_t mHeads = 0;
    std::int64_t mHeadDim = 0;
};
TORCH_MODULE(Gpt2Attention);

class Gpt2MlpImpl : public torch::nn::Module {
public:
    explicit Gpt2MlpImpl(const Gpt2Config &config);
    at::Tensor forward(const at::Tensor &hidden);

private:
    LoraLinear mFc{nullptr};   // c_fc
    LoraLinear mProj{nullptr}; // c_proj
    torch::nn::Dropout mDropout{nullptr};
    HiddenAct mAct = HiddenAct::GeluNew;
};
TORCH_MODULE(Gpt2Mlp);

// Pre-LN block: x + attn(ln_1(x)), then + mlp(ln_2(.)).
class Gpt2BlockImpl : public torch::nn::Module {
public:
    explicit Gpt2BlockImpl(const Gpt2Config &config);
    at::Tensor forward(const at::Tensor &hidden, const at::Tensor &allowed, LayerKvCache *cache = nullptr);

    // Registers "attention_adapter" (on attn's output) or "output_adapter" (on the MLP's), each
    // before its residual sum (models/peft_methods.h).
    void addAttentionAdapter(BottleneckAdapter adapter);
    void addOutputAdapter(BottleneckAdapter adapter);

private:
    torch::nn::LayerNorm mLn1{nullptr};
    Gpt2Attention mAttn{nullptr};
    torch::nn::LayerNorm mLn2{nullptr};
    Gpt2Mlp mMlp{nullptr};
    BottleneckAdapter mAttentionAdapter{nullptr};
    BottleneckAdapter mOutputAdapter{nullptr};
};
TORCH_MODULE(Gpt2Block);

// GPT2Model ("transformer"): wte + wpe (positions past .. past + L - 1), the blocks, ln_f.
class Gpt2ModelImpl : public torch::nn::Module {
public:
    explicit Gpt2ModelImpl(const Gpt2Config &config);
    // The last hidden state [batch, length, n_embd]. Each position attends the positions up to it
    // whose mask is 1 (undefined mask: all); `attentionMask` [batch, past + length] covers the cached
    // positions too. With `cache` (past = its length) the new keys and values are added to it.
    // Virtual tokens (prompt_encoder, models/peft_methods.h) come first, as in LlamaModel: the mask
    // and output cover the real tokens only.
    at::Tensor forward(const at::Tensor &inputIds, const at::Tensor &attentionMask = {}, KvCache *cache = nullptr);
    const at::Tensor &tokenEmbedding() const { return mWte->weight; }

    // Registers "prompt_encoder"; ft::Error when there is one.
    void addVirtualTokens(VirtualTokens tokens);
    VirtualTokens virtualTokens() const { return mVirtualTokens; }

private:
    VirtualTokens mVirtualTokens{nullptr};
    torch::nn::Embedding mWte{nullptr};
    torch::nn::Embedding mWpe{nullptr};
    torch::nn::Dropout mDropout{nullptr};
    std::vector<Gpt2Block> mBlocks;
    torch::nn::LayerNorm mLnF{nullptr};
    std::int64_t mPositions = 0;
};
TORCH_MODULE(Gpt2Model);

// Where a GPT-2 classifier reads each row: its last token that is not `padId`
// (transformers' rule, for right and left padding alike). [batch] int64.
at::Tensor lastTokenIndices(const at::Tensor &inputIds, std::int64_t padId);

class Gpt2ForSequenceClassificationImpl : public torch::nn::Module {
public:
    explicit Gpt2ForSequenceClassificationImpl(const Gpt2Config &config);
    // Logits from score(hidden state at the last non-padding token); pooledOutput is that state.
    SequenceClassifierOutput forward(const at::Tensor &inputIds, const at::Tensor &attentionMask = {});

    // transformers' _init_weights for a seed (c_proj scaled by 1 / sqrt(2 n_layer)); with a prefix
    // only the modules under it.
    void initWeights(std::uint64_t seed, std::string_view prefix = {});
    const Gpt2Config &config() const { return mConfig; }

private:
    Gpt2Config mConfig;
    Gpt2Model mTransformer{nullptr};
    torch::nn::Linear mScore{nullptr};
};
TORCH_MODULE(Gpt2ForSequenceClassification);

class Gpt2LmHeadModelImpl : public torch::nn::Module {
public:
    explicit Gpt2LmHeadModelImpl(const Gpt2Config &config);
    // Next-token logits [batch, length, vocab]: the hidden states times the token embedding. The
    // arguments are Gpt2Model's.
    at::Tensor forward(const at::Tensor &inputIds, const at::Tensor &attentionMask = {}, KvCache *cache = nullptr);
    void initWeights(std::uint64_t seed);
    const Gpt2Config &config() const { return mConfig; }

private:
    Gpt2Config mConfig;
    Gpt2Model mTransformer{nullptr};
};
TORCH_MODULE(Gpt2LmHeadModel);

} // namespace ft
