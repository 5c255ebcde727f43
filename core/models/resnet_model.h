// resnet_model.h: ResNetForImageClassification as a LibTorch module,
// following Hugging Face's modeling_resnet.py: a 7x7 stride-2 stem with
// batch norm and max pooling, stages of basic (ResNet-18/34) or bottleneck
// (ResNet-50 and up) residual layers, global average pooling and a linear
// classifier. Submodules carry HF's names, so named_parameters() and
// named_buffers() are the checkpoint's keys
// (resnet.encoder.stages.0.layers.0.layer.0.convolution.weight, ...,
// classifier.1.weight).
#pragma once

#include "models/vision_config.h"

#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include <vector>

namespace ft {

// convolution (no bias), batch norm, then ReLU unless `relu` is false.
class ResNetConvLayerImpl : public torch::nn::Module {
public:
    ResNetConvLayerImpl(std::int64_t in, std::int64_t out, std::int64_t kernel, std::int64_t stride, bool relu);
    at::Tensor forward(const at::Tensor &x);

private:
    torch::nn::Conv2d mConvolution{nullptr};
    torch::nn::BatchNorm2d mNormalization{nullptr};
    bool mRelu = true;
};
TORCH_MODULE(ResNetConvLayer);

// One residual layer: its convolutions ("layer"), an optional projection
// shortcut ("shortcut") when the shape changes, then ReLU of the sum.
class ResNetResidualLayerImpl : public torch::nn::Module {
public:
    ResNetResidualLayerImpl(const ResNetConfig &config, std::int64_t in, std::int64_t out, std::int64_t stride);
    at::Tensor forward(const at::Tensor &x);

private:
    std::vector<ResNetConvLayer> mLayer;
    ResNetConvLayer mShortcut{nullptr}; // 1x1 convolution and batch norm, no ReLU
};
TORCH_MODULE(ResNetResidualLayer);

struct ResNetOutput {
    at::Tensor logits; // [batch, num_labels]
    at::Tensor pooled; // [batch, hidden_sizes.back()]
};

class ResNetForImageClassificationImpl : public torch::nn::Module {
public:
    // Modules sized by `config` with LibTorch's default init: load a
    // checkpoint or call initWeights() before use.
    explicit ResNetForImageClassificationImpl(const ResNetConfig &config);
    // pixelValues [batch, 3, height, width], any size the strides allow.
    ResNetOutput forward(const at::Tensor &pixelValues);

    // HF's ResNetPreTrainedModel._init_weights, reproducible for a seed.
    void initWeights(std::uint64_t seed);
    const ResNetConfig &config() const { return mConfig; }

private:
    ResNetConfig mConfig;
    ResNetConvLayer mStem{nullptr};
    std::vector<ResNetResidualLayer> mLayers; // every stage's, in order
    torch::nn::Linear mClassifier{nullptr};
};
TORCH_MODULE(ResNetForImageClassification);

} // namespace ft
