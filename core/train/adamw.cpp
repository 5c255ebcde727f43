// adamw.cpp
#include "train/adamw.h"

#include "common/error.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include <cmath>

namespace ft {

bool decaysWeight(const std::string &name)
{
    return !(name.ends_with("bias") || name.find("LayerNorm") != std::string::npos
             || name.find("layer_norm") != std::string::npos);
}

AdamW::Group AdamW::makeGroup(const std::vector<at::Tensor> &parameters, double weightDecay)
{
    at::NoGradGuard noGrad;
    Group group;
    group.weightDecay = weightDecay;
    std::int64_t total = 0;
    for (const auto &p : parameters)
        total += p.numel();
    const auto options = parameters.empty() ? at::TensorOptions(at::kFloat) : parameters.front().options();
    group.values = at::empty({total}, options);
    group.grads = at::zeros({total}, options);
    group.expAvg = at::zeros({total}, options);
    group.expAvgSq = at::zeros({total}, options);

    std::int64_t offset = 0;
    for (const auto &parameter : parameters) {
        at::Tensor p = parameter; // shares the TensorImpl with the module's parameter
        const auto n = p.numel();
        group.values.narrow(0, offset, n).copy_(p.reshape({n}));
        // Re-seat the parameter on the flat storage, and its gradient likewise.
        p.set_(group.values.storage(), group.values.storage_offset() + offset, p.sizes(), p.contiguous().strides());
        p.mutable_grad() = group.grads.narrow(0, offset, n).view(p.sizes());
        offset += n;
    }
    group.parameters = parameters;
    return group;
}

AdamW::AdamW(const std::vector<NamedParameter> &parameters, AdamWOptions options) : mOptions(options)
{
    std::vector<at::Tensor> decayed, plain;
    std::vector<size_t> decayedOrder, plainOrder;
    at::ScalarType dtype = at::kFloat;
    bool first = true;
    size_t order = 0;
    for (const auto &[name, tensor] : parameters) {
        if (!tensor.requires_grad())
            continue;
        if (!first && (tensor.scalar_type() != dtype))
            throw Error(ErrorKind::Internal, "AdamW: parameter " + name + " has a different dtype from the others");
        dtype = tensor.scalar_type();
        first = false;
        const bool decays = decaysWeight(name);
        (decays ? decayed : plain).push_back(tensor);
        (decays ? decayedOrder : plainOrder).push_back(order++);
    }
    mGroups.push_back(makeGroup(decayed, options.weightDecay));
    mGroups.back().order = std::move(decayedOrder);
    mGroups.push_back(makeGroup(plain, 0.0));
    mGroups.back().order = std::move(plainOrder);
}

std::vector<at::Tensor> AdamW::gradientBuffers() const
{
    std::vector<at::Tensor> buffers;
    for (const auto &group : mGroups)
        if (group.grads.numel() > 0)
            buffers.push_back(group.grads);
    return buffers;
}

std::vector<AdamW::GradientSlot> AdamW::gradientSlots() const
{
    std::vector<GradientSlot> slots;
    size_t buffer = 0;
    for (const auto &group : mGroups) {
        if (group.grads.numel() == 0)
            continue; // not among gradientBuffers()
        std::int64_t offset = 0;
        for (size_t i = 0; i < group.parameters.size(); ++i) {
            const std::int64_t n = group.parameters[i].numel();
            slots.push_back({group.parameters[i], buffer, offset, n, group.order[i]});
            offset += n;
        }
        ++buffer;
    }
    return slots;
}

std::int64_t AdamW::parameterCount() const
{
    std::int64_t count = 0;
    for (const auto &group : mGroups)
        count += group.values.numel();
    return count;
}

void AdamW::step(double lr)
{
    at::NoGradGuard noGrad;
    ++mStep;
    const double biasCorrection1 = 1.0 - std::pow(mOptions.beta1, static_cast<double>(mStep));
    const double biasCorrection2 = 1.0 - std::pow(mOptions.beta2, static_cast<double>(mStep));
    const double stepSize = lr / biasCorrection1;
    const double biasCorrection2Sqrt = std::sqrt(biasCorrection2);
    for (auto &group : mGroups) {
        if (group.values.numel() == 0)
            continue;
        if (group.weightDecay != 0)
            group.values.mul_(1.0 - lr * group.weightDecay);
        group.expAvg.mul_(mOptions.beta1).add_(group.grads, 1.0 - mOptions.beta1);
        group.expAvgSq.mul_(mOptions.beta2).addcmul_(group.grads, group.grads, 1.0 - mOptions.beta2);
        const at::Tensor denominator = (group.expAvgSq.sqrt() / biasCorrection2Sqrt).add_(mOptions.epsilon);
        group.values.addcdiv_(group.expAvg, denominator, -stepSize);
    }
}

void AdamW::zeroGrad()
{
    for (auto &group : mGroups)
        group.grads.zero_();
}

double AdamW::gradNorm() const
{
    at::NoGradGuard noGrad;
    double sumOfSquares = 0;
    for (const auto &group : mGroups) {
        if (group.grads.numel() > 0) {
            const double norm = group.grads.norm(2).item<double>();
            sumOfSquares += norm * norm;
        }
    }
    return std::sqrt(sumOfSquares);
}

void AdamW::scaleGradients(double factor)
{
    at::NoGradGuard noGrad;
    for (auto &group : mGroups)
        group.grads.mul_(factor);
}

double AdamW::clipGradNorm(double maxNorm)
{
    at::NoGradGuard noGrad;
    const double norm = gradNorm();
    // The same coefficient as clip_grad_norm_: max_norm / (norm + 1e-6), applied only when below 1.
    const double coefficient = maxNorm / (norm + 1e-6);
    if (coefficient < 1.0) {
        for (auto &group : mGroups)
            group.grads.mul_(coefficient);
    }
    return norm;
}

std::vector<std::string> AdamW::stateNames()
{
    return {"decay.exp_avg", "decay.exp_avg_sq", "no_decay.exp_avg", "no_decay.exp_avg_sq"};
}

AdamW::State AdamW::state() const
{
    State state;
    for (const auto &group : mGroups) {
        state.tensors.push_back(group.expAvg);
        state.tensors.push_back(group.expAvgSq);
    }
    state.step = mStep;
    return state;
}

void AdamW::loadState(const State &state)
{
    at::NoGradGuard noGrad;
    if (state.tensors.size() != mGroups.size() * 2)
        throw Error(ErrorKind::InvalidInput, "optimiser state has " + std::to_string(state.tensors.size())
                                                 + " tensors, expected " + std::to_string(mGroups.size() * 2));
    const auto names = stateNames();
    for (size_t i = 0; i < mGroups.size(); ++i) {
        for (size_t k = 0; k < 2; ++k) {
            at::Tensor &target = k == 0 ? mGroups[i].expAvg : mGroups[i].expAvgSq;
            const at::Tensor &source = state.tensors[i * 2 + k];
            if (source.numel() != target.numel())
                throw Error(ErrorKind::InvalidInput, "optimiser state " + names[i * 2 + k] + " has "
                                                         + std::to_string(source.numel()) + " values, expected "
                                                         + std::to_string(target.numel()));
            target.copy_(source.reshape({target.numel()}));
        }
    }
    mStep = state.step;
}

} // namespace ft
