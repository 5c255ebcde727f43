// adamw.h: AdamW with decoupled weight decay, stepping every parameter at
// once. The trainable parameters are re-seated as views into two flat
// buffers (with and without weight decay), and so are their gradients; one
// step is then a handful of vectorised operations over all weights instead
// of a loop of small kernels per tensor, which is what costs time on CPU and
// on small models. The arithmetic is torch.optim.AdamW's, element for element.
#pragma once

#include <ATen/Tensor.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace ft {

struct AdamWOptions {
    double beta1 = 0.9;
    double beta2 = 0.999;
    double epsilon = 1e-8;
    double weightDecay = 0.0;
};

// What transformers decays: everything except biases and LayerNorm weights.
bool decaysWeight(const std::string &parameterName);

class AdamW {
public:
    using NamedParameter = std::pair<std::string, at::Tensor>;

    // Takes the parameters that require grad; others are left alone.
    AdamW(const std::vector<NamedParameter> &parameters, AdamWOptions options);

    // One update with learning rate `lr` from the current gradients.
    void step(double lr);
    // Zeroes gradients in place, so they stay views into the flat buffer.
    void zeroGrad();
    // Global L2 norm of all gradients; scales them to `maxNorm` when above it
    // (torch.nn.utils.clip_grad_norm_). Returns the norm before clipping.
    double clipGradNorm(double maxNorm);
    double gradNorm() const;
    // Multiplies every gradient by `factor` (unscaling after loss scaling).
    void scaleGradients(double factor);
    // The flat buffers every gradient is a view into (one per parameter
    // group): what data-parallel training sums over the workers, in one
    // collective per buffer.
    std::vector<at::Tensor> gradientBuffers() const;

    // Where a trainable parameter's gradient lies: in gradientBuffers()[buffer],
    // numel elements from offset. `order` is the parameter's position among
    // the trainable ones as given to the constructor (registration order;
    // backward produces gradients roughly in reverse).
    struct GradientSlot {
        at::Tensor parameter;
        size_t buffer = 0;
        std::int64_t offset = 0;
        std::int64_t numel = 0;
        size_t order = 0;
    };
    std::vector<GradientSlot> gradientSlots() const;

    std::int64_t stepCount() const { return mStep; }
    std::int64_t parameterCount() const;

    // Optimiser state for checkpoints: moments of each group, and the step.
    struct State {
        std::vector<at::Tensor> tensors; // expAvg, expAvgSq per group
        std::int64_t step = 0;
    };
    State state() const;
    void loadState(const State &state);
    // Names of the tensors in state(), for saving them by name.
    static std::vector<std::string> stateNames();

private:
    struct Group {
        double weightDecay = 0;
        at::Tensor values;   // flat parameter storage
        at::Tensor grads;    // flat gradient storage
        at::Tensor expAvg;
        at::Tensor expAvgSq;
        std::vector<size_t> order; // of each parameter, as in GradientSlot
        std::vector<at::Tensor> parameters;
    };
    static Group makeGroup(const std::vector<at::Tensor> &parameters, double weightDecay);

    AdamWOptions mOptions;
    std::vector<Group> mGroups; // [0] decayed, [1] not decayed
    std::int64_t mStep = 0;
};

} // namespace ft
