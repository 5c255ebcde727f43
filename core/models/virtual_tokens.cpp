// virtual_tokens.cpp: PEFT's PromptEmbedding and PrefixEncoder, and get_prompt's reshaping.
#include "models/virtual_tokens.h"

#include "common/error.h"

#include <ATen/Functions.h>
#include <c10/core/GradMode.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/linear.h>

#include <cmath>
#include <string>

namespace ft {

namespace {

// nn.Linear's reset_parameters (kaiming_uniform_ with a = sqrt(5), then the bias), from `generator`.
torch::nn::Linear makeLinear(std::int64_t in, std::int64_t out, at::Generator &generator)
{
    torch::nn::Linear linear(in, out);
    const double bound = 1.0 / std::sqrt(double(in));
    c10::NoGradGuard noGrad;
    linear->weight.copy_(at::empty({out, in}, at::kFloat).uniform_(-bound, bound, generator));
    linear->bias.copy_(at::empty({out}, at::kFloat).uniform_(-bound, bound, generator));
    return linear;
}

} // namespace

VirtualTokensImpl::VirtualTokensImpl(const VirtualTokensOptions &options, at::Generator &generator)
    : mOptions(options)
{
    const bool prefix = options.kind == VirtualTokenKind::Prefix;
    if (mOptions.encoderHiddenSize <= 0)
        mOptions.encoderHiddenSize = options.tokenDim;
    if (options.numVirtualTokens < 1 || options.tokenDim < 1
        || (prefix && (options.numLayers < 1 || options.numHeads < 1 || options.tokenDim % options.numHeads != 0)))
        throw Error(ErrorKind::InvalidInput, "virtual tokens need num_virtual_tokens >= 1 and a model with layers and "
                                             "heads that divide its hidden size; got "
                                                 + std::to_string(options.numVirtualTokens) + " tokens of width "
                                                 + std::to_string(options.tokenDim));
    if (!prefix)
        mOptions.projection = false;
    const std::int64_t embeddingWidth = mOptions.projection ? options.tokenDim : width();
    mEmbedding = register_module("embedding", torch::nn::Embedding(options.numVirtualTokens, embeddingWidth));
    {
        c10::NoGradGuard noGrad;
        mEmbedding->weight.copy_(at::empty({options.numVirtualTokens, embeddingWidth}, at::kFloat).normal_(0, 1, generator));
    }
    if (mOptions.projection) {
        torch::nn::Sequential transform;
        transform->push_back(makeLinear(options.tokenDim, mOptions.encoderHiddenSize, generator));
        transform->push_back(torch::nn::Tanh());
        transform->push_back(makeLinear(mOptions.encoderHiddenSize, width(), generator));
        mTransform = register_module("transform", transform);
    }
}

std::int64_t VirtualTokensImpl::width() const
{
    return mOptions.kind == VirtualTokenKind::Prefix ? mOptions.numLayers * 2 * mOptions.tokenDim : mOptions.tokenDim;
}

at::Tensor VirtualTokensImpl::table()
{
    // The embedding of every virtual token is its weight row: PEFT looks up arange(tokens).
    const at::Tensor rows = mEmbedding->weight;
    return mTransform.is_empty() ? rows : mTransform->forward(rows);
}

at::Tensor VirtualTokensImpl::prompts(std::int64_t batch)
{
    const at::Tensor rows = table();
    return rows.unsqueeze(0).expand({batch, rows.size(0), rows.size(1)});
}

at::Tensor VirtualTokensImpl::pastKeyValues(std::int64_t batch)
{
    const std::int64_t tokens = mOptions.numVirtualTokens, heads = mOptions.numHeads;
    const at::Tensor rows = table().view({tokens, mOptions.numLayers * 2, heads, mOptions.tokenDim / heads});
    // PEFT: view [batch, tokens, layers * 2, heads, head_dim], then permute [2, 0, 3, 1, 4].
    const at::Tensor kv = rows.permute({1, 2, 0, 3}).unsqueeze(1);
    return kv.expand({kv.size(0), batch, kv.size(2), kv.size(3), kv.size(4)});
}

at::Tensor VirtualTokensImpl::extendMask(const at::Tensor &attentionMask) const
{
    const at::Tensor ones = at::ones({attentionMask.size(0), mOptions.numVirtualTokens}, attentionMask.options());
    return at::cat({ones, attentionMask}, 1);
}

DecoderVirtualTokens decoderVirtualTokens(VirtualTokens tokens, KvCache *cache, KvCache &local,
                                          std::size_t layers, std::int64_t batch)
{
    DecoderVirtualTokens call;
    call.cache = cache;
    if (tokens.is_empty())
        return call;
    call.count = tokens->count();
    if (tokens->options().kind == VirtualTokenKind::Prefix) {
        if (!call.cache)
            call.cache = &local;
        if (call.cache->length() == 0)
            prefillKvCache(*call.cache, tokens->pastKeyValues(batch), layers);
    } else {
        call.prependPrompts = !cache || cache->length() == 0;
    }
    return call;
}

} // namespace ft
