// cli_sink.cpp
#include "cli/cli_sink.h"

#include <cstdio>

namespace ft::cli {

void CliSink::metric(const MetricPoint &point)
{
    if (mQuiet || point.name.rfind("train/", 0) == 0)
        return; // training loss shows in the bar; evaluations get a line
    mBar.finish();
    std::fprintf(stderr, "step %lld  %s = %.4f\n", static_cast<long long>(point.step), point.name.c_str(), point.value);
}

void CliSink::progress(const TrainingProgress &p)
{
    if (mQuiet)
        return;
    char detail[96];
    std::snprintf(detail, sizeof detail, "epoch %.2f  loss %.4f  %.1f samples/s", p.epoch, p.loss, p.samplesPerSecond);
    mBar.update("steps", static_cast<std::uint64_t>(p.step), static_cast<std::uint64_t>(p.totalSteps), detail);
}

void CliSink::log(LogLevel level, const std::string &message)
{
    if (mQuiet && level == LogLevel::Info)
        return;
    mBar.finish();
    const char *prefix = level == LogLevel::Error ? "error: " : level == LogLevel::Warning ? "warning: " : "";
    std::fprintf(stderr, "%s%s\n", prefix, message.c_str());
}

void CliSink::stateChanged(RunState state, const std::string &detail)
{
    if (mQuiet && state != RunState::Failed)
        return;
    mBar.finish();
    std::fprintf(stderr, "run %s%s%s\n", toString(state).c_str(), detail.empty() ? "" : ": ", detail.c_str());
}

} // namespace ft::cli
