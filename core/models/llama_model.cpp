// llama_model.cpp: following transformers' modeling_llama.py (eager attention).
#include "models/llama_model.h"

#include "common/error.h"
#include "models/gpt2_model.h"
#include "models/hf_init.h"

#include <ATen/Functions.h>
#include <c10/core/GradMode.h>

#include <cmath>
#include <memory>

namespace ft {

namespace {

LoraLinear biasFreeLinear(std::int64_t inFeatures, std::int64_t outFeatures)
{
    return LoraLinear(inFeatures, outFeatures, WeightLayout::OutIn, /*bias=*/false);
}

torch::nn::Linear headLinear(std::int64_t inFeatures, std::int64_t outFeatures)
{
    return torch::nn::Linear(torch::nn::LinearOptions(inFeatures, outFeatures).bias(false));
}

// HF's rotate_half: (x1, x2) -> (-x2, x1) over the two halves of each head.
at::Tensor rotateHalf(const at::Tensor &x)
{
    const std::int64_t half = x.size(-1) / 2;
    return at::cat({x.narrow(-1, half, half).neg(), x.narrow(-1, 0, half)}, -1);
}

} // namespace

LlamaRmsNormImpl::LlamaRmsNormImpl(std::int64_t size, double eps) : mEps(eps)
{
    weight = register_parameter("weight", at::ones({size}));
}

at::Tensor LlamaRmsNormImpl::forward(const at::Tensor &hidden)
{
    const at::Tensor x = hidden.to(at::kFloat);
    return weight * (x * at::rsqrt(x.pow(2).mean(-1, /*keepdim=*/true) + mEps)).to(hidden.scalar_type());
}

RotaryTables rotaryTables(const at::Tensor &positionIds, std::int64_t headDim, double theta, at::ScalarType dtype)
{
    // inv_freq = 1 / theta^(2i / head_dim) and the angles in float32 whatever the model's dtype, as HF
    // computes them; each angle serves both halves (cat(freqs, freqs)).
    const at::Tensor exponents =
        at::arange(0, headDim, 2, positionIds.options().dtype(at::kLong)).to(at::kFloat) / double(headDim);
    const at::Tensor invFreq = at::pow(theta, exponents).reciprocal();
    const at::Tensor freqs = positionIds.to(at::kFloat).unsqueeze(-1) * invFreq;
    const at::Tensor angles = at::cat({freqs, freqs}, -1);
    return {angles.cos().to(dtype), angles.sin().to(dtype)};
}

LlamaAttentionImpl::LlamaAttentionImpl(const LlamaConfig &config)
    : mHeads(config.numAttentionHeads), mKvHeads(config.numKeyValueHeads), mHeadDim(config.headDim()),
      mDropout(config.attentionDropout)
{
    const std::int64_t n = config.hiddenSize;
    mQ = register_module("q_proj", biasFreeLinear(n, mHeads * mHeadDim));
    mK = register_module("k_proj", biasFreeLinear(n, mKvHeads * mHeadDim));
    mV = register_module("v_proj", biasFreeLinear(n, mKvHeads * mHeadDim));
    mO = register_module("o_proj", biasFreeLinear(mHeads * mHeadDim, n));
}

at::Tensor LlamaAttentionImpl::forward(const at::Tensor &hidden, const RotaryTables &rope, const at::Tensor &allowed,
                                       LlamaLayerCache *cache)
{
    const std::int64_t batch = hidden.size(0);
    const std::int64_t length = hidden.size(1);
    const auto heads = [&](const at::Tensor &t, std::int64_t count) {
        return t.view({batch, length, count, mHeadDim}).transpose(1, 2);
    };
    const at::Tensor cos = rope.cos.unsqueeze(1);
    const at::Tensor sin = rope.sin.unsqueeze(1);
    const auto rotate = [&](const at::Tensor &x) { return x * cos + rotateHalf(x) * sin; };
    const at::Tensor q = rotate(heads(mQ(hidden), mHeads));
    at::Tensor k = rotate(heads(mK(hidden), mKvHeads));
    at::Tensor v = heads(mV(hidden), mKvHeads);
    // Cached before repeat_kv: the cache holds kv_heads, not heads.
    const KeysValues kept = appendToCache(cache, k, v);
    k = kept.keys;
    v = kept.values;
    // repeat_kv: query head j reads key/value head j / (heads / kv_heads).
    const std::int64_t groups = mHeads / mKvHeads;
    const auto repeatKv = [&](const at::Tensor &t) {
        if (groups == 1)
            return t;
        return t.unsqueeze(2)
            .expand({batch, mKvHeads, groups, t.size(2), mHeadDim})
            .reshape({batch, mHeads, t.size(2), mHeadDim});
    };
    at::Tensor scores = at::matmul(q, repeatKv(k).transpose(2, 3)) / std::sqrt(double(mHeadDim));
    // The dtype's lowest value for the future and the padding (a left-padded
    // row's pad queries then get finite, ignored outputs instead of NaN).
    scores = scores.masked_fill(allowed.logical_not(), lowestValue(scores.scalar_type()));
    // Softmax in float32 whatever the dtype, as HF upcasts it.
    at::Tensor probs = at::softmax(scores, -1, at::kFloat).to(q.scalar_type());
    probs = at::dropout(probs, mDropout, is_training());
    const at::Tensor context =
        at::matmul(probs, repeatKv(v)).transpose(1, 2).reshape({batch, length, mHeads * mHeadDim});
    return mO(context);
}

LlamaMlpImpl::LlamaMlpImpl(const LlamaConfig &config)
{
    mGate = register_module("gate_proj", biasFreeLinear(config.hiddenSize, config.intermediateSize));
    mUp = register_module("up_proj", biasFreeLinear(config.hiddenSize, config.intermediateSize));
    mDown = register_module("down_proj", biasFreeLinear(config.intermediateSize, config.hiddenSize));
}

at::Tensor LlamaMlpImpl::forward(const at::Tensor &hidden)
{
    return mDown(at::silu(mGate(hidden)) * mUp(hidden));
}

LlamaDecoderLayerImpl::LlamaDecoderLayerImpl(const LlamaConfig &config)
{
    mInputNorm = register_module("input_layernorm", LlamaRmsNorm(config.hiddenSize, config.rmsNormEps));
    mAttention = register_module("self_attn", LlamaAttention(config));
    mPostAttentionNorm =
        register_module("post_attention_layernorm", LlamaRmsNorm(config.hiddenSize, config.rmsNormEps));
    mMlp = register_module("mlp", LlamaMlp(config));
}

at::Tensor LlamaDecoderLayerImpl::forward(const at::Tensor &hidden, const RotaryTables &rope,
                                          const at::Tensor &allowed, LlamaLayerCache *cache)
{
    at::Tensor attention = mAttention->forward(mInputNorm(hidden), rope, allowed, cache);
    if (!mAttentionAdapter.is_empty())
        attention = mAttentionAdapter(attention);
    const at::Tensor attended = hidden + attention;
    at::Tensor output = mMlp(mPostAttentionNorm(attended));
    if (!mOutputAdapter.is_empty())
        output = mOutputAdapter(output);
    return attended + output;
}

void LlamaDecoderLayerImpl::addAttentionAdapter(BottleneckAdapter adapter)
{
    if (!mAttentionAdapter.is_empty())
        throw Error(ErrorKind::InvalidInput, "this layer already has an attention adapter");
    mAttentionAdapter = register_module("attention_adapter", std::move(adapter));
}

void LlamaDecoderLayerImpl::addOutputAdapter(BottleneckAdapter adapter)
{
    if (!mOutputAdapter.is_empty())
        throw Error(ErrorKind::InvalidInput, "this layer already has an output adapter");
    mOutputAdapter = register_module("output_adapter", std::move(adapter));
}

LlamaModelImpl::LlamaModelImpl(const LlamaConfig &config) : mHeadDim(config.headDim()), mRopeTheta(config.ropeTheta)
{
    // padding_idx: HF's row for the pad token starts at zero and gets no gradient.
    torch::nn::EmbeddingOptions options(config.vocabSize, config.hiddenSize);
    if (config.padTokenId)
        options.padding_idx(*config.padTokenId);
    mEmbedTokens = register_module("embed_tokens", torch::nn::Embedding(options));
    auto layers = register_module("layers", torch::nn::ModuleList());
    for (std::int64_t i = 0; i < config.numHiddenLayers; ++i) {
        mLayers.emplace_back(config);
        layers->push_back(mLayers.back());
    }
    mNorm = register_module("norm", LlamaRmsNorm(config.hiddenSize, config.rmsNormEps));
}

at::Tensor LlamaModelImpl::forward(const at::Tensor &inputIds, const at::Tensor &attentionMask,
                                   const at::Tensor &givenPositions, LlamaKvCache *givenCache)
{
    if (inputIds.dim() != 2)
        throw Error(ErrorKind::InvalidInput,
                    "input_ids must be [batch, length], got " + std::to_string(inputIds.dim()) + " dimensions");
    if (givenCache && !givenCache->layers.empty() && givenCache->layers.size() != mLayers.size())
        throw Error(ErrorKind::InvalidInput, "the key/value cache has " + std::to_string(givenCache->layers.size()) +
                                                 " layers, the model " + std::to_string(mLayers.size()));
    const std::int64_t batch = inputIds.size(0);
    const std::int64_t inputLength = inputIds.size(1);
    KvCache local;
    const DecoderVirtualTokens virtualTokens =
        decoderVirtualTokens(mVirtualTokens, givenCache, local, mLayers.size(), batch);
    LlamaKvCache *cache = virtualTokens.cache;
    const std::int64_t prompts = virtualTokens.prependPrompts ? virtualTokens.count : 0;
    const std::int64_t past = cache ? cache->length() : 0;
    const std::int64_t length = prompts + inputLength;
    const std::int64_t total = past + length;
    const auto longOptions = inputIds.options().dtype(at::kLong);
    at::Tensor positions = at::arange(past, total, longOptions).unsqueeze(0);
    if (givenPositions.defined()) {
        if (givenPositions.dim() != 2 || givenPositions.size(1) != inputLength
            || (givenPositions.size(0) != 1 && givenPositions.size(0) != batch))
            throw Error(ErrorKind::InvalidInput, "position_ids must be [batch, length] or [1, length] for input_ids [" +
                                                     std::to_string(batch) + ", " + std::to_string(inputLength) + "]");
        // The caller counts real tokens; the virtual ones sit before them.
        positions = givenPositions + virtualTokens.count;
        if (prompts > 0)
            positions = at::cat({at::arange(prompts, longOptions).unsqueeze(0).expand({positions.size(0), prompts}),
                                 positions}, 1);
    }
    // Query i sits at past + i and may attend keys 0 .. past + i that the mask keeps.
    const at::Tensor queryAt = at::arange(past, total, longOptions).view({length, 1});
    at::Tensor allowed = at::arange(total, longOptions).view({1, total}).le(queryAt).view({1, 1, length, total});
    if (attentionMask.defined()) {
        const std::int64_t real = total - virtualTokens.count;
        if (attentionMask.dim() != 2 || attentionMask.size(0) != batch || attentionMask.size(1) != real)
            throw Error(ErrorKind::InvalidInput, "attention_mask must be [" + std::to_string(batch) + ", " +
                                                     std::to_string(real) + "] (cached and new positions)");
        const at::Tensor mask = mVirtualTokens.is_empty() ? attentionMask : mVirtualTokens->extendMask(attentionMask);
        allowed = allowed.logical_and(mask.to(at::kBool).view({batch, 1, 1, total}));
    }
    at::Tensor hidden = mEmbedTokens(inputIds);
    if (prompts > 0)
        hidden = at::cat({mVirtualTokens->prompts(batch).to(hidden.scalar_type()), hidden}, 1);
    const RotaryTables rope = rotaryTables(positions, mHeadDim, mRopeTheta, hidden.scalar_type());
    if (cache && cache->layers.empty())
        cache->layers.resize(mLayers.size());
    for (std::size_t i = 0; i < mLayers.size(); ++i)
        hidden = mLayers[i]->forward(hidden, rope, allowed, cache ? &cache->layers[i] : nullptr);
    hidden = mNorm(hidden);
    return prompts > 0 ? hidden.slice(1, prompts) : hidden;
}

void LlamaModelImpl::addVirtualTokens(VirtualTokens tokens)
{
    if (!mVirtualTokens.is_empty())
        throw Error(ErrorKind::InvalidInput, "the model already has virtual tokens");
    mVirtualTokens = register_module("prompt_encoder", std::move(tokens));
}

LlamaForSequenceClassificationImpl::LlamaForSequenceClassificationImpl(const LlamaConfig &config) : mConfig(config)
{
    if (!config.padTokenId)
        throw Error(ErrorKind::InvalidInput, "LlamaForSequenceClassification needs pad_token_id in config.json (it "
                                             "reads each text at its last token that is not padding)");
    mModel = register_module("model", LlamaModel(config));
    mScore = register_module("score", headLinear(config.hiddenSize, config.numLabels()));
}

SequenceClassifierOutput LlamaForSequenceClassificationImpl::forward(const at::Tensor &inputIds,
                                                                     const at::Tensor &attentionMask,
                                                                     const at::Tensor &positionIds)
{
    SequenceClassifierOutput output;
    output.lastHiddenState = mModel->forward(inputIds, attentionMask, positionIds);
    const at::Tensor rows = at::arange(inputIds.size(0), inputIds.options().dtype(at::kLong));
    output.pooledOutput = output.lastHiddenState.index({rows, lastTokenIndices(inputIds, *mConfig.padTokenId)});
    output.logits = mScore(output.pooledOutput);
    return output;
}

void LlamaForSequenceClassificationImpl::initWeights(std::uint64_t seed, std::string_view prefix)
{
    // transformers' _init_weights: RMSNorm weights stay 1 as constructed.
    initLikeTransformers(*this, mConfig.initializerRange, seed, prefix);
}

LlamaForCausalLMImpl::LlamaForCausalLMImpl(const LlamaConfig &config) : mConfig(config)
{
    mModel = register_module("model", LlamaModel(config));
    if (!config.tieWordEmbeddings)
        mLmHead = register_module("lm_head", headLinear(config.hiddenSize, config.vocabSize));
}

at::Tensor LlamaForCausalLMImpl::forward(const at::Tensor &inputIds, const at::Tensor &attentionMask,
                                         const at::Tensor &positionIds, LlamaKvCache *cache)
{
    const at::Tensor hidden = mModel->forward(inputIds, attentionMask, positionIds, cache);
    return mLmHead.is_empty() ? at::linear(hidden, mModel->tokenEmbedding()) : mLmHead(hidden);
}

void LlamaForCausalLMImpl::initWeights(std::uint64_t seed)
{
    initLikeTransformers(*this, mConfig.initializerRange, seed);
}

} // namespace ft
