// bottleneck_adapter.h: a bottleneck adapter (Houlsby et al. 2019; Pfeiffer et al. 2021): down-projection,
// activation, up-projection, with a residual around them, placed after a sub-layer's output and before
// its residual LayerNorm. Its submodules are "down_proj" and "up_proj" (a Linear's "weight" and "bias").
#pragma once

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include <cstdint>
#include <string>

namespace ft {

enum class AdapterActivation { Relu, Swish };

// "relu", "swish".
std::string toString(AdapterActivation activation);

class BottleneckAdapterImpl : public torch::nn::Module {
public:
    // down_proj [bottleneck, hidden] drawn N(0, 0.02) from `generator` on the CPU; up_proj and both
    // biases zero, so the adapter starts as the identity and the model as the pretrained one.
    BottleneckAdapterImpl(std::int64_t hidden, std::int64_t bottleneck, AdapterActivation activation,
                          at::Generator &generator);

    // x + up_proj(activation(down_proj(x))).
    at::Tensor forward(const at::Tensor &x);

    std::int64_t bottleneck() const { return mBottleneck; }
    AdapterActivation activation() const { return mActivation; }

private:
    torch::nn::Linear mDown{nullptr};
    torch::nn::Linear mUp{nullptr};
    std::int64_t mBottleneck = 0;
    AdapterActivation mActivation = AdapterActivation::Relu;
};
TORCH_MODULE(BottleneckAdapter);

} // namespace ft
