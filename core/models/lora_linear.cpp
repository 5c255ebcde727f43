// lora_linear.cpp: the linear layer with its optional LoRA branch, following PEFT's lora.Linear.
#include "models/lora_linear.h"

#include "common/error.h"

#include <ATen/Functions.h>
#include <c10/core/GradMode.h>
#include <torch/nn/init.h>

#include <cmath>
#include <string>

namespace ft {

LoraLinearImpl::LoraLinearImpl(std::int64_t inFeatures, std::int64_t outFeatures, WeightLayout layout, bool bias)
    : mInFeatures(inFeatures), mOutFeatures(outFeatures), mLayout(layout)
{
    if (layout == WeightLayout::InOut) { // HF's Conv1D: normal(0, 0.02) weight, zero bias
        mWeight = register_parameter("weight", at::empty({inFeatures, outFeatures}).normal_(0.0, 0.02));
        if (bias)
            mBias = register_parameter("bias", at::zeros({outFeatures}));
        return;
    }
    // LinearImpl::reset() and reset_parameters(), call for call.
    mWeight = register_parameter("weight", at::empty({outFeatures, inFeatures}));
    if (bias)
        mBias = register_parameter("bias", at::empty({outFeatures}));
    torch::nn::init::kaiming_uniform_(mWeight, std::sqrt(5.0));
    if (bias) {
        const double bound = 1.0 / std::sqrt(double(inFeatures));
        torch::nn::init::uniform_(mBias, -bound, bound);
    }
}

at::Tensor LoraLinearImpl::forward(const at::Tensor &input)
{
    if (mQuantized)
        return mQuantized(input);
    at::Tensor output = mLayout == WeightLayout::OutIn ? at::linear(input, mWeight, mBias)
                        : mBias.defined()              ? at::matmul(input, mWeight) + mBias
                                                       : at::matmul(input, mWeight);
    if (!hasLora())
        return output;
    const at::Tensor x = mLoraDropout.is_empty() ? input : mLoraDropout(input);
    return output + at::linear(at::linear(x, mLoraAWeight), mLoraBWeight) * mScaling;
}

void LoraLinearImpl::addLora(std::int64_t r, double alpha, double dropout, at::Generator &generator)
{
    if (hasLora())
        throw Error(ErrorKind::InvalidInput, "this layer already has a LoRA branch");
    if (r < 1 || !(alpha > 0) || !(dropout >= 0 && dropout < 1))
        throw Error(ErrorKind::InvalidInput, "LoRA needs r >= 1, lora_alpha > 0 and lora_dropout in [0, 1); got r " +
                                                 std::to_string(r) + ", alpha " + std::to_string(alpha) +
                                                 ", dropout " + std::to_string(dropout));
    c10::NoGradGuard noGrad;
    // kaiming_uniform_(a = sqrt(5)) on [r, in]: gain sqrt(2 / (1 + 5)), bound gain * sqrt(3 / fan_in) = 1 / sqrt(in).
    // Drawn on the CPU in float32, as initWeights does, so a seed gives the same values on every device.
    const double bound = 1.0 / std::sqrt(double(mInFeatures));
    const at::Tensor a = at::empty({r, mInFeatures}, at::kFloat).uniform_(-bound, bound, generator);
    mLoraA = register_module("lora_A", std::make_shared<torch::nn::Module>("LoraA"));
    mLoraAWeight = mLoraA->register_parameter("weight", a.to(mWeight.options()));
    mLoraB = register_module("lora_B", std::make_shared<torch::nn::Module>("LoraB"));
    mLoraBWeight = mLoraB->register_parameter("weight", at::zeros({mOutFeatures, r}, mWeight.options()));
    if (dropout > 0) {
        mLoraDropout = register_module("lora_dropout", torch::nn::Dropout(dropout));
        mLoraDropout->train(is_training());
    }
    mScaling = alpha / double(r);
}

void LoraLinearImpl::mergeLora()
{
    if (!hasLora())
        return;
    {
        c10::NoGradGuard noGrad;
        const at::Tensor delta = at::matmul(mLoraBWeight.to(at::kFloat), mLoraAWeight.to(at::kFloat)) * mScaling;
        mWeight.add_((mLayout == WeightLayout::InOut ? delta.t() : delta).to(mWeight.scalar_type()));
    }
    unregister_module("lora_A");
    unregister_module("lora_B");
    if (!mLoraDropout.is_empty())
        unregister_module("lora_dropout");
    mLoraA.reset();
    mLoraB.reset();
    mLoraDropout = nullptr;
    mLoraAWeight = at::Tensor();
    mLoraBWeight = at::Tensor();
    mScaling = 0;
}

void LoraLinearImpl::pretty_print(std::ostream &stream) const
{
    stream << (mLayout == WeightLayout::InOut ? "ft::LoraLinear(Conv1D, in_features=" : "ft::LoraLinear(in_features=")
           << mInFeatures << ", out_features=" << mOutFeatures;
    if (hasLora())
        stream << ", r=" << rank() << ", scaling=" << mScaling;
    stream << ")";
}

} // namespace ft
