// atomic_file.h: write a file so that readers see either the old file or the
// complete new one, never a torn write (a full disk or kill -9 mid-save).
#pragma once

#include <cstddef>
#include <filesystem>
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

} // namespace ft
