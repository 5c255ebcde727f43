// atomic_file.cpp: temporary file + fsync + rename, with POSIX calls so the
// data really reaches the disk before the rename publishes it.
#include "models/atomic_file.h"

#include "common/error.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>

#include <fcntl.h>
#include <unistd.h>

namespace ft {

namespace {

[[noreturn]] void failIo(const std::filesystem::path &file, const char *what)
{
    // Said in words: "No space left on device" alone does not tell everyone what to do.
    const std::string reason = errno == ENOSPC || errno == EDQUOT
                                   ? "the disk is full (" + std::string(std::strerror(errno)) + ")"
                                   : std::string(std::strerror(errno));
    throw Error(ErrorKind::Io, "cannot " + std::string(what) + " " + file.string() + ": " + reason);
}

// simulateDiskFullForTesting: bytes still writable, or -1 when off.
std::atomic<std::int64_t> gBytesLeft{-1};

// How many of `size` bytes may be written before the simulated disk is full.
std::size_t writableBytes(std::size_t size)
{
    std::int64_t left = gBytesLeft.load();
    while (left >= 0) {
        const auto allowed = std::min<std::int64_t>(left, std::int64_t(size));
        if (gBytesLeft.compare_exchange_weak(left, left - allowed))
            return std::size_t(allowed);
    }
    return size;
}

// Makes the rename itself durable; failure here is not fatal, the data is written.
void syncFolder(const std::filesystem::path &folder)
{
    const int fd = ::open(folder.empty() ? "." : folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        ::fsync(fd);
        ::close(fd);
    }
}

} // namespace

AtomicFile::AtomicFile(std::filesystem::path target) : mTarget(std::move(target))
{
    mTemp = mTarget;
    mTemp += ".tmp";
    mFd = ::open(mTemp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (mFd < 0)
        failIo(mTemp, "create");
}

AtomicFile::~AtomicFile()
{
    if (mFd >= 0) {
        ::close(mFd);
        ::unlink(mTemp.c_str());
    }
}

void AtomicFile::write(const void *data, std::size_t size)
{
    if (mFd < 0)
        throw Error(ErrorKind::Internal, "write after commit to " + mTarget.string());
    const char *bytes = static_cast<const char *>(data);
    while (size > 0) {
        const std::size_t allowed = writableBytes(size);
        if (allowed == 0) {
            errno = ENOSPC;
            failIo(mTemp, "write");
        }
        const ssize_t written = ::write(mFd, bytes, allowed);
        if (written < 0) {
            if (errno == EINTR)
                continue;
            failIo(mTemp, "write");
        }
        bytes += written;
        size -= std::size_t(written);
    }
}

void AtomicFile::commit()
{
    if (::fsync(mFd) != 0)
        failIo(mTemp, "flush");
    const int fd = mFd;
    mFd = -1;
    if (::close(fd) != 0) {
        ::unlink(mTemp.c_str());
        failIo(mTemp, "close");
    }
    if (::rename(mTemp.c_str(), mTarget.c_str()) != 0) {
        const int saved = errno;
        ::unlink(mTemp.c_str());
        errno = saved;
        failIo(mTarget, "replace");
    }
    syncFolder(mTarget.parent_path());
}

void writeFileAtomically(const std::filesystem::path &target, std::string_view bytes)
{
    AtomicFile file(target);
    file.write(bytes);
    file.commit();
}

void simulateDiskFullForTesting(std::optional<std::uint64_t> bytes)
{
    gBytesLeft = bytes ? std::int64_t(*bytes) : -1;
}

} // namespace ft
