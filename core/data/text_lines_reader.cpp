// text_lines_reader.cpp: one example per line.
#include "data/text_lines_reader.h"

#include "common/error.h"
#include "data/utf8_check.h"

#include <algorithm>
#include <cstring>

namespace fs = std::filesystem;

namespace ft {

namespace {

bool isBlank(const std::string &text)
{
    return std::all_of(text.begin(), text.end(),
                       [](char c) { return c == ' ' || c == '\t' || c == '\f' || c == '\v'; });
}

} // namespace

TextLinesReader::TextLinesReader(const fs::path &file, const ReadOptions &options)
    : mFile(file, options.encoding), mOptions(options), mWindow{std::vector<char>(options.chunkBytes)}
{
    if (mOptions.chunkBytes == 0 || mOptions.maxRecordBytes == 0)
        throw Error(ErrorKind::Internal, "TextLinesReader: chunk and record limits must be positive");
    mWindow.offset = mFile.offset();
    if (!fill())
        throw Error(ErrorKind::InvalidInput, file.string() + " is empty");
}

bool TextLinesReader::fill()
{
    return mWindow.fill(mFile);
}

bool TextLinesReader::next(SourceRow &row)
{
    row.values.resize(1);
    std::string &text = row.values[0];
    for (;;) {
        text.clear();
        row.error.clear();
        row.file.clear();
        row.line = mLine;
        bool any = false;
        bool tooLong = false;
        for (;;) {
            if (mWindow.pos == mWindow.end && !fill()) {
                if (!any)
                    return false;
                break;
            }
            const char c = mWindow.buffer[mWindow.pos];
            if (c == '\n' && mAfterCarriageReturn) { // the LF of a CRLF that ended the last line
                ++mWindow.pos;
                mAfterCarriageReturn = false;
                continue;
            }
            mAfterCarriageReturn = false;
            any = true;
            const char *start = mWindow.buffer.data() + mWindow.pos;
            const char *end = mWindow.buffer.data() + mWindow.end;
            const char *stop = std::find_if(start, end, [](char b) { return b == '\n' || b == '\r'; });
            const auto length = static_cast<std::size_t>(stop - start);
            if (!tooLong && text.size() + length > mOptions.maxRecordBytes) {
                tooLong = true; // keep reading to the line's end, holding none of it
                text.clear();
                text.shrink_to_fit();
            }
            if (!tooLong)
                text.append(start, length);
            mWindow.pos += length;
            if (stop != end) {
                mAfterCarriageReturn = *stop == '\r';
                ++mWindow.pos;
                ++mLine;
                break;
            }
        }
        if (tooLong) {
            row.error = "the line is longer than " + std::to_string(mOptions.maxRecordBytes) + " bytes";
            row.values.clear();
            return true;
        }
        if (isBlank(text))
            continue;
        if (const auto bad = firstInvalidUtf8(text)) {
            row.error = invalidTextReason(text, *bad, mFile.encoding(), "the line");
        } else if (std::memchr(text.data(), 0, text.size())) {
            row.error = "the line holds a NUL byte (a binary file?)";
        }
        if (!row.error.empty())
            row.values.clear();
        return true;
    }
}

} // namespace ft
