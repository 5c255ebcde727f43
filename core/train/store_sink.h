// store_sink.h: a ProgressSink that records a run in the project store:
// metric points in batched transactions (one per flush, not one per point),
// state changes at once. Wraps another sink (the CLI's or the studio's) and
// forwards every report to it.
#pragma once

#include "train/progress_sink.h"

#include <chrono>
#include <vector>

namespace ft {

class Project;

class StoreSink : public ProgressSink {
public:
    // `project` must be used only from the training thread while the sink lives.
    StoreSink(Project &project, std::int64_t runId, ProgressSink *next = nullptr);
    ~StoreSink() override;

    void metric(const MetricPoint &point) override;
    void progress(const TrainingProgress &progress) override;
    void log(LogLevel level, const std::string &message) override;
    void stateChanged(RunState state, const std::string &detail) override;

    // Writes pending points now (also done every 256 points or 2 seconds,
    // before a checkpoint is recorded, and on destruction).
    void flush();

private:
    Project &mProject;
    std::int64_t mRunId;
    ProgressSink *mNext;
    std::vector<MetricPoint> mPending;
    std::chrono::steady_clock::time_point mLastFlush;
};

} // namespace ft
