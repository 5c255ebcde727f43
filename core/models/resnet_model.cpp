// resnet_model.cpp: the ResNet forward pass as HF computes it, and HF's init.
#include "models/resnet_model.h"

#include "common/error.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Functions.h>
#include <c10/core/GradMode.h>
#include <torch/nn/init.h>
#include <torch/nn/modules/container/modulelist.h>

#include <cmath>
#include <memory>

namespace ft {

ResNetConvLayerImpl::ResNetConvLayerImpl(std::int64_t in, std::int64_t out, std::int64_t kernel, std::int64_t stride,
                                         bool relu)
    : mRelu(relu)
{
    mConvolution = register_module(
        "convolution",
        torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, kernel).stride(stride).padding(kernel / 2).bias(false)));
    mNormalization = register_module("normalization", torch::nn::BatchNorm2d(out));
}

at::Tensor ResNetConvLayerImpl::forward(const at::Tensor &x)
{
    const at::Tensor y = mNormalization(mConvolution(x));
    return mRelu ? at::relu(y) : y;
}

ResNetResidualLayerImpl::ResNetResidualLayerImpl(const ResNetConfig &config, std::int64_t in, std::int64_t out,
                                                 std::int64_t stride)
{
    if (in != out || stride != 1)
        mShortcut = register_module("shortcut", ResNetConvLayer(in, out, 1, stride, false));
    auto layer = register_module("layer", torch::nn::ModuleList());
    if (config.bottleneck) {
        // 1x1 reduce, 3x3, 1x1 expand; the stride on the first or the 3x3.
        const std::int64_t reduced = out / 4;
        const bool first = config.downsampleInBottleneck;
        mLayer = {ResNetConvLayer(in, reduced, 1, first ? stride : 1, true),
                  ResNetConvLayer(reduced, reduced, 3, first ? 1 : stride, true),
                  ResNetConvLayer(reduced, out, 1, 1, false)};
    } else {
        mLayer = {ResNetConvLayer(in, out, 3, stride, true), ResNetConvLayer(out, out, 3, 1, false)};
    }
    for (const ResNetConvLayer &conv : mLayer)
        layer->push_back(conv);
}

at::Tensor ResNetResidualLayerImpl::forward(const at::Tensor &x)
{
    at::Tensor y = x;
    for (ResNetConvLayer &conv : mLayer)
        y = conv(y);
    return at::relu(y + (mShortcut ? mShortcut(x) : x));
}

ResNetForImageClassificationImpl::ResNetForImageClassificationImpl(const ResNetConfig &config) : mConfig(config)
{
    auto resnet = register_module("resnet", std::make_shared<torch::nn::Module>());
    auto embedder = resnet->register_module("embedder", std::make_shared<torch::nn::Module>());
    mStem = embedder->register_module("embedder", ResNetConvLayer(config.numChannels, config.embeddingSize, 7, 2, true));
    auto encoder = resnet->register_module("encoder", std::make_shared<torch::nn::Module>());
    auto stages = encoder->register_module("stages", torch::nn::ModuleList());
    std::int64_t in = config.embeddingSize;
    for (std::size_t s = 0; s < config.hiddenSizes.size(); ++s) {
        auto stage = std::make_shared<torch::nn::Module>();
        auto layers = stage->register_module("layers", torch::nn::ModuleList());
        const std::int64_t out = config.hiddenSizes[s];
        const std::int64_t stride = s == 0 && !config.downsampleInFirstStage ? 1 : 2;
        for (std::int64_t l = 0; l < config.depths[s]; ++l) {
            mLayers.emplace_back(config, l == 0 ? in : out, out, l == 0 ? stride : 1);
            layers->push_back(mLayers.back());
        }
        stages->push_back(stage);
        in = out;
    }
    // HF: Sequential(Flatten(), Linear): the linear layer is "classifier.1".
    auto classifier = register_module("classifier", torch::nn::ModuleList());
    classifier->push_back(std::make_shared<torch::nn::Module>());
    mClassifier = torch::nn::Linear(in, std::max<std::int64_t>(config.numLabels(), 1));
    classifier->push_back(mClassifier);
}

ResNetOutput ResNetForImageClassificationImpl::forward(const at::Tensor &pixelValues)
{
    if (pixelValues.dim() != 4 || pixelValues.size(1) != mConfig.numChannels)
        throw Error(ErrorKind::InvalidInput, "ResNet expects pixel values [batch, " + std::to_string(mConfig.numChannels)
                                                 + ", height, width]");
    at::Tensor x = mStem(pixelValues.to(mClassifier->weight.scalar_type()));
    x = at::max_pool2d(x, {3, 3}, {2, 2}, {1, 1});
    for (ResNetResidualLayer &layer : mLayers)
        x = layer(x);
    const at::Tensor pooled = at::adaptive_avg_pool2d(x, {1, 1}).flatten(1);
    return {mClassifier(pooled), pooled};
}

void ResNetForImageClassificationImpl::initWeights(std::uint64_t seed)
{
    // HF: convolutions kaiming_normal_(fan_out, relu); batch norm 1/0; the
    // classifier keeps nn.Linear's own (uniform) init.
    at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(seed);
    const c10::NoGradGuard noGrad;
    for (const auto &module : modules(/*include_self=*/false)) {
        if (auto *conv = module->as<torch::nn::Conv2d>()) {
            const at::Tensor &w = conv->weight;
            const double fanOut = double(w.size(0) * w.size(2) * w.size(3));
            conv->weight.copy_(at::empty(w.sizes(), at::kFloat).normal_(0.0, std::sqrt(2.0 / fanOut), generator));
        } else if (auto *norm = module->as<torch::nn::BatchNorm2d>()) {
            norm->weight.fill_(1.0);
            norm->bias.zero_();
        } else if (auto *linear = module->as<torch::nn::Linear>()) {
            const double bound = 1.0 / std::sqrt(double(linear->weight.size(1)));
            linear->weight.copy_(at::empty(linear->weight.sizes(), at::kFloat).uniform_(-bound, bound, generator));
            linear->bias.copy_(at::empty(linear->bias.sizes(), at::kFloat).uniform_(-bound, bound, generator));
        }
    }
}

} // namespace ft
