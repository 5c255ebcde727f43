// bert_model.cpp: the BERT forward pass, following HF's modeling_bert.py
// (eager attention) operation for operation, and HF's weight init.
#include "models/bert_model.h"

#include "common/error.h"
#include "models/hf_init.h"

#include <ATen/Functions.h>
#include <c10/util/BFloat16.h>
#include <c10/util/Half.h>

#include <cmath>
#include <limits>

namespace ft {

namespace {

LoraLinear makeLinear(std::int64_t in, std::int64_t out)
{
    return LoraLinear(in, out);
}

torch::nn::LayerNorm makeLayerNorm(const BertConfig &config)
{
    return torch::nn::LayerNorm(torch::nn::LayerNormOptions({config.hiddenSize}).eps(config.layerNormEps));
}

} // namespace

BertEmbeddingsImpl::BertEmbeddingsImpl(const BertConfig &config)
    : mMaxLength(config.maxSequenceLength()), mPadId(config.padTokenId.value_or(0)),
      mRobertaPositions(config.isRoberta())
{
    auto words = torch::nn::EmbeddingOptions(config.vocabSize, config.hiddenSize);
    if (config.padTokenId)
        words.padding_idx(*config.padTokenId);
    mWordEmbeddings = register_module("word_embeddings", torch::nn::Embedding(words));
    auto positions = torch::nn::EmbeddingOptions(config.maxPositionEmbeddings, config.hiddenSize);
    if (mRobertaPositions)
        positions.padding_idx(mPadId);
    mPositionEmbeddings = register_module("position_embeddings", torch::nn::Embedding(positions));
    mTokenTypeEmbeddings = register_module(
        "token_type_embeddings", torch::nn::Embedding(torch::nn::EmbeddingOptions(config.typeVocabSize, config.hiddenSize)));
    mLayerNorm = register_module("LayerNorm", makeLayerNorm(config));
    mDropout = register_module("dropout", torch::nn::Dropout(config.hiddenDropoutProb));
}

at::Tensor BertEmbeddingsImpl::forward(const at::Tensor &inputIds, const at::Tensor &tokenTypeIds,
                                       const at::Tensor &prompts, std::int64_t pastLength)
{
    const std::int64_t virtualTokens = prompts.defined() ? prompts.size(1) : 0;
    const std::int64_t length = inputIds.size(1) + virtualTokens;
    if (length + pastLength > mMaxLength)
        throw Error(ErrorKind::InvalidInput, "sequence length " + std::to_string(inputIds.size(1))
                                                 + (virtualTokens + pastLength > 0
                                                        ? " with " + std::to_string(virtualTokens + pastLength)
                                                              + " virtual tokens"
                                                        : std::string())
                                                 + " exceeds the " + std::to_string(mMaxLength)
                                                 + " positions of max_position_embeddings");
    at::Tensor positions;
    if (mRobertaPositions && prompts.defined()) { // HF's create_position_ids_from_inputs_embeds: padding not seen
        positions = at::arange(mPadId + 1, mPadId + 1 + length, inputIds.options().dtype(at::kLong));
    } else if (mRobertaPositions) { // HF's create_position_ids_from_input_ids
        const at::Tensor real = inputIds.ne(mPadId).to(at::kLong);
        positions = (real.cumsum(1) + pastLength) * real + mPadId;
    } else { // 0..L-1 for every row, padded or not, as HF's position_ids buffer (after the past's)
        positions = at::arange(pastLength, pastLength + length, inputIds.options().dtype(at::kLong));
    }
    at::Tensor types = tokenTypeIds.defined() ? tokenTypeIds : at::zeros_like(inputIds);
    at::Tensor words = mWordEmbeddings(inputIds);
    if (prompts.defined()) { // PEFT prepends the prompts to inputs_embeds and zeros to token_type_ids
        types = at::cat({at::zeros({types.size(0), virtualTokens}, types.options()), types}, 1);
        words = at::cat({prompts.to(words.scalar_type()), words}, 1);
    }
    at::Tensor embeddings = words + mTokenTypeEmbeddings(types);
    embeddings = embeddings + mPositionEmbeddings(positions);
    return mDropout(mLayerNorm(embeddings));
}

BertSelfAttentionImpl::BertSelfAttentionImpl(const BertConfig &config)
    : mHeads(config.numAttentionHeads), mHeadDim(config.headDim())
{
    mQuery = register_module("query", makeLinear(config.hiddenSize, config.hiddenSize));
    mKey = register_module("key", makeLinear(config.hiddenSize, config.hiddenSize));
    mValue = register_module("value", makeLinear(config.hiddenSize, config.hiddenSize));
    mDropout = register_module("dropout", torch::nn::Dropout(config.attentionProbsDropoutProb));
}

at::Tensor BertSelfAttentionImpl::forward(const at::Tensor &hidden, const at::Tensor &mask, const at::Tensor &prefix)
{
    const std::int64_t batch = hidden.size(0);
    const std::int64_t length = hidden.size(1);
    const auto heads = [&](const at::Tensor &t) { return t.view({batch, length, mHeads, mHeadDim}).transpose(1, 2); };
    const at::Tensor query = heads(mQuery(hidden));
    at::Tensor key = heads(mKey(hidden));
    at::Tensor value = heads(mValue(hidden));
    if (prefix.defined()) { // transformers' past key values: before the layer's own
        key = at::cat({prefix[0].to(key.scalar_type()), key}, 2);
        value = at::cat({prefix[1].to(value.scalar_type()), value}, 2);
    }

    // In place: matmul's backward needs its inputs, not its output.
    at::Tensor scores = at::matmul(query, key.transpose(-1, -2));
    scores.div_(std::sqrt(double(mHeadDim)));
    if (mask.defined())
        scores.add_(mask);
    const at::Tensor probs = mDropout(at::softmax(scores, -1));
    return at::matmul(probs, value).transpose(1, 2).reshape({batch, length, mHeads * mHeadDim});
}

BertResidualOutputImpl::BertResidualOutputImpl(const BertConfig &config, std::int64_t inFeatures)
{
    mDense = register_module("dense", makeLinear(inFeatures, config.hiddenSize));
    mLayerNorm = register_module("LayerNorm", makeLayerNorm(config));
    mDropout = register_module("dropout", torch::nn::Dropout(config.hiddenDropoutProb));
}

at::Tensor BertResidualOutputImpl::forward(const at::Tensor &hidden, const at::Tensor &residual)
{
    if (!mAdapter.is_empty())
        return mLayerNorm(mAdapter(mDropout(mDense(hidden))) + residual);
    return mLayerNorm(mDropout(mDense(hidden)) + residual);
}

void BertResidualOutputImpl::addAdapter(BottleneckAdapter adapter)
{
    if (!mAdapter.is_empty())
        throw Error(ErrorKind::InvalidInput, "this layer already has an adapter");
    mAdapter = register_module("adapter", std::move(adapter));
}

BertAttentionImpl::BertAttentionImpl(const BertConfig &config)
{
    mSelf = register_module("self", BertSelfAttention(config));
    mOutput = register_module("output", BertResidualOutput(config, config.hiddenSize));
}

at::Tensor BertAttentionImpl::forward(const at::Tensor &hidden, const at::Tensor &mask, const at::Tensor &prefix)
{
    return mOutput(mSelf(hidden, mask, prefix), hidden);
}

BertIntermediateImpl::BertIntermediateImpl(const BertConfig &config) : mAct(config.hiddenAct)
{
    mDense = register_module("dense", makeLinear(config.hiddenSize, config.intermediateSize));
}

at::Tensor BertIntermediateImpl::forward(const at::Tensor &hidden)
{
    return applyHiddenAct(mAct, mDense(hidden));
}

at::Tensor applyHiddenAct(HiddenAct act, const at::Tensor &x)
{
    switch (act) {
    case HiddenAct::Gelu:
        return at::gelu(x);
    case HiddenAct::GeluNew: {
        // HF's NewGELUActivation, term for term.
        const double c = std::sqrt(2.0 / M_PI);
        return x * 0.5 * (at::tanh((x + at::pow(x, 3.0) * 0.044715) * c) + 1.0);
    }
    case HiddenAct::GeluPytorchTanh:
        return at::gelu(x, "tanh");
    case HiddenAct::Relu:
        return at::relu(x);
    }
    return x;
}

BertLayerImpl::BertLayerImpl(const BertConfig &config)
{
    mAttention = register_module("attention", BertAttention(config));
    mIntermediate = register_module("intermediate", BertIntermediate(config));
    mOutput = register_module("output", BertResidualOutput(config, config.intermediateSize));
}

at::Tensor BertLayerImpl::forward(const at::Tensor &hidden, const at::Tensor &mask, const at::Tensor &prefix)
{
    const at::Tensor attended = mAttention(hidden, mask, prefix);
    return mOutput(mIntermediate(attended), attended);
}

BertEncoderImpl::BertEncoderImpl(const BertConfig &config)
{
    mLayerList = register_module("layer", torch::nn::ModuleList());
    for (std::int64_t i = 0; i < config.numHiddenLayers; ++i) {
        mLayers.emplace_back(config);
        mLayerList->push_back(mLayers.back());
    }
}

at::Tensor BertEncoderImpl::forward(at::Tensor hidden, const at::Tensor &mask, const at::Tensor &prefixes)
{
    for (std::size_t i = 0; i < mLayers.size(); ++i)
        hidden = mLayers[i](hidden, mask, prefixes.defined() ? prefixes.narrow(0, 2 * std::int64_t(i), 2) : at::Tensor());
    return hidden;
}

BertPoolerImpl::BertPoolerImpl(const BertConfig &config)
{
    mDense = register_module("dense", makeLinear(config.hiddenSize, config.hiddenSize));
}

at::Tensor BertPoolerImpl::forward(const at::Tensor &hidden)
{
    return at::tanh(mDense(hidden.select(1, 0)));
}

double lowestValue(at::ScalarType dtype)
{
    switch (dtype) {
    case at::kDouble: return std::numeric_limits<double>::lowest();
    case at::kHalf: return double(std::numeric_limits<c10::Half>::lowest());
    case at::kBFloat16: return double(std::numeric_limits<c10::BFloat16>::lowest());
    default: return std::numeric_limits<float>::lowest();
    }
}

at::Tensor extendedAttentionMask(const at::Tensor &attentionMask, at::ScalarType dtype)
{
    const at::Tensor mask = attentionMask.unsqueeze(1).unsqueeze(2).to(dtype);
    return at::rsub(mask, 1.0).mul(lowestValue(dtype));
}

BertModelImpl::BertModelImpl(const BertConfig &config)
{
    mEmbeddings = register_module("embeddings", BertEmbeddings(config));
    mEncoder = register_module("encoder", BertEncoder(config));
    if (!config.isRoberta())
        mPooler = register_module("pooler", BertPooler(config));
}

BertModelOutput BertModelImpl::forward(const at::Tensor &inputIds, const at::Tensor &attentionMask,
                                       const at::Tensor &tokenTypeIds)
{
    if (inputIds.dim() != 2)
        throw Error(ErrorKind::InvalidInput, "input_ids must be [batch, length], got " +
                                                 std::to_string(inputIds.dim()) + " dimensions");
    at::Tensor embedded, prefixes, attended = attentionMask;
    if (mVirtualTokens.is_empty()) {
        embedded = mEmbeddings(inputIds, tokenTypeIds);
    } else {
        const bool prompt = mVirtualTokens->options().kind == VirtualTokenKind::Prompt;
        embedded = prompt ? mEmbeddings(inputIds, tokenTypeIds, mVirtualTokens->prompts(inputIds.size(0)))
                          : mEmbeddings(inputIds, tokenTypeIds, at::Tensor(), mVirtualTokens->count());
        if (!prompt)
            prefixes = mVirtualTokens->pastKeyValues(inputIds.size(0));
        if (attended.defined())
            attended = mVirtualTokens->extendMask(attended);
    }
    const at::Tensor mask =
        attended.defined() ? extendedAttentionMask(attended, embedded.scalar_type()) : at::Tensor();
    BertModelOutput output;
    output.lastHiddenState = mEncoder(embedded, mask, prefixes);
    if (mPooler)
        output.pooledOutput = mPooler(output.lastHiddenState);
    return output;
}

void BertModelImpl::addVirtualTokens(VirtualTokens tokens)
{
    if (!mVirtualTokens.is_empty())
        throw Error(ErrorKind::InvalidInput, "the model already has virtual tokens");
    mVirtualTokens = register_module("prompt_encoder", std::move(tokens));
}

BertForSequenceClassificationImpl::BertForSequenceClassificationImpl(const BertConfig &config) : mConfig(config)
{
    if (config.modelType != "bert")
        throw Error(ErrorKind::Internal, "BertForSequenceClassification needs a bert config, not " + config.modelType);
    mBert = register_module("bert", BertModel(config));
    mDropout = register_module("dropout", torch::nn::Dropout(config.classifierDropoutProb()));
    mClassifier = register_module(
        "classifier", torch::nn::Linear(torch::nn::LinearOptions(config.hiddenSize, config.numLabels())));
}

SequenceClassifierOutput BertForSequenceClassificationImpl::forward(const at::Tensor &inputIds,
                                                                    const at::Tensor &attentionMask,
                                                                    const at::Tensor &tokenTypeIds)
{
    BertModelOutput base = mBert(inputIds, attentionMask, tokenTypeIds);
    SequenceClassifierOutput output;
    output.logits = mClassifier(mDropout(base.pooledOutput));
    output.lastHiddenState = std::move(base.lastHiddenState);
    output.pooledOutput = std::move(base.pooledOutput);
    return output;
}

void BertForSequenceClassificationImpl::initWeights(std::uint64_t seed, std::string_view prefix)
{
    initLikeTransformers(*this, mConfig.initializerRange, seed, prefix);
}

BertForSequenceClassification makeScratchBert(const BertConfig &config, std::uint64_t seed)
{
    BertForSequenceClassification model(config);
    model->initWeights(seed);
    return model;
}

} // namespace ft
