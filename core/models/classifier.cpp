// classifier.cpp
#include "models/classifier.h"

#include "models/peft_methods.h"

#include <torch/nn/module.h>

namespace ft {

namespace {

bool startsWith(const std::string &name, const std::string &prefix)
{
    return name.rfind(prefix, 0) == 0;
}

} // namespace

std::int64_t Classifier::parameterCount() const
{
    std::int64_t count = 0;
    for (const auto &item : module().named_parameters())
        if (item.key().find(".lora_") == std::string::npos && !isPeftMethodParameter(item.key()))
            count += item.value().numel();
    return count;
}

void freezeLowerLayers(torch::nn::Module &module, const std::string &embeddings, const std::string &layerPrefix,
                       std::int64_t layers)
{
    for (auto &item : module.named_parameters()) {
        const std::string &name = item.key();
        bool frozen = startsWith(name, embeddings);
        if (layers < 0) {
            // The head: classifier (with RoBERTa's dense), DistilBERT's pre_classifier, GPT-2's and Llama's score.
            frozen = !startsWith(name, "classifier.") && !startsWith(name, "pre_classifier.") && !startsWith(name, "score.");
        } else {
            for (std::int64_t i = 0; i < layers && !frozen; ++i)
                frozen = startsWith(name, layerPrefix + std::to_string(i) + ".");
        }
        if (frozen)
            item.value().set_requires_grad(false);
    }
}

} // namespace ft
