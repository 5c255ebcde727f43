// lr_schedule.h: learning-rate schedules as transformers' get_scheduler
// defines them. The factor multiplies the peak learning_rate; `step` counts
// the optimizer steps already taken (0 for the first update).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace ft {

enum class LrSchedulerType {
    Linear,             // warmup, then linear decay to 0 at the last step
    Cosine,             // warmup, then half a cosine wave down to 0
    Constant,           // always 1 (no warmup, as transformers' "constant")
    ConstantWithWarmup, // warmup, then 1
};

const char *schedulerName(LrSchedulerType type);
// linear, cosine, constant or constant_with_warmup.
std::optional<LrSchedulerType> parseScheduler(std::string_view name);

// During warmup (step < warmupSteps): step / max(1, warmupSteps). After it:
//   linear               max(0, (total - step) / max(1, total - warmup))
//   cosine               max(0, 0.5 * (1 + cos(pi * progress))), progress = (step - warmup) / max(1, total - warmup)
//   constant_with_warmup 1
// and constant is 1 throughout.
double lrFactor(LrSchedulerType type, std::int64_t step, std::int64_t warmupSteps, std::int64_t totalSteps);

} // namespace ft
