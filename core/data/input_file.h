// input_file.h: a data file read in fixed-size chunks. Opening names the file
// in every failure (missing, a folder, unreadable, UTF-16) and skips a UTF-8
// byte-order mark, so readers see the text from its first character.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>

namespace ft {

class InputFile {
public:
    explicit InputFile(const std::filesystem::path &path);

    // Reads up to `size` bytes; 0 at the end of the file.
    std::size_t read(char *buffer, std::size_t size);
    // Continues reading from `offset` (counted from the start of the file).
    void seek(std::uint64_t offset);

    const std::filesystem::path &path() const { return mPath; }
    std::uint64_t offset() const { return mOffset; }
    std::uint64_t size() const { return mSize; }
    // Where the text starts: 3 after a UTF-8 byte-order mark, else 0.
    std::uint64_t textStart() const { return mTextStart; }

private:
    std::filesystem::path mPath;
    std::ifstream mIn;
    std::uint64_t mSize = 0;
    std::uint64_t mOffset = 0;
    std::uint64_t mTextStart = 0;
};

// The first non-whitespace byte of the file's text, or 0 when there is none;
// tells a JSON array from JSON Lines and JSON from delimited text.
char firstSignificantByte(const std::filesystem::path &path);

} // namespace ft
