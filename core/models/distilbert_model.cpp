// distilbert_model.cpp: the DistilBERT forward pass, following transformers'
// modeling_distilbert.py (eager attention) operation for operation.
#include "models/distilbert_model.h"

#include "common/error.h"
#include "models/hf_init.h"

#include <ATen/Functions.h>

#include <cmath>

namespace ft {

namespace {

torch::nn::LayerNorm makeLayerNorm(const BertConfig &config)
{
    return torch::nn::LayerNorm(torch::nn::LayerNormOptions({config.hiddenSize}).eps(config.layerNormEps));
}

} // namespace

DistilBertEmbeddingsImpl::DistilBertEmbeddingsImpl(const BertConfig &config)
    : mMaxPositions(config.maxPositionEmbeddings)
{
    auto words = torch::nn::EmbeddingOptions(config.vocabSize, config.hiddenSize);
    if (config.padTokenId)
        words.padding_idx(*config.padTokenId);
    mWordEmbeddings = register_module("word_embeddings", torch::nn::Embedding(words));
    mPositionEmbeddings = register_module(
        "position_embeddings",
        torch::nn::Embedding(torch::nn::EmbeddingOptions(config.maxPositionEmbeddings, config.hiddenSize)));
    mLayerNorm = register_module("LayerNorm", makeLayerNorm(config));
    mDropout = register_module("dropout", torch::nn::Dropout(config.hiddenDropoutProb));
}

at::Tensor DistilBertEmbeddingsImpl::forward(const at::Tensor &inputIds, const at::Tensor &prompts)
{
    const std::int64_t virtualTokens = prompts.defined() ? prompts.size(1) : 0;
    const std::int64_t length = inputIds.size(1) + virtualTokens;
    if (length > mMaxPositions)
        throw Error(ErrorKind::InvalidInput, "sequence length " + std::to_string(inputIds.size(1))
                                                 + (virtualTokens > 0 ? " with " + std::to_string(virtualTokens)
                                                                            + " virtual tokens"
                                                                      : std::string())
                                                 + " exceeds max_position_embeddings ("
                                                 + std::to_string(mMaxPositions) + ")");
    const at::Tensor positions = at::arange(length, inputIds.options().dtype(at::kLong));
    at::Tensor words = mWordEmbeddings(inputIds);
    if (prompts.defined())
        words = at::cat({prompts.to(words.scalar_type()), words}, 1);
    return mDropout(mLayerNorm(words + mPositionEmbeddings(positions)));
}

DistilBertAttentionImpl::DistilBertAttentionImpl(const BertConfig &config)
    : mHeads(config.numAttentionHeads), mHeadDim(config.headDim())
{
    const std::int64_t dim = config.hiddenSize;
    mQuery = register_module("q_lin", LoraLinear(dim, dim));
    mKey = register_module("k_lin", LoraLinear(dim, dim));
    mValue = register_module("v_lin", LoraLinear(dim, dim));
    mOut = register_module("out_lin", LoraLinear(dim, dim));
    mDropout = register_module("dropout", torch::nn::Dropout(config.attentionProbsDropoutProb));
}

at::Tensor DistilBertAttentionImpl::forward(const at::Tensor &hidden, const at::Tensor &mask)
{
    const std::int64_t batch = hidden.size(0);
    const std::int64_t length = hidden.size(1);
    const auto heads = [&](const at::Tensor &t) { return t.view({batch, length, mHeads, mHeadDim}).transpose(1, 2); };
    // DistilBERT scales the query before the product (BERT scales the scores).
    const at::Tensor query = heads(mQuery(hidden)) / std::sqrt(double(mHeadDim));
    const at::Tensor key = heads(mKey(hidden));
    const at::Tensor value = heads(mValue(hidden));
    at::Tensor scores = at::matmul(query, key.transpose(-1, -2));
    if (mask.defined()) {
        const at::Tensor masked = mask.eq(0).view({batch, 1, 1, length});
        scores = scores.masked_fill(masked, lowestValue(scores.scalar_type()));
    }
    const at::Tensor weights = mDropout(at::softmax(scores, -1));
    return mOut(at::matmul(weights, value).transpose(1, 2).reshape({batch, length, mHeads * mHeadDim}));
}

DistilBertFeedForwardImpl::DistilBertFeedForwardImpl(const BertConfig &config) : mAct(config.hiddenAct)
{
    mLin1 = register_module("lin1", LoraLinear(config.hiddenSize, config.intermediateSize));
    mLin2 = register_module("lin2", LoraLinear(config.intermediateSize, config.hiddenSize));
    mDropout = register_module("dropout", torch::nn::Dropout(config.hiddenDropoutProb));
}

at::Tensor DistilBertFeedForwardImpl::forward(const at::Tensor &hidden)
{
    return mDropout(mLin2(applyHiddenAct(mAct, mLin1(hidden))));
}

DistilBertBlockImpl::DistilBertBlockImpl(const BertConfig &config)
{
    mAttention = register_module("attention", DistilBertAttention(config));
    mAttentionNorm = register_module("sa_layer_norm", makeLayerNorm(config));
    mFeedForward = register_module("ffn", DistilBertFeedForward(config));
    mOutputNorm = register_module("output_layer_norm", makeLayerNorm(config));
}

at::Tensor DistilBertBlockImpl::forward(const at::Tensor &hidden, const at::Tensor &mask)
{
    at::Tensor attention = mAttention(hidden, mask);
    if (!mAttentionAdapter.is_empty())
        attention = mAttentionAdapter(attention);
    const at::Tensor attended = mAttentionNorm(attention + hidden);
    at::Tensor output = mFeedForward(attended);
    if (!mOutputAdapter.is_empty())
        output = mOutputAdapter(output);
    return mOutputNorm(output + attended);
}

void DistilBertBlockImpl::addAttentionAdapter(BottleneckAdapter adapter)
{
    if (!mAttentionAdapter.is_empty())
        throw Error(ErrorKind::InvalidInput, "this layer already has an attention adapter");
    mAttentionAdapter = register_module("attention_adapter", std::move(adapter));
}

void DistilBertBlockImpl::addOutputAdapter(BottleneckAdapter adapter)
{
    if (!mOutputAdapter.is_empty())
        throw Error(ErrorKind::InvalidInput, "this layer already has an output adapter");
    mOutputAdapter = register_module("output_adapter", std::move(adapter));
}

DistilBertModelImpl::DistilBertModelImpl(const BertConfig &config)
{
    mEmbeddings = register_module("embeddings", DistilBertEmbeddings(config));
    auto transformer = register_module("transformer", std::make_shared<torch::nn::Module>("Transformer"));
    auto layers = transformer->register_module("layer", torch::nn::ModuleList());
    for (std::int64_t i = 0; i < config.numHiddenLayers; ++i) {
        mLayers.emplace_back(config);
        layers->push_back(mLayers.back());
    }
}

at::Tensor DistilBertModelImpl::forward(const at::Tensor &inputIds, const at::Tensor &attentionMask)
{
    if (inputIds.dim() != 2)
        throw Error(ErrorKind::InvalidInput,
                    "input_ids must be [batch, length], got " + std::to_string(inputIds.dim()) + " dimensions");
    if (mVirtualTokens.is_empty()) {
        at::Tensor hidden = mEmbeddings(inputIds);
        for (DistilBertBlock &layer : mLayers)
            hidden = layer(hidden, attentionMask);
        return hidden;
    }
    at::Tensor hidden = mEmbeddings(inputIds, mVirtualTokens->prompts(inputIds.size(0)));
    const at::Tensor mask = attentionMask.defined() ? mVirtualTokens->extendMask(attentionMask) : at::Tensor();
    for (DistilBertBlock &layer : mLayers)
        hidden = layer(hidden, mask);
    return hidden;
}

void DistilBertModelImpl::addVirtualTokens(VirtualTokens tokens)
{
    if (!mVirtualTokens.is_empty())
        throw Error(ErrorKind::InvalidInput, "the model already has virtual tokens");
    if (tokens->options().kind != VirtualTokenKind::Prompt)
        throw Error(ErrorKind::Incompatible, "DistilBERT takes no past keys and values, so no prefix tuning");
    mVirtualTokens = register_module("prompt_encoder", std::move(tokens));
}

DistilBertForSequenceClassificationImpl::DistilBertForSequenceClassificationImpl(const BertConfig &config)
    : mConfig(config)
{
    if (!config.isDistilBert())
        throw Error(ErrorKind::Internal, "DistilBertForSequenceClassification needs a distilbert config");
    mDistilBert = register_module("distilbert", DistilBertModel(config));
    mPreClassifier = register_module(
        "pre_classifier", torch::nn::Linear(torch::nn::LinearOptions(config.hiddenSize, config.hiddenSize)));
    mClassifier = register_module(
        "classifier", torch::nn::Linear(torch::nn::LinearOptions(config.hiddenSize, config.numLabels())));
    mDropout = register_module("dropout", torch::nn::Dropout(config.classifierDropoutProb()));
}

SequenceClassifierOutput DistilBertForSequenceClassificationImpl::forward(const at::Tensor &inputIds,
                                                                          const at::Tensor &attentionMask)
{
    SequenceClassifierOutput output;
    output.lastHiddenState = mDistilBert(inputIds, attentionMask);
    output.pooledOutput = at::relu(mPreClassifier(output.lastHiddenState.select(1, 0)));
    output.logits = mClassifier(mDropout(output.pooledOutput));
    return output;
}

void DistilBertForSequenceClassificationImpl::initWeights(std::uint64_t seed, std::string_view prefix)
{
    initLikeTransformers(*this, mConfig.initializerRange, seed, prefix);
}

} // namespace ft
