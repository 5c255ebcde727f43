// hf_init.cpp
#include "models/hf_init.h"

#include "models/lora_linear.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Functions.h>
#include <c10/core/GradMode.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

namespace ft {

namespace {

void fillNormal(at::Tensor &parameter, double std, at::Generator &generator)
{
    parameter.copy_(at::empty(parameter.sizes(), at::kFloat).normal_(0.0, std, generator));
}

void initModule(torch::nn::Module &module, double std, at::Generator &generator)
{
    if (auto *linear = module.as<torch::nn::Linear>()) {
        fillNormal(linear->weight, std, generator);
        if (linear->bias.defined())
            linear->bias.zero_();
    } else if (auto *loraLinear = module.as<LoraLinear>()) {
        at::Tensor weight = loraLinear->weight(); // a LoRA branch keeps its own init
        fillNormal(weight, std, generator);
        if (loraLinear->bias().defined())
            loraLinear->bias().zero_();
    } else if (auto *embedding = module.as<torch::nn::Embedding>()) {
        fillNormal(embedding->weight, std, generator);
        if (const auto &padding = embedding->options.padding_idx())
            embedding->weight[*padding].zero_();
    } else if (auto *norm = module.as<torch::nn::LayerNorm>()) {
        norm->weight.fill_(1.0);
        norm->bias.zero_();
    }
}

} // namespace

void initLikeTransformers(torch::nn::Module &root, double std, std::uint64_t seed, std::string_view prefix)
{
    c10::NoGradGuard noGrad;
    at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(seed);
    for (const auto &item : root.named_modules("", /*include_self=*/false)) {
        const std::string &name = item.key();
        const bool under = prefix.empty() || (name.compare(0, prefix.size(), prefix) == 0
                                              && (name.size() == prefix.size() || name[prefix.size()] == '.'));
        if (under)
            initModule(*item.value(), std, generator);
    }
}

} // namespace ft
