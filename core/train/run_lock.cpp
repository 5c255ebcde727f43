// run_lock.cpp
#include "train/run_lock.h"

#include "common/error.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace fs = std::filesystem;

namespace ft {

namespace {

fs::path lockFile(const fs::path &project, std::int64_t runId)
{
    return project / "runs" / std::to_string(runId) / ".lock";
}

} // namespace

RunLock::RunLock(const fs::path &project, std::int64_t runId)
{
    const fs::path file = lockFile(project, runId);
    std::error_code ec;
    fs::create_directories(file.parent_path(), ec);
    mFd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (mFd < 0)
        throw Error(ErrorKind::Io, "cannot open " + file.string() + ": " + std::strerror(errno));
    if (::flock(mFd, LOCK_EX | LOCK_NB) != 0) {
        ::close(mFd);
        mFd = -1;
        throw Error(ErrorKind::InvalidInput,
                    "run " + std::to_string(runId) + " is being trained by another process right now");
    }
}

RunLock::~RunLock()
{
    if (mFd >= 0)
        ::close(mFd); // releases the lock
}

bool isRunBeingTrained(const fs::path &project, std::int64_t runId)
{
    const int fd = ::open(lockFile(project, runId).c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return false; // never trained here, or its folder is gone
    const bool held = ::flock(fd, LOCK_EX | LOCK_NB) != 0;
    ::close(fd);
    return held;
}

} // namespace ft
