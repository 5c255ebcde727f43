// bottleneck_adapter.cpp
#include "models/bottleneck_adapter.h"

#include <ATen/Functions.h>
#include <c10/core/GradMode.h>

namespace ft {

std::string toString(AdapterActivation activation)
{
    return activation == AdapterActivation::Swish ? "swish" : "relu";
}

BottleneckAdapterImpl::BottleneckAdapterImpl(std::int64_t hidden, std::int64_t bottleneck,
                                             AdapterActivation activation, at::Generator &generator)
    : mBottleneck(bottleneck), mActivation(activation)
{
    mDown = register_module("down_proj", torch::nn::Linear(hidden, bottleneck));
    mUp = register_module("up_proj", torch::nn::Linear(bottleneck, hidden));
    c10::NoGradGuard noGrad;
    // Drawn on the CPU from the run's seed, so a seed gives the same adapter on every device.
    mDown->weight.copy_(at::empty({bottleneck, hidden}, at::kFloat).normal_(0.0, 0.02, generator));
    mDown->bias.zero_();
    mUp->weight.zero_();
    mUp->bias.zero_();
}

at::Tensor BottleneckAdapterImpl::forward(const at::Tensor &x)
{
    const at::Tensor down = mDown(x);
    const at::Tensor active = mActivation == AdapterActivation::Swish ? at::silu(down) : at::relu(down);
    return x + mUp(active);
}

} // namespace ft
