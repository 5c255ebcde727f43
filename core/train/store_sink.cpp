// store_sink.cpp
#include "train/store_sink.h"

#include "store/project.h"

namespace ft {

namespace {
constexpr size_t kFlushPoints = 256;
constexpr auto kFlushInterval = std::chrono::seconds(2);
} // namespace

StoreSink::StoreSink(Project &project, std::int64_t runId, ProgressSink *next)
    : mProject(project), mRunId(runId), mNext(next), mLastFlush(std::chrono::steady_clock::now())
{
}

StoreSink::~StoreSink()
{
    try {
        flush();
    } catch (...) {
        // A destructor must not throw; the points are lost only if the disk is.
    }
}

void StoreSink::metric(const MetricPoint &point)
{
    mPending.push_back(point);
    if (mPending.size() >= kFlushPoints || std::chrono::steady_clock::now() - mLastFlush >= kFlushInterval)
        flush();
    if (mNext)
        mNext->metric(point);
}

void StoreSink::progress(const TrainingProgress &progress)
{
    if (mNext)
        mNext->progress(progress);
}

void StoreSink::log(LogLevel level, const std::string &message)
{
    if (mNext)
        mNext->log(level, message);
}

void StoreSink::stateChanged(RunState state, const std::string &detail)
{
    flush();
    setRunState(mProject, mRunId, state, state == RunState::Failed ? detail : std::string());
    if (mNext)
        mNext->stateChanged(state, detail);
}

void StoreSink::flush()
{
    mLastFlush = std::chrono::steady_clock::now();
    if (mPending.empty())
        return;
    addMetrics(mProject, mRunId, mPending);
    mPending.clear();
}

} // namespace ft
