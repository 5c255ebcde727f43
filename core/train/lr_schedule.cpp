// lr_schedule.cpp: the schedule lambdas of transformers/optimization.py.
#include "train/lr_schedule.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace ft {

const char *schedulerName(LrSchedulerType type)
{
    switch (type) {
    case LrSchedulerType::Linear: return "linear";
    case LrSchedulerType::Cosine: return "cosine";
    case LrSchedulerType::Constant: return "constant";
    case LrSchedulerType::ConstantWithWarmup: return "constant_with_warmup";
    }
    return "linear";
}

std::optional<LrSchedulerType> parseScheduler(std::string_view name)
{
    for (const auto type : {LrSchedulerType::Linear, LrSchedulerType::Cosine, LrSchedulerType::Constant,
                            LrSchedulerType::ConstantWithWarmup}) {
        if (name == schedulerName(type))
            return type;
    }
    return std::nullopt;
}

double lrFactor(LrSchedulerType type, std::int64_t step, std::int64_t warmupSteps, std::int64_t totalSteps)
{
    if (type == LrSchedulerType::Constant)
        return 1.0;
    if (step < warmupSteps)
        return static_cast<double>(step) / static_cast<double>(std::max<std::int64_t>(1, warmupSteps));
    const double decaySteps = static_cast<double>(std::max<std::int64_t>(1, totalSteps - warmupSteps));
    switch (type) {
    case LrSchedulerType::Linear:
        return std::max(0.0, static_cast<double>(totalSteps - step) / decaySteps);
    case LrSchedulerType::Cosine: {
        // transformers' num_cycles = 0.5: half a wave, from 1 down to 0.
        const double progress = static_cast<double>(step - warmupSteps) / decaySteps;
        return std::max(0.0, 0.5 * (1.0 + std::cos(std::numbers::pi * 0.5 * 2.0 * progress)));
    }
    case LrSchedulerType::ConstantWithWarmup:
    case LrSchedulerType::Constant:
        break;
    }
    return 1.0;
}

} // namespace ft
