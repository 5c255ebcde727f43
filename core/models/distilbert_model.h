// distilbert_model.h: DistilBertForSequenceClassification as LibTorch
// modules under Hugging Face's attribute names (distilbert.embeddings...,
// distilbert.transformer.layer.0.attention.q_lin, ..., pre_classifier,
// classifier), so named_parameters() yields the checkpoint's keys. The
// encoder's linear layers are LoraLinear (PEFT's DistilBERT targets are
// q_lin and v_lin); the head's are plain Linear. Bottleneck adapters and a
// prompt (models/peft_methods.h) are added after construction.
#pragma once

#include "models/bert_config.h"
#include "models/bert_model.h"
#include "models/lora_linear.h"

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

// word + position embeddings (no token types), LayerNorm, dropout.
class DistilBertEmbeddingsImpl : public torch::nn::Module {
public:
    explicit DistilBertEmbeddingsImpl(const BertConfig &config);
    // `prompts` [batch, virtual tokens, dim] go before the word embeddings (PEFT's prompt tuning).
    at::Tensor forward(const at::Tensor &inputIds, const at::Tensor &prompts = {});

private:
    torch::nn::Embedding mWordEmbeddings{nullptr};
    torch::nn::Embedding mPositionEmbeddings{nullptr};
    torch::nn::LayerNorm mLayerNorm{nullptr};
    torch::nn::Dropout mDropout{nullptr};
    std::int64_t mMaxPositions = 0;
};
TORCH_MODULE(DistilBertEmbeddings);

// MultiHeadSelfAttention: q_lin, k_lin, v_lin, out_lin.
class DistilBertAttentionImpl : public torch::nn::Module {
public:
    explicit DistilBertAttentionImpl(const BertConfig &config);
    // `mask` [batch, length] of 1/0, or undefined for none.
    at::Tensor forward(const at::Tensor &hidden, const at::Tensor &mask);

private:
    LoraLinear mQuery{nullptr};
    LoraLinear mKey{nullptr};
    LoraLinear mValue{nullptr};
    LoraLinear mOut{nullptr};
    torch::nn::Dropout mDropout{nullptr};
    std::int64_t mHeads = 0;
    std::int64_t mHeadDim = 0;
};
TORCH_MODULE(DistilBertAttention);

// FFN: lin1, activation, lin2, dropout.
class DistilBertFeedForwardImpl : public torch::nn::Module {
public:
    explicit DistilBertFeedForwardImpl(const BertConfig &config);
    at::Tensor forward(const at::Tensor &hidden);

private:
    LoraLinear mLin1{nullptr};
    LoraLinear mLin2{nullptr};
    torch::nn::Dropout mDropout{nullptr};
    HiddenAct mAct = HiddenAct::Gelu;
};
TORCH_MODULE(DistilBertFeedForward);

// TransformerBlock: post-LN attention (sa_layer_norm) and FFN (output_layer_norm).
class DistilBertBlockImpl : public torch::nn::Module {
public:
    explicit DistilBertBlockImpl(const BertConfig &config);
    at::Tensor forward(const at::Tensor &hidden, const at::Tensor &mask);

    // Registers "attention_adapter" (after out_lin) or "output_adapter" (after the FFN), each before
    // its residual LayerNorm.
    void addAttentionAdapter(BottleneckAdapter adapter);
    void addOutputAdapter(BottleneckAdapter adapter);

private:
    DistilBertAttention mAttention{nullptr};
    torch::nn::LayerNorm mAttentionNorm{nullptr};
    DistilBertFeedForward mFeedForward{nullptr};
    torch::nn::LayerNorm mOutputNorm{nullptr};
    BottleneckAdapter mAttentionAdapter{nullptr};
    BottleneckAdapter mOutputAdapter{nullptr};
};
TORCH_MODULE(DistilBertBlock);

// DistilBertModel: embeddings, then "transformer" with its list "layer".
class DistilBertModelImpl : public torch::nn::Module {
public:
    explicit DistilBertModelImpl(const BertConfig &config);
    // The last hidden state [batch, length, dim] (virtual tokens first, with a prompt).
    at::Tensor forward(const at::Tensor &inputIds, const at::Tensor &attentionMask = {});

    // Registers "prompt_encoder", a prompt (VirtualTokenKind::Prompt): its tokens go before the
    // input's, attended by every token. DistilBERT takes no past keys and values, so no prefix.
    void addVirtualTokens(VirtualTokens tokens);
    VirtualTokens virtualTokens() const { return mVirtualTokens; }

private:
    DistilBertEmbeddings mEmbeddings{nullptr};
    std::vector<DistilBertBlock> mLayers;
    VirtualTokens mVirtualTokens{nullptr};
};
TORCH_MODULE(DistilBertModel);

class DistilBertForSequenceClassificationImpl : public torch::nn::Module {
public:
    // Modules sized by `config` (model_type "distilbert"); call initWeights()
    // or load a checkpoint before use.
    explicit DistilBertForSequenceClassificationImpl(const BertConfig &config);
    // classifier(dropout(relu(pre_classifier(first token's hidden state)))).
    SequenceClassifierOutput forward(const at::Tensor &inputIds, const at::Tensor &attentionMask = {});

    // transformers' _init_weights for a seed; with a prefix only the modules under it.
    void initWeights(std::uint64_t seed, std::string_view prefix = {});

    const BertConfig &config() const { return mConfig; }
    BertConfig &config() { return mConfig; }

private:
    BertConfig mConfig;
    DistilBertModel mDistilBert{nullptr};
    torch::nn::Linear mPreClassifier{nullptr};
    torch::nn::Linear mClassifier{nullptr};
    torch::nn::Dropout mDropout{nullptr};
};
TORCH_MODULE(DistilBertForSequenceClassification);

} // namespace ft
