// vit_model.h: ViTForImageClassification as a LibTorch module, following
// Hugging Face's modeling_vit.py: patch embedding (a strided convolution),
// a [CLS] token and learned position embeddings, pre-LayerNorm encoder
// layers, a final LayerNorm, and a linear classifier on the [CLS] output.
// Submodules carry HF's names, so named_parameters() are the checkpoint's
// keys (vit.encoder.layer.0.attention.attention.query.weight, ...).
// The encoder's linear layers are LoraLinear, ready for a LoRA branch.
#pragma once

#include "models/lora_linear.h"
#include "models/vision_config.h"

#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include <vector>

namespace ft {

class VitLayerImpl : public torch::nn::Module {
public:
    explicit VitLayerImpl(const VitConfig &config);
    at::Tensor forward(const at::Tensor &hidden);

private:
    torch::nn::LayerNorm mLayerNormBefore{nullptr}, mLayerNormAfter{nullptr};
    LoraLinear mQuery{nullptr}, mKey{nullptr}, mValue{nullptr}, mAttentionOutput{nullptr};
    LoraLinear mIntermediate{nullptr}, mOutput{nullptr};
    torch::nn::Dropout mAttentionDropout{nullptr}, mHiddenDropout{nullptr};
    std::int64_t mHeads = 0;
    bool mGeluTanh = false;
};
TORCH_MODULE(VitLayer);

struct VitOutput {
    at::Tensor logits;          // [batch, num_labels]
    at::Tensor lastHiddenState; // [batch, 1 + patches, hidden], after the final LayerNorm
};

class VitForImageClassificationImpl : public torch::nn::Module {
public:
    // Modules sized by `config` with LibTorch's default init: load a
    // checkpoint or call initWeights() before use.
    explicit VitForImageClassificationImpl(const VitConfig &config);
    // pixelValues [batch, 3, image_size, image_size] (the processor's output).
    VitOutput forward(const at::Tensor &pixelValues);

    // HF's ViTPreTrainedModel._init_weights, reproducible for a seed.
    void initWeights(std::uint64_t seed);
    const VitConfig &config() const { return mConfig; }

private:
    VitConfig mConfig;
    at::Tensor mClsToken, mPositionEmbeddings;
    torch::nn::Conv2d mProjection{nullptr};
    torch::nn::Dropout mEmbeddingDropout{nullptr};
    std::vector<VitLayer> mLayers;
    torch::nn::LayerNorm mLayerNorm{nullptr};
    torch::nn::Linear mClassifier{nullptr};
};
TORCH_MODULE(VitForImageClassification);

} // namespace ft
