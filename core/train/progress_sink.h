// progress_sink.h: how a run reports while it trains, without knowing who
// listens: the CLI renders a progress bar and log lines, the studio drains
// the reports into charts on the GUI thread, and the project store records
// the metric points. Methods are called on the training thread. Torch-free.
#pragma once

#include "store/runs.h"

#include <atomic>
#include <cstdint>
#include <string>

namespace ft {

struct TrainingProgress {
    std::int64_t step = 0;        // optimiser steps done
    std::int64_t totalSteps = 0;
    double epoch = 0;             // fractional
    double samplesPerSecond = 0;
    double tokensPerSecond = 0;   // real (unpadded) tokens
    double etaSeconds = 0;
    double learningRate = 0;
    double loss = 0;              // smoothed training loss
    double elapsedSeconds = 0;    // training time since the run started, summed over its sessions
};

enum class LogLevel { Info, Warning, Error };

class ProgressSink {
public:
    virtual ~ProgressSink() = default;
    virtual void metric(const MetricPoint &point) = 0;
    virtual void progress(const TrainingProgress &progress) = 0;
    virtual void log(LogLevel level, const std::string &message) = 0;
    virtual void stateChanged(RunState state, const std::string &detail) = 0;
    // The run's id in the project store, once it exists (before its first step).
    virtual void runCreated(std::int64_t runId) { (void)runId; }
};

// Cooperative control, checked between optimiser steps.
struct RunControl {
    std::atomic<bool> cancel{false};
    std::atomic<bool> pause{false};
    // Test hook: stop as if killed after this many steps (0 = never).
    std::atomic<std::int64_t> stopAfterStep{0};
};

} // namespace ft
