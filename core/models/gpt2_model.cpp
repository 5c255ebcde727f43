// gpt2_model.cpp: following transformers' modeling_gpt2.py (eager attention).
#include "models/gpt2_model.h"

#include "common/error.h"
#include "models/hf_init.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Functions.h>
#include <c10/core/GradMode.h>

#include <cmath>

namespace ft {

namespace {

torch::nn::LayerNorm layerNorm(const Gpt2Config &config)
{
    return torch::nn::LayerNorm(torch::nn::LayerNormOptions({config.nEmbd}).eps(config.layerNormEpsilon));
}

// HF's GPT-2 init: _init_weights for every module, then each block's c_proj
// weights N(0, initializer_range / sqrt(2 n_layer)).
void initGpt2(torch::nn::Module &root, const Gpt2Config &config, std::uint64_t seed, std::string_view prefix)
{
    initLikeTransformers(root, config.initializerRange, seed, prefix);
    c10::NoGradGuard noGrad;
    at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(seed + 1);
    const double std = config.initializerRange / std::sqrt(2.0 * double(std::max<std::int64_t>(1, config.nLayer)));
    for (auto &item : root.named_parameters()) {
        if (!item.key().ends_with("c_proj.weight") || item.key().rfind(std::string(prefix), 0) != 0)
            continue;
        item.value().copy_(at::empty(item.value().sizes(), at::kFloat).normal_(0.0, std, generator));
    }
}

} // namespace

Gpt2AttentionImpl::Gpt2AttentionImpl(const Gpt2Config &config) : mHeads(config.nHead), mHeadDim(config.headDim())
{
    mQkv = register_module("c_attn", LoraLinear(config.nEmbd, 3 * config.nEmbd, WeightLayout::InOut));
    mProj = register_module("c_proj", LoraLinear(config.nEmbd, config.nEmbd, WeightLayout::InOut));
    mAttnDropout = register_module("attn_dropout", torch::nn::Dropout(config.attnPdrop));
    mResidDropout = register_module("resid_dropout", torch::nn::Dropout(config.residPdrop));
}

at::Tensor Gpt2AttentionImpl::forward(const at::Tensor &hidden, const at::Tensor &allowed, LayerKvCache *cache)
{
    const std::int64_t batch = hidden.size(0);
    const std::int64_t length = hidden.size(1);
    const std::vector<at::Tensor> qkv = mQkv(hidden).split(mHeads * mHeadDim, -1);
    const auto heads = [&](const at::Tensor &t) { return t.view({batch, length, mHeads, mHeadDim}).transpose(1, 2); };
    const KeysValues kept = appendToCache(cache, heads(qkv[1]), heads(qkv[2]));
    at::Tensor scores = at::matmul(heads(qkv[0]), kept.keys.transpose(-1, -2)) / std::sqrt(double(mHeadDim));
    // One fill with the dtype's lowest value for the future and the padding: a
    // padded query then has finite (ignored) outputs instead of NaN.
    scores = scores.masked_fill(allowed.logical_not(), lowestValue(scores.scalar_type()));
    const at::Tensor probs = mAttnDropout(at::softmax(scores, -1));
    const at::Tensor context = at::matmul(probs, kept.values).transpose(1, 2).reshape({batch, length, mHeads * mHeadDim});
    return mResidDropout(mProj(context));
}

Gpt2MlpImpl::Gpt2MlpImpl(const Gpt2Config &config) : mAct(config.activation)
{
    mFc = register_module("c_fc", LoraLinear(config.nEmbd, config.innerSize(), WeightLayout::InOut));
    mProj = register_module("c_proj", LoraLinear(config.innerSize(), config.nEmbd, WeightLayout::InOut));
    mDropout = register_module("dropout", torch::nn::Dropout(config.residPdrop));
}

at::Tensor Gpt2MlpImpl::forward(const at::Tensor &hidden)
{
    return mDropout(mProj(applyHiddenAct(mAct, mFc(hidden))));
}

Gpt2BlockImpl::Gpt2BlockImpl(const Gpt2Config &config)
{
    mLn1 = register_module("ln_1", layerNorm(config));
    mAttn = register_module("attn", Gpt2Attention(config));
    mLn2 = register_module("ln_2", layerNorm(config));
    mMlp = register_module("mlp", Gpt2Mlp(config));
}

at::Tensor Gpt2BlockImpl::forward(const at::Tensor &hidden, const at::Tensor &allowed, LayerKvCache *cache)
{
    at::Tensor attention = mAttn->forward(mLn1(hidden), allowed, cache);
    if (!mAttentionAdapter.is_empty())
        attention = mAttentionAdapter(attention);
    const at::Tensor attended = hidden + attention;
    at::Tensor output = mMlp(mLn2(attended));
    if (!mOutputAdapter.is_empty())
        output = mOutputAdapter(output);
    return attended + output;
}

void Gpt2BlockImpl::addAttentionAdapter(BottleneckAdapter adapter)
{
    if (!mAttentionAdapter.is_empty())
        throw Error(ErrorKind::InvalidInput, "this layer already has an attention adapter");
    mAttentionAdapter = register_module("attention_adapter", std::move(adapter));
}

void Gpt2BlockImpl::addOutputAdapter(BottleneckAdapter adapter)
{
    if (!mOutputAdapter.is_empty())
        throw Error(ErrorKind::InvalidInput, "this layer already has an output adapter");
    mOutputAdapter = register_module("output_adapter", std::move(adapter));
}

Gpt2ModelImpl::Gpt2ModelImpl(const Gpt2Config &config) : mPositions(config.nPositions)
{
    mWte = register_module("wte", torch::nn::Embedding(config.vocabSize, config.nEmbd));
    mWpe = register_module("wpe", torch::nn::Embedding(config.nPositions, config.nEmbd));
    mDropout = register_module("drop", torch::nn::Dropout(config.embdPdrop));
    auto blocks = register_module("h", torch::nn::ModuleList());
    for (std::int64_t i = 0; i < config.nLayer; ++i) {
        mBlocks.emplace_back(config);
        blocks->push_back(mBlocks.back());
    }
    mLnF = register_module("ln_f", layerNorm(config));
}

at::Tensor Gpt2ModelImpl::forward(const at::Tensor &inputIds, const at::Tensor &attentionMask, KvCache *givenCache)
{
    if (inputIds.dim() != 2)
        throw Error(ErrorKind::InvalidInput,
                    "input_ids must be [batch, length], got " + std::to_string(inputIds.dim()) + " dimensions");
    const std::int64_t batch = inputIds.size(0);
    KvCache local;
    const DecoderVirtualTokens virtualTokens =
        decoderVirtualTokens(mVirtualTokens, givenCache, local, mBlocks.size(), batch);
    KvCache *cache = virtualTokens.cache;
    const std::int64_t prompts = virtualTokens.prependPrompts ? virtualTokens.count : 0;
    const std::int64_t past = cache ? cache->length() : 0;
    const std::int64_t length = prompts + inputIds.size(1);
    const std::int64_t total = past + length;
    if (total > mPositions)
        throw Error(ErrorKind::InvalidInput,
                    "sequence length " + std::to_string(total - virtualTokens.count) + " exceeds n_positions ("
                        + std::to_string(mPositions)
                        + (virtualTokens.count > 0 ? " less the " + std::to_string(virtualTokens.count) + " virtual tokens"
                                                   : std::string())
                        + ")");
    const auto longOptions = inputIds.options().dtype(at::kLong);
    const at::Tensor positions = at::arange(past, total, longOptions);
    // Query i sits at past + i and may attend keys 0 .. past + i that the mask keeps.
    const at::Tensor queryAt = positions.view({length, 1});
    at::Tensor allowed = at::arange(total, longOptions).view({1, total}).le(queryAt).view({1, 1, length, total});
    if (attentionMask.defined()) {
        const std::int64_t real = total - virtualTokens.count;
        if (attentionMask.dim() != 2 || attentionMask.size(0) != batch || attentionMask.size(1) != real)
            throw Error(ErrorKind::InvalidInput, "attention_mask must be [" + std::to_string(batch) + ", "
                                                     + std::to_string(real) + "] (cached and new positions)");
        const at::Tensor mask = mVirtualTokens.is_empty() ? attentionMask : mVirtualTokens->extendMask(attentionMask);
        allowed = allowed.logical_and(mask.to(at::kBool).view({batch, 1, 1, total}));
    }
    at::Tensor embedded = mWte(inputIds);
    if (prompts > 0)
        embedded = at::cat({mVirtualTokens->prompts(batch).to(embedded.scalar_type()), embedded}, 1);
    at::Tensor hidden = mDropout(embedded + mWpe(positions));
    if (cache && cache->layers.empty())
        cache->layers.resize(mBlocks.size());
    for (std::size_t i = 0; i < mBlocks.size(); ++i)
        hidden = mBlocks[i]->forward(hidden, allowed, cache ? &cache->layers[i] : nullptr);
    hidden = mLnF(hidden);
    return prompts > 0 ? hidden.slice(1, prompts) : hidden;
}

void Gpt2ModelImpl::addVirtualTokens(VirtualTokens tokens)
{
    if (!mVirtualTokens.is_empty())
        throw Error(ErrorKind::InvalidInput, "the model already has virtual tokens");
    mVirtualTokens = register_module("prompt_encoder", std::move(tokens));
}

at::Tensor lastTokenIndices(const at::Tensor &inputIds, std::int64_t padId)
{
    const at::Tensor positions = at::arange(inputIds.size(1), inputIds.options().dtype(at::kLong));
    return (positions * inputIds.ne(padId).to(at::kLong)).argmax(-1);
}

Gpt2ForSequenceClassificationImpl::Gpt2ForSequenceClassificationImpl(const Gpt2Config &config) : mConfig(config)
{
    if (!config.padTokenId)
        throw Error(ErrorKind::InvalidInput, "GPT2ForSequenceClassification needs pad_token_id in config.json (it "
                                             "reads each text at its last token that is not padding)");
    mTransformer = register_module("transformer", Gpt2Model(config));
    mScore = register_module(
        "score", torch::nn::Linear(torch::nn::LinearOptions(config.nEmbd, config.numLabels()).bias(false)));
}

SequenceClassifierOutput Gpt2ForSequenceClassificationImpl::forward(const at::Tensor &inputIds,
                                                                    const at::Tensor &attentionMask)
{
    SequenceClassifierOutput output;
    output.lastHiddenState = mTransformer(inputIds, attentionMask);
    const at::Tensor rows = at::arange(inputIds.size(0), inputIds.options().dtype(at::kLong));
    output.pooledOutput = output.lastHiddenState.index({rows, lastTokenIndices(inputIds, *mConfig.padTokenId)});
    output.logits = mScore(output.pooledOutput);
    return output;
}

void Gpt2ForSequenceClassificationImpl::initWeights(std::uint64_t seed, std::string_view prefix)
{
    initGpt2(*this, mConfig, seed, prefix);
}

Gpt2LmHeadModelImpl::Gpt2LmHeadModelImpl(const Gpt2Config &config) : mConfig(config)
{
    mTransformer = register_module("transformer", Gpt2Model(config));
}

at::Tensor Gpt2LmHeadModelImpl::forward(const at::Tensor &inputIds, const at::Tensor &attentionMask, KvCache *cache)
{
    return at::matmul(mTransformer->forward(inputIds, attentionMask, cache), mTransformer->tokenEmbedding().t());
}

void Gpt2LmHeadModelImpl::initWeights(std::uint64_t seed)
{
    initGpt2(*this, mConfig, seed, {});
}

} // namespace ft
