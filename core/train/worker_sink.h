// worker_sink.h: the progress sink of a data-parallel worker other than
// rank 0: its warnings and errors reach the console, prefixed with its rank;
// nothing else does (rank 0 reports and records the run).
#pragma once

#include "train/progress_sink.h"

#include <string>

namespace ft {

class WorkerSink : public ProgressSink {
public:
    WorkerSink(ProgressSink &next, int rank) : mNext(next), mRank(rank) {}
    void metric(const MetricPoint &) override {}
    void progress(const TrainingProgress &) override {}
    void log(LogLevel level, const std::string &message) override
    {
        if (level != LogLevel::Info)
            mNext.log(level, "rank " + std::to_string(mRank) + ": " + message);
    }
    void stateChanged(RunState, const std::string &) override {}

private:
    ProgressSink &mNext;
    int mRank;
};

} // namespace ft
