// lora_linear.h: BERT's linear layer, able to carry a LoRA branch as PEFT's lora.Linear does. The base
// parameters keep Hugging Face's names ("weight", "bias"); the branch adds the submodules "lora_A" and
// "lora_B" (a "weight" each, PEFT's names less the adapter name) and "lora_dropout".
#pragma once

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/pimpl.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>

namespace ft {

// How the weight is stored: torch's Linear [out, in], or transformers' Conv1D (GPT-2) [in, out],
// PEFT's fan_in_fan_out. The LoRA factors have the same shapes either way.
enum class WeightLayout { OutIn, InOut };

class LoraLinearImpl : public torch::nn::Module {
public:
    // OutIn: shaped and initialised as torch::nn::Linear(inFeatures, outFeatures), drawing the same
    // numbers from the global generator, so a model built from these is bit-identical to one built
    // from Linear. InOut: as transformers' Conv1D (weight N(0, 0.02), bias 0). Without `bias`
    // (Llama's projections) no "bias" parameter is registered and bias() is undefined.
    LoraLinearImpl(std::int64_t inFeatures, std::int64_t outFeatures, WeightLayout layout = WeightLayout::OutIn,
                   bool bias = true);

    // base(x) + lora_B(lora_A(lora_dropout(x))) * scaling; base(x) alone without a branch.
    at::Tensor forward(const at::Tensor &input);

    // Adds the branch: lora_A [r, in] drawn as PEFT does (kaiming_uniform_ with a = sqrt(5), here from
    // `generator`), lora_B [out, r] zeros, scaling alpha / r, dropout on the branch's input only. Its
    // parameters are trainable and take the weight's device and dtype; dropout follows train()/eval().
    void addLora(std::int64_t r, double alpha, double dropout, at::Generator &generator);
    // Folds lora_B · lora_A · scaling into the weight and removes the branch (PEFT's merge_and_unload).
    void mergeLora();

    bool hasLora() const { return mLoraA != nullptr; }
    std::int64_t rank() const { return hasLora() ? mLoraAWeight.size(0) : 0; }
    double scaling() const { return mScaling; }
    std::int64_t inFeatures() const { return mInFeatures; }
    std::int64_t outFeatures() const { return mOutFeatures; }
    WeightLayout layout() const { return mLayout; }
    const at::Tensor &weight() const { return mWeight; }
    const at::Tensor &bias() const { return mBias; } // undefined for a layer without bias
    const at::Tensor &loraA() const { return mLoraAWeight; } // undefined without a branch
    const at::Tensor &loraB() const { return mLoraBWeight; }

    // Inference on the CPU: forward() runs `forward` instead, an int8 copy of the weight
    // (models/dynamic_quantization.h); the float weight stays for state() and the exports.
    void setQuantizedForward(std::function<at::Tensor(const at::Tensor &)> forward) { mQuantized = std::move(forward); }
    bool isQuantized() const { return static_cast<bool>(mQuantized); }

    void pretty_print(std::ostream &stream) const override;

private:
    std::int64_t mInFeatures = 0;
    std::int64_t mOutFeatures = 0;
    WeightLayout mLayout = WeightLayout::OutIn;
    at::Tensor mWeight;
    at::Tensor mBias;
    std::shared_ptr<torch::nn::Module> mLoraA;
    std::shared_ptr<torch::nn::Module> mLoraB;
    torch::nn::Dropout mLoraDropout{nullptr}; // none when the dropout is 0 (PEFT's Identity)
    at::Tensor mLoraAWeight;
    at::Tensor mLoraBWeight;
    double mScaling = 0;
    std::function<at::Tensor(const at::Tensor &)> mQuantized;
};
TORCH_MODULE(LoraLinear);

} // namespace ft
