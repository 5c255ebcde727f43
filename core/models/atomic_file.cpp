// atomic_file.cpp: temporary file + fsync + rename, with POSIX calls so the
// data really reaches the disk before the rename publishes it.
#include "models/atomic_file.h"

#include "common/error.h"

#include <cerrno>
#include <cstring>
#include <string>

#include <fcntl.h>
#include <unistd.h>

namespace ft {

namespace {

[[noreturn]] void failIo(const std::filesystem::path &file, const char *what)
{
    throw Error(ErrorKind::Io, "cannot " + std::string(what) + " " + file.string() + ": " + std::strerror(errno));
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
        const ssize_t written = ::write(mFd, bytes, size);
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

} // namespace ft
