// run_lock.h: which runs are being trained right now, by any process. The
// trainer holds an advisory lock (flock) on runs/<id>/.lock while it trains;
// the system drops it when the process ends, however it ends, so a run whose
// store record still says "running" but whose lock is free was interrupted
// (a crash, kill -9, a power cut) and can be resumed; and two processes can
// never train the same run at once.
#pragma once

#include <cstdint>
#include <filesystem>

namespace ft {

class RunLock {
public:
    // Takes the lock of run `runId` in `project`; throws ft::Error
    // (InvalidInput) when another trainer holds it.
    RunLock(const std::filesystem::path &project, std::int64_t runId);
    ~RunLock();
    RunLock(const RunLock &) = delete;
    RunLock &operator=(const RunLock &) = delete;

private:
    int mFd = -1;
};

// Whether some process is training run `runId` now.
bool isRunBeingTrained(const std::filesystem::path &project, std::int64_t runId);

} // namespace ft
