// bert_model.h: BERT and BertForSequenceClassification as LibTorch modules.
// Submodules are registered under Hugging Face's attribute names, so
// named_parameters() yields exactly the checkpoint's keys
// (bert.encoder.layer.0.attention.self.query.weight, ..., classifier.bias)
// and loading is a direct name map. The encoder's and pooler's linear layers
// are LoraLinear: plain Linear layers until applyLora (models/lora.h) adds a
// branch; the classifier is a torch::nn::Linear, never adapted. Bottleneck
// adapters and virtual tokens (models/peft_methods.h) are added the same way,
// after construction.
#pragma once

#include "models/bert_config.h"
#include "models/bottleneck_adapter.h"
#include "models/lora_linear.h"
#include "models/virtual_tokens.h"

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include <cstdint>
#include <string_view>
#include <vector>

namespace ft {

// word + token type + position embeddings, LayerNorm, dropout. RoBERTa's
// positions are counted over the real tokens from pad_token_id + 1.
class BertEmbeddingsImpl : public torch::nn::Module {
public:
    explicit BertEmbeddingsImpl(const BertConfig &config);
    // `prompts` [batch, virtual tokens, hidden] go before the word embeddings, with token type 0 and
    // positions from the start (PEFT's prompt tuning through inputs_embeds); `pastLength` virtual keys
    // and values before the input (prefix tuning) shift its positions as transformers' past length does.
    at::Tensor forward(const at::Tensor &inputIds, const at::Tensor &tokenTypeIds, const at::Tensor &prompts = {},
                       std::int64_t pastLength = 0);

private:
    torch::nn::Embedding mWordEmbeddings{nullptr};
    torch::nn::Embedding mPositionEmbeddings{nullptr};
    torch::nn::Embedding mTokenTypeEmbeddings{nullptr};
    torch::nn::LayerNorm mLayerNorm{nullptr};
    torch::nn::Dropout mDropout{nullptr};
    std::int64_t mMaxLength = 0;
    std::int64_t mPadId = 0;
    bool mRobertaPositions = false; // counted from pad_token_id + 1, padding at pad_token_id
};
TORCH_MODULE(BertEmbeddings);

// Multi-head self-attention ("attention.self"): query/key/value projections.
class BertSelfAttentionImpl : public torch::nn::Module {
public:
    explicit BertSelfAttentionImpl(const BertConfig &config);
    // `mask` is additive, [batch, 1, 1, keys], or undefined for none. `prefix`, when defined, is
    // [2, batch, heads, virtual tokens, head_dim]: keys and values put before the layer's own.
    at::Tensor forward(const at::Tensor &hidden, const at::Tensor &mask, const at::Tensor &prefix = {});

private:
    LoraLinear mQuery{nullptr};
    LoraLinear mKey{nullptr};
    LoraLinear mValue{nullptr};
    torch::nn::Dropout mDropout{nullptr};
    std::int64_t mHeads = 0;
    std::int64_t mHeadDim = 0;
};
TORCH_MODULE(BertSelfAttention);

// dense, dropout, LayerNorm(x + residual): HF's BertSelfOutput and BertOutput.
class BertResidualOutputImpl : public torch::nn::Module {
public:
    BertResidualOutputImpl(const BertConfig &config, std::int64_t inFeatures);
    at::Tensor forward(const at::Tensor &hidden, const at::Tensor &residual);

    // Registers "adapter", applied after the dropout, before the residual LayerNorm.
    void addAdapter(BottleneckAdapter adapter);
    bool hasAdapter() const { return !mAdapter.is_empty(); }

private:
    LoraLinear mDense{nullptr};
    BottleneckAdapter mAdapter{nullptr};
    torch::nn::LayerNorm mLayerNorm{nullptr};
    torch::nn::Dropout mDropout{nullptr};
};
TORCH_MODULE(BertResidualOutput);

// "attention": self-attention then its residual output.
class BertAttentionImpl : public torch::nn::Module {
public:
    explicit BertAttentionImpl(const BertConfig &config);
    at::Tensor forward(const at::Tensor &hidden, const at::Tensor &mask, const at::Tensor &prefix = {});

private:
    BertSelfAttention mSelf{nullptr};
    BertResidualOutput mOutput{nullptr};
};
TORCH_MODULE(BertAttention);

// The config's activation, as transformers computes it.
at::Tensor applyHiddenAct(HiddenAct act, const at::Tensor &x);

// "intermediate": dense then the config's activation.
class BertIntermediateImpl : public torch::nn::Module {
public:
    explicit BertIntermediateImpl(const BertConfig &config);
    at::Tensor forward(const at::Tensor &hidden);

private:
    LoraLinear mDense{nullptr};
    HiddenAct mAct = HiddenAct::Gelu;
};
TORCH_MODULE(BertIntermediate);

// One post-LN encoder layer.
class BertLayerImpl : public torch::nn::Module {
public:
    explicit BertLayerImpl(const BertConfig &config);
    at::Tensor forward(const at::Tensor &hidden, const at::Tensor &mask, const at::Tensor &prefix = {});

private:
    BertAttention mAttention{nullptr};
    BertIntermediate mIntermediate{nullptr};
    BertResidualOutput mOutput{nullptr};
};
TORCH_MODULE(BertLayer);

// "encoder": the stack of layers, registered as the list "layer".
class BertEncoderImpl : public torch::nn::Module {
public:
    explicit BertEncoderImpl(const BertConfig &config);
    // `prefixes`, when defined: [layers * 2, batch, heads, virtual tokens, head_dim], layer i taking rows 2i, 2i + 1.
    at::Tensor forward(at::Tensor hidden, const at::Tensor &mask, const at::Tensor &prefixes = {});

private:
    torch::nn::ModuleList mLayerList{nullptr};
    std::vector<BertLayer> mLayers;
};
TORCH_MODULE(BertEncoder);

// tanh(dense(first token)).
class BertPoolerImpl : public torch::nn::Module {
public:
    explicit BertPoolerImpl(const BertConfig &config);
    at::Tensor forward(const at::Tensor &hidden);

private:
    LoraLinear mDense{nullptr};
};
TORCH_MODULE(BertPooler);

struct BertModelOutput {
    at::Tensor lastHiddenState; // [batch, length, hidden]
    at::Tensor pooledOutput;    // [batch, hidden]
};

// torch.finfo(dtype).min: what masked attention scores become.
double lowestValue(at::ScalarType dtype);

// Additive attention mask as HF builds it: 0 where attended, the dtype's
// lowest value where masked; [batch, length] of 1/0 -> [batch, 1, 1, length].
at::Tensor extendedAttentionMask(const at::Tensor &attentionMask, at::ScalarType dtype);

// BERT's encoder and pooler (RoBERTa's classifier has no pooler, so its
// BertModel has none and pooledOutput stays undefined).
class BertModelImpl : public torch::nn::Module {
public:
    explicit BertModelImpl(const BertConfig &config);
    // inputIds [batch, length] int64; attentionMask and tokenTypeIds may be
    // undefined (all attended, all type 0).
    BertModelOutput forward(const at::Tensor &inputIds, const at::Tensor &attentionMask = {},
                            const at::Tensor &tokenTypeIds = {});

    // Registers "prompt_encoder": from then on every forward puts its virtual tokens before the input
    // (prompt) or before every layer's keys and values (prefix), the attention mask extended by ones.
    // With a prompt, the last hidden state holds the virtual tokens first, so the pooler (and RoBERTa's
    // head) read the first virtual token, as with PEFT.
    void addVirtualTokens(VirtualTokens tokens);
    VirtualTokens virtualTokens() const { return mVirtualTokens; }

private:
    BertEmbeddings mEmbeddings{nullptr};
    BertEncoder mEncoder{nullptr};
    BertPooler mPooler{nullptr};
    VirtualTokens mVirtualTokens{nullptr};
};
TORCH_MODULE(BertModel);

struct SequenceClassifierOutput {
    at::Tensor logits;          // [batch, num_labels]
    at::Tensor lastHiddenState; // [batch, length, hidden]
    at::Tensor pooledOutput;    // [batch, hidden]
};

class BertForSequenceClassificationImpl : public torch::nn::Module {
public:
    // Modules sized by `config`, with LibTorch's default init: call
    // initWeights() or load a checkpoint before use.
    explicit BertForSequenceClassificationImpl(const BertConfig &config);
    SequenceClassifierOutput forward(const at::Tensor &inputIds, const at::Tensor &attentionMask = {},
                                     const at::Tensor &tokenTypeIds = {});

    // HF's _init_weights, reproducible for a seed: Linear and Embedding weights
    // N(0, initializer_range), biases 0, LayerNorm 1/0, the padding row 0.
    // With a prefix ("classifier", "bert.pooler") only the modules under it:
    // a head the checkpoint lacks.
    void initWeights(std::uint64_t seed, std::string_view prefix = {});

    const BertConfig &config() const { return mConfig; }
    BertModel bert() const { return mBert; }

private:
    BertConfig mConfig;
    BertModel mBert{nullptr};
    torch::nn::Dropout mDropout{nullptr};
    torch::nn::Linear mClassifier{nullptr};
};
TORCH_MODULE(BertForSequenceClassification);

// A randomly initialised model for `config` (training from scratch, tests,
// benchmarks): the same seed gives the same weights on every run.
BertForSequenceClassification makeScratchBert(const BertConfig &config, std::uint64_t seed);

} // namespace ft
