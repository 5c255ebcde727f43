// atomic_file.h: write a file so that readers see either the old file or the
// complete new one, never a torn write (a full disk or kill -9 mid-save).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string_view>

namespace ft {

// Writes to `target`.tmp; commit() flushes it to disk and renames it over
// `target`. Without commit() (an exception on the way) the temporary file
// is removed and `target` is left as it was.
class AtomicFile {
public:
    explicit AtomicFile(std::filesystem::path target);
    ~AtomicFile();
    AtomicFile(const AtomicFile &) = delete;
    AtomicFile &operator=(const AtomicFile &) = delete;

    void write(const void *data, std::size_t size);
    void write(std::string_view bytes) { write(bytes.data(), bytes.size()); }
    void commit();

private:
    std::filesystem::path mTarget;
    std::filesystem::path mTemp;
    int mFd = -1;
};

void writeFileAtomically(const std::filesystem::path &target, std::string_view bytes);

// Tests only: a full disk on demand. Once `bytes` more bytes have been written
// through AtomicFile in this process, every write fails as a full disk does
// (ENOSPC); std::nullopt ends it. The fault tests use it for checkpoints and
// exports, where a real full disk cannot be made.
void simulateDiskFullForTesting(std::optional<std::uint64_t> bytes);

} // namespace ft
