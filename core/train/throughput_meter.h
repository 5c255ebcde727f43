// throughput_meter.h: samples/s and tokens/s of a training session, leaving
// out its first step. The first step pays for allocator growth, lazy kernel
// set-up and cold caches, so rates that include it understate a long run and
// ETAs made from them overshoot.
#pragma once

#include <chrono>
#include <cstdint>

namespace ft {

class ThroughputMeter {
public:
    using Clock = std::chrono::steady_clock;

    void start(Clock::time_point now = Clock::now()) { mStart = now; }

    // One optimiser step ended at `now` with these examples and real tokens.
    void stepDone(std::int64_t samples, std::int64_t tokens, Clock::time_point now = Clock::now())
    {
        if (mSteps++ == 0) {
            mFirstStepEnd = now;
        } else {
            mSamples += samples;
            mTokens += tokens;
        }
        mLastStepEnd = now;
        mLastSamples = samples;
        mLastTokens = tokens;
    }

    std::int64_t steps() const { return mSteps; }
    double firstStepSeconds() const { return mSteps > 0 ? seconds(mStart, mFirstStepEnd) : 0; }

    // Rates over steps 2..N (wall time from the end of step 1 to the end of
    // step N, so evaluations and checkpoints between them count); over the
    // single step when there has been only one.
    double samplesPerSecond() const { return rate(mSteps > 1 ? mSamples : mLastSamples); }
    double tokensPerSecond() const { return rate(mSteps > 1 ? mTokens : mLastTokens); }

    // Seconds per step at the measured rate, for estimates of time left.
    double secondsPerStep() const
    {
        if (mSteps == 0)
            return 0;
        return mSteps > 1 ? seconds(mFirstStepEnd, mLastStepEnd) / static_cast<double>(mSteps - 1)
                          : firstStepSeconds();
    }

private:
    static double seconds(Clock::time_point from, Clock::time_point to)
    {
        return std::chrono::duration<double>(to - from).count();
    }
    double rate(std::int64_t count) const
    {
        const double elapsed = mSteps > 1 ? seconds(mFirstStepEnd, mLastStepEnd) : firstStepSeconds();
        return elapsed > 0 ? static_cast<double>(count) / elapsed : 0;
    }

    Clock::time_point mStart = Clock::now();
    Clock::time_point mFirstStepEnd;
    Clock::time_point mLastStepEnd;
    std::int64_t mSteps = 0;
    std::int64_t mSamples = 0; // steps 2..N
    std::int64_t mTokens = 0;
    std::int64_t mLastSamples = 0;
    std::int64_t mLastTokens = 0;
};

} // namespace ft
