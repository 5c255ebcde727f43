// nullsink.h: a progress sink that ignores everything, for tests that train
// only to get a model.
#pragma once

#include "train/progress_sink.h"

namespace ft::test {

class NullSink : public ProgressSink {
public:
    void metric(const MetricPoint &) override {}
    void progress(const TrainingProgress &) override {}
    void log(LogLevel, const std::string &) override {}
    void stateChanged(RunState, const std::string &) override {}
};

} // namespace ft::test
