// input_file.h: a data file's text, read in fixed-size chunks as UTF-8.
// Opening names the file in every failure (missing, a folder, unreadable) and
// reads the byte-order mark: a UTF-8 one is skipped, a UTF-16 one switches to
// UTF-16. Text in another encoding is converted as it is read (TextDecoder),
// with memory bounded by the chunk size, so readers only ever see UTF-8 (and
// escapes where a byte would not convert).
#pragma once

#include "data/text_encoding.h"

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace ft {

class TextDecoder;

class InputFile {
public:
    explicit InputFile(const std::filesystem::path &path, TextEncoding encoding = TextEncoding::Utf8);
    ~InputFile();
    InputFile(const InputFile &) = delete;
    InputFile &operator=(const InputFile &) = delete;

    // Reads up to `size` bytes of text; 0 at the end of the file.
    std::size_t read(char *buffer, std::size_t size);
    // Continues reading from text offset `offset` (one offset() returned).
    void seek(std::uint64_t offset);

    const std::filesystem::path &path() const { return mPath; }
    // Offset in the text: for UTF-8 the file offset, else counted in the
    // converted UTF-8 from 0.
    std::uint64_t offset() const { return mOffset; }
    // The file's size in bytes.
    std::uint64_t size() const { return mSize; }
    // Where the text starts in the file: after a byte-order mark, if any.
    std::uint64_t textStart() const { return mTextStart; }
    // The encoding being read: the one asked for, unless a byte-order mark said otherwise.
    TextEncoding encoding() const { return mEncoding; }
    // The file offset that text offset `textOffset` has been read from, for
    // progress; for converted text, how far the converter has read.
    std::uint64_t fileOffset(std::uint64_t textOffset) const;

private:
    std::size_t readFile(char *buffer, std::size_t size);
    bool decodeMore();
    std::size_t restartPoint(const std::string &bytes) const;

    std::filesystem::path mPath;
    std::ifstream mIn;
    std::uint64_t mSize = 0;
    std::uint64_t mOffset = 0;
    std::uint64_t mTextStart = 0;
    TextEncoding mEncoding = TextEncoding::Utf8;

    // Converted text only.
    std::unique_ptr<TextDecoder> mDecoder;
    std::vector<char> mRaw;     // one chunk of the file
    std::string mCarry;         // file bytes after the last restart point, decoded with the next chunk
    std::string mText;          // converted, not yet returned
    std::size_t mTextPos = 0;
    std::uint64_t mFileOffset = 0; // of the next byte to read from the file
    bool mFileEnd = false;
    bool mDecoderHolds = false; // the converter keeps a cut character
    // (text offset, file offset) pairs where conversion can start afresh:
    // just after a line end, so seek() never converts the file from its start.
    std::vector<std::pair<std::uint64_t, std::uint64_t>> mRestarts;
};

// The read-ahead window the text readers keep over an InputFile.
struct ReadWindow {
    std::vector<char> buffer;
    std::size_t pos = 0;        // next byte to parse
    std::size_t end = 0;        // bytes of buffer filled
    std::uint64_t offset = 0;   // text offset of buffer[0]
    bool eof = false;

    // Reads the next chunk into the whole buffer; false at the end of the file.
    bool fill(InputFile &file)
    {
        if (eof)
            return false;
        offset = file.offset();
        pos = 0;
        end = file.read(buffer.data(), buffer.size());
        eof = end == 0;
        return !eof;
    }
};

// The first non-whitespace byte of the file's text, or 0 when there is none;
// tells a JSON array from JSON Lines and JSON from delimited text.
char firstSignificantByte(const std::filesystem::path &path, TextEncoding encoding = TextEncoding::Utf8);

} // namespace ft
