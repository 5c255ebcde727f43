// cli_sink.h: how `finetune train` shows a run: a progress bar on stderr
// (steps, loss, samples/s, ETA) and log lines, and Ctrl+C as a cancel.
#pragma once

#include "cli/progress_bar.h"
#include "train/progress_sink.h"

namespace ft::cli {

class CliSink : public ProgressSink {
public:
    explicit CliSink(bool quiet) : mQuiet(quiet) {}

    void metric(const MetricPoint &point) override;
    void progress(const TrainingProgress &progress) override;
    void log(LogLevel level, const std::string &message) override;
    void stateChanged(RunState state, const std::string &detail) override;

    void finish() { mBar.finish(); }

private:
    bool mQuiet;
    ProgressBar mBar{ProgressBar::Unit::Items};
};

} // namespace ft::cli
