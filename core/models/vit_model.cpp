// vit_model.cpp: the ViT forward pass operation for operation as HF's eager
// attention computes it, and HF's weight init.
#include "models/vit_model.h"

#include "common/error.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Functions.h>
#include <c10/core/GradMode.h>
#include <torch/nn/modules/container/modulelist.h>

#include <cmath>
#include <memory>

namespace ft {

namespace {

torch::nn::LayerNorm layerNorm(const VitConfig &config)
{
    return torch::nn::LayerNorm(torch::nn::LayerNormOptions({config.hiddenSize}).eps(config.layerNormEps));
}

// A module that only names its children (HF's ViTAttention, ViTOutput, ...).
std::shared_ptr<torch::nn::Module> holder()
{
    return std::make_shared<torch::nn::Module>();
}

// HF draws trunc_normal_(std) cut at +-2 (absolute): with std 0.02 that is a
// plain normal draw, made here in float32 on the CPU for any device.
void fillNormal(at::Tensor tensor, double std, at::Generator &generator)
{
    tensor.copy_(at::empty(tensor.sizes(), at::kFloat).normal_(0.0, std, generator));
}

} // namespace

VitLayerImpl::VitLayerImpl(const VitConfig &config)
    : mHeads(config.numAttentionHeads), mGeluTanh(config.geluTanh)
{
    if (!config.qkvBias)
        throw Error(ErrorKind::Incompatible, "ViT with qkv_bias false is not supported");
    const std::int64_t hidden = config.hiddenSize;
    auto attention = register_module("attention", holder());
    auto self = attention->register_module("attention", holder());
    mQuery = self->register_module("query", LoraLinear(hidden, hidden));
    mKey = self->register_module("key", LoraLinear(hidden, hidden));
    mValue = self->register_module("value", LoraLinear(hidden, hidden));
    auto selfOutput = attention->register_module("output", holder());
    mAttentionOutput = selfOutput->register_module("dense", LoraLinear(hidden, hidden));
    auto intermediate = register_module("intermediate", holder());
    mIntermediate = intermediate->register_module("dense", LoraLinear(hidden, config.intermediateSize));
    auto output = register_module("output", holder());
    mOutput = output->register_module("dense", LoraLinear(config.intermediateSize, hidden));
    mLayerNormBefore = register_module("layernorm_before", layerNorm(config));
    mLayerNormAfter = register_module("layernorm_after", layerNorm(config));
    mAttentionDropout = register_module("attention_dropout", torch::nn::Dropout(config.attentionProbsDropoutProb));
    mHiddenDropout = register_module("hidden_dropout", torch::nn::Dropout(config.hiddenDropoutProb));
}

at::Tensor VitLayerImpl::forward(const at::Tensor &hidden)
{
    const std::int64_t batch = hidden.size(0), length = hidden.size(1), width = hidden.size(2);
    const std::int64_t headDim = width / mHeads;
    const at::Tensor normed = mLayerNormBefore(hidden);
    const auto heads = [&](const at::Tensor &x) { return x.view({batch, length, mHeads, headDim}).transpose(1, 2); };
    const at::Tensor q = heads(mQuery(normed)), k = heads(mKey(normed)), v = heads(mValue(normed));
    at::Tensor scores = at::matmul(q, k.transpose(-1, -2)) / std::sqrt(double(headDim));
    at::Tensor context = at::matmul(mAttentionDropout(at::softmax(scores, -1)), v);
    context = context.transpose(1, 2).contiguous().view({batch, length, width});
    const at::Tensor attended = mHiddenDropout(mAttentionOutput(context)) + hidden;
    at::Tensor inner = mIntermediate(mLayerNormAfter(attended));
    inner = mGeluTanh ? at::gelu(inner, "tanh") : at::gelu(inner);
    return mHiddenDropout(mOutput(inner)) + attended;
}

VitForImageClassificationImpl::VitForImageClassificationImpl(const VitConfig &config) : mConfig(config)
{
    const std::int64_t hidden = config.hiddenSize;
    auto vit = register_module("vit", holder());
    auto embeddings = vit->register_module("embeddings", holder());
    mClsToken = embeddings->register_parameter("cls_token", at::zeros({1, 1, hidden}));
    mPositionEmbeddings = embeddings->register_parameter("position_embeddings",
                                                         at::zeros({1, config.numPatches() + 1, hidden}));
    auto patches = embeddings->register_module("patch_embeddings", holder());
    mProjection = patches->register_module(
        "projection", torch::nn::Conv2d(torch::nn::Conv2dOptions(config.numChannels, hidden, config.patchSize)
                                            .stride(config.patchSize)));
    mEmbeddingDropout = embeddings->register_module("dropout", torch::nn::Dropout(config.hiddenDropoutProb));
    auto encoder = vit->register_module("encoder", holder());
    auto layers = encoder->register_module("layer", torch::nn::ModuleList());
    for (std::int64_t i = 0; i < config.numHiddenLayers; ++i) {
        mLayers.emplace_back(config);
        layers->push_back(mLayers.back());
    }
    mLayerNorm = vit->register_module("layernorm", layerNorm(config));
    mClassifier = register_module("classifier", torch::nn::Linear(hidden, std::max<std::int64_t>(config.numLabels(), 1)));
}

VitOutput VitForImageClassificationImpl::forward(const at::Tensor &pixelValues)
{
    const std::int64_t size = mConfig.imageSize;
    if (pixelValues.dim() != 4 || pixelValues.size(1) != mConfig.numChannels || pixelValues.size(2) != size
        || pixelValues.size(3) != size)
        throw Error(ErrorKind::InvalidInput,
                    "ViT expects pixel values [batch, " + std::to_string(mConfig.numChannels) + ", "
                        + std::to_string(size) + ", " + std::to_string(size) + "]; preprocess images to "
                        + std::to_string(size) + "x" + std::to_string(size) + " first");
    const at::Tensor patches = mProjection(pixelValues.to(mProjection->weight.scalar_type()))
                                   .flatten(2)
                                   .transpose(1, 2); // [batch, patches, hidden]
    at::Tensor hidden = at::cat({mClsToken.expand({patches.size(0), -1, -1}), patches}, 1) + mPositionEmbeddings;
    hidden = mEmbeddingDropout(hidden);
    for (VitLayer &layer : mLayers)
        hidden = layer(hidden);
    hidden = mLayerNorm(hidden);
    return {mClassifier(hidden.select(1, 0)), hidden};
}

void VitForImageClassificationImpl::initWeights(std::uint64_t seed)
{
    // HF: Linear and Conv2d weights, cls_token and position embeddings
    // N(0, initializer_range); biases 0; LayerNorm 1/0.
    at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(seed);
    const double std = mConfig.initializerRange;
    const c10::NoGradGuard noGrad;
    for (const auto &item : named_parameters()) {
        const std::string &name = item.key();
        at::Tensor tensor = item.value();
        const bool norm = name.find("layernorm") != std::string::npos;
        if (name.size() >= 5 && name.compare(name.size() - 5, 5, ".bias") == 0)
            tensor.zero_();
        else if (norm)
            tensor.fill_(1.0);
        else
            fillNormal(tensor, std, generator);
    }
}

} // namespace ft
