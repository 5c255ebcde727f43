// loss_scaler.h: dynamic loss scaling for fp16 training, the policy of
// torch.cuda.amp.GradScaler. fp16 gradients of small losses underflow to
// zero, so the loss is multiplied by a large scale before backward and the
// gradients divided by it before the optimiser step. A step whose gradients
// overflowed is skipped and the scale halved; after `growthInterval` clean
// steps in a row the scale doubles. Torch-free: it only keeps the numbers.
#pragma once

#include <cstdint>

namespace ft {

struct LossScalerState {
    double scale = 65536.0;          // GradScaler's init_scale
    std::int64_t growthTracker = 0;  // clean steps since the scale last changed
    std::int64_t skippedInARow = 0;  // overflowed steps since the last clean one
};

class LossScaler {
public:
    explicit LossScaler(bool enabled, LossScalerState state = {}) : mEnabled(enabled), mState(state) {}

    bool enabled() const { return mEnabled; }
    // The factor for the loss before backward: 1 when disabled.
    double scale() const { return mEnabled ? mState.scale : 1.0; }

    // Records whether the step's gradients were all finite; returns whether
    // the optimiser may step (always true when disabled).
    bool update(bool gradientsFinite)
    {
        if (!mEnabled)
            return true;
        if (!gradientsFinite) {
            mState.scale *= kBackoffFactor;
            mState.growthTracker = 0;
            ++mState.skippedInARow;
            return false;
        }
        mState.skippedInARow = 0;
        if (++mState.growthTracker == kGrowthInterval) {
            mState.scale *= kGrowthFactor;
            mState.growthTracker = 0;
        }
        return true;
    }

    const LossScalerState &state() const { return mState; }

    static constexpr double kGrowthFactor = 2.0;
    static constexpr double kBackoffFactor = 0.5;
    static constexpr std::int64_t kGrowthInterval = 2000;

private:
    bool mEnabled;
    LossScalerState mState;
};

} // namespace ft
