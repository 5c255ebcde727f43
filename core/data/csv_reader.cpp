// csv_reader.cpp: the delimited-text state machine, delimiter sniffing and
// recovery from malformed records.
#include "data/csv_reader.h"

#include "common/error.h"
#include "data/text_encoding.h"
#include "data/utf8_check.h"

#include <algorithm>
#include <cstring>
#include <map>

namespace fs = std::filesystem;

namespace ft {

namespace {

constexpr std::size_t kSniffBytes = 64 * 1024;
constexpr std::size_t kSniffRecords = 50;

bool isLineEnd(char c)
{
    return c == '\n' || c == '\r';
}

// Fields per record in `sample` when split by `delimiter`, honouring quotes
// as the reader does (a quote opens a field only at its start; "" is a quote).
std::vector<std::size_t> fieldCounts(std::string_view sample, char delimiter, char quote, bool complete)
{
    enum class State { FieldStart, Unquoted, Quoted, QuoteInQuoted };
    std::vector<std::size_t> counts;
    State state = State::FieldStart;
    std::size_t fields = 1;
    bool started = false;
    for (const char c : sample) {
        if (counts.size() == kSniffRecords)
            return counts;
        if (state == State::Quoted) {
            if (c == quote)
                state = State::QuoteInQuoted;
            continue;
        }
        if (state == State::QuoteInQuoted && c == quote) {
            state = State::Quoted;
            continue;
        }
        if (!started && isLineEnd(c))
            continue;
        started = true;
        if (state == State::FieldStart && quote && c == quote) {
            state = State::Quoted;
        } else if (c == delimiter) {
            ++fields;
            state = State::FieldStart;
        } else if (isLineEnd(c)) {
            counts.push_back(fields);
            fields = 1;
            state = State::FieldStart;
            started = false;
        } else {
            state = State::Unquoted;
        }
    }
    if (complete && started && state != State::Quoted)
        counts.push_back(fields);
    return counts;
}

// Header names as written, trimmed; an empty name becomes "Unnamed: i" and a
// repeated one gets ".1", ".2" (as pandas names them).
std::vector<std::string> columnNames(const std::vector<std::string> &fields, std::size_t count)
{
    std::vector<std::string> names;
    for (std::size_t i = 0; i < count; ++i) {
        std::string name = fields[i];
        const auto first = name.find_first_not_of(" \t");
        name = first == std::string::npos ? "" : name.substr(first, name.find_last_not_of(" \t") - first + 1);
        if (name.empty())
            name = "Unnamed: " + std::to_string(i);
        std::string unique = name;
        for (int k = 1; std::find(names.begin(), names.end(), unique) != names.end(); ++k)
            unique = name + "." + std::to_string(k);
        names.push_back(std::move(unique));
    }
    return names;
}

std::string describeDelimiter(char c)
{
    return c == '\t' ? "tab" : std::string("'") + c + "'";
}

} // namespace

char sniffDelimiter(std::string_view sample, char quote, bool complete)
{
    char best = ',';
    double bestConsistency = 0;
    for (const char candidate : {',', '\t', ';', '|'}) {
        const auto counts = fieldCounts(sample, candidate, quote, complete);
        if (counts.empty())
            continue;
        std::map<std::size_t, std::size_t> frequency;
        for (const std::size_t count : counts)
            ++frequency[count];
        const auto mode = std::max_element(frequency.begin(), frequency.end(),
                                           [](const auto &a, const auto &b) { return a.second < b.second; });
        if (mode->first < 2)
            continue;
        const double consistency = static_cast<double>(mode->second) / static_cast<double>(counts.size());
        if (consistency > bestConsistency) {
            best = candidate;
            bestConsistency = consistency;
        }
    }
    return best;
}

CsvReader::CsvReader(const fs::path &file, const ReadOptions &options)
    : mFile(file, options.encoding), mOptions(options), mDelimiter(options.delimiter),
      mQuote(options.quoting ? '"' : 0)
{
    if (mOptions.chunkBytes == 0 || mOptions.maxRecordBytes == 0)
        throw Error(ErrorKind::Internal, "CsvReader: chunk and record limits must be positive");
    if (mDelimiter == 0) {
        InputFile sampleFile(file, options.encoding);
        std::string sample(kSniffBytes, '\0');
        sample.resize(sampleFile.read(sample.data(), sample.size()));
        char more = 0;
        mDelimiter = sniffDelimiter(sample, mQuote, sampleFile.read(&more, 1) == 0);
    }
    if (mDelimiter == mQuote || isLineEnd(mDelimiter))
        throw Error(ErrorKind::InvalidInput, "cannot use " + describeDelimiter(mDelimiter) + " as the delimiter");
    mWindow.buffer.resize(mOptions.chunkBytes);
    mWindow.offset = mFile.offset();

    // The first well-formed record gives the columns. Without a header it is
    // data, and so is any malformed record before it: both are kept for next().
    for (;;) {
        const Outcome outcome = readRecord();
        if (outcome == Outcome::End) {
            if (mPending.empty())
                throw Error(ErrorKind::InvalidInput, file.string() + " is empty");
            throw Error(ErrorKind::InvalidInput, file.string() + " has no well-formed record");
        }
        if (mOptions.hasHeader) {
            if (outcome == Outcome::Error)
                throw Error(ErrorKind::InvalidInput, file.string() + ":" + std::to_string(mRecordLine)
                                                         + ": cannot read the header: " + mRecordError);
            for (std::size_t i = 0; i < mFieldCount; ++i) {
                if (const auto bad = firstInvalidUtf8(mFields[i]))
                    throw Error(ErrorKind::InvalidInput,
                                file.string() + ":" + std::to_string(mRecordLine) + ": cannot read the header: "
                                    + invalidTextReason(mFields[i], *bad, mFile.encoding(),
                                                        "its field " + std::to_string(i + 1)));
            }
            mColumns = columnNames(mFields, mFieldCount);
            return;
        }
        if (outcome == Outcome::Record) {
            // Column numbers count from 1, as a person numbers them.
            for (std::size_t i = 0; i < mFieldCount; ++i)
                mColumns.push_back(std::to_string(i + 1));
        }
        SourceRow row;
        toRow(outcome, row);
        mPending.push_back(std::move(row));
        if (outcome == Outcome::Record)
            return;
    }
}

bool CsvReader::next(SourceRow &row)
{
    if (!mPending.empty()) {
        row = std::move(mPending.front());
        mPending.pop_front();
        return true;
    }
    const Outcome outcome = readRecord();
    if (outcome == Outcome::End)
        return false;
    toRow(outcome, row);
    return true;
}

void CsvReader::toRow(Outcome outcome, SourceRow &row)
{
    row.line = mRecordLine;
    row.error.clear();
    if (outcome == Outcome::Error) {
        row.error = mRecordError;
        row.values.clear();
        return;
    }
    if (mFieldCount != mColumns.size()) {
        row.error = "has " + std::to_string(mFieldCount) + (mFieldCount == 1 ? " field" : " fields") + " where "
                    + (mOptions.hasHeader ? "the header has " : "the first record has ")
                    + std::to_string(mColumns.size()) + " (split by " + describeDelimiter(mDelimiter) + ")";
        row.values.clear();
        return;
    }
    for (std::size_t i = 0; i < mFieldCount; ++i) {
        const std::string &field = mFields[i];
        if (const auto bad = firstInvalidUtf8(field)) {
            row.error = invalidTextReason(field, *bad, mFile.encoding(), "column '" + mColumns[i] + "'");
        } else if (std::memchr(field.data(), 0, field.size())) {
            row.error = "column '" + mColumns[i] + "' holds a NUL byte (a binary file?)";
        }
        if (!row.error.empty()) {
            row.values.clear();
            return;
        }
    }
    row.values.resize(mFieldCount);
    for (std::size_t i = 0; i < mFieldCount; ++i)
        std::swap(row.values[i], mFields[i]); // hands the text over without copying
}

bool CsvReader::fill()
{
    return mWindow.fill(mFile);
}

void CsvReader::seekTo(std::uint64_t offset, std::int64_t line, bool afterCarriageReturn)
{
    mFile.seek(offset);
    mWindow.offset = offset;
    mWindow.pos = mWindow.end = 0;
    mWindow.eof = false;
    mLine = line;
    mAfterCarriageReturn = afterCarriageReturn;
}

void CsvReader::beginField()
{
    if (mFieldCount == mFields.size())
        mFields.emplace_back();
    mFields[mFieldCount++].clear();
}

void CsvReader::noteMemory()
{
    std::size_t bytes = mWindow.buffer.capacity();
    for (const std::string &field : mFields)
        bytes += field.capacity();
    mPeakBytes = std::max(mPeakBytes, bytes);
}

CsvReader::Outcome CsvReader::readRecord()
{
    enum class State { FieldStart, Unquoted, Quoted, QuoteInQuoted };
    State state = State::FieldStart;
    bool started = false;
    bool skippingLine = false; // after an over-long record, until its line ends
    std::size_t recordBytes = 0;
    // Where to go on if a quote turns out never to close: the line after the
    // one the record started on.
    std::uint64_t resumeOffset = 0;
    std::int64_t resumeLine = 0;
    bool resumeAfterCarriageReturn = false;

    const auto unterminated = [&](const std::string &why) {
        mRecordError = why;
        if (resumeOffset != 0)
            seekTo(resumeOffset, resumeLine, resumeAfterCarriageReturn);
        noteMemory();
        return Outcome::Error;
    };

    for (;;) {
        if (mWindow.pos == mWindow.end && !fill()) {
            if (!started)
                return Outcome::End;
            if (state == State::Quoted)
                return unterminated("the quoted field opened on this line is never closed");
            noteMemory();
            return skippingLine ? Outcome::Error : Outcome::Record;
        }
        const char c = mWindow.buffer[mWindow.pos++];
        const std::int64_t lineOfByte = mLine;
        if (c == '\n') {
            if (!mAfterCarriageReturn)
                ++mLine;
            mAfterCarriageReturn = false;
        } else {
            if (c == '\r')
                ++mLine;
            mAfterCarriageReturn = c == '\r';
        }

        if (!started) {
            if (isLineEnd(c))
                continue; // a blank line, or the LF of a CRLF that ended the last record
            started = true;
            mRecordLine = lineOfByte;
            mFieldCount = 0;
            beginField();
        }
        if (skippingLine) {
            if (isLineEnd(c)) {
                noteMemory();
                return Outcome::Error;
            }
            continue;
        }
        if (++recordBytes > mOptions.maxRecordBytes) {
            const std::string limit = std::to_string(mOptions.maxRecordBytes) + " bytes";
            if (state == State::Quoted && resumeOffset != 0)
                return unterminated("the quoted field opened on this line runs past " + limit
                                    + " (an unclosed quote?)");
            mRecordError = "the record is longer than " + limit;
            if (isLineEnd(c)) {
                noteMemory();
                return Outcome::Error;
            }
            skippingLine = true;
            continue;
        }

        std::string &field = mFields[mFieldCount - 1];
        switch (state) {
        case State::FieldStart:
            if (mQuote && c == mQuote) {
                state = State::Quoted;
                break;
            }
            [[fallthrough]];
        case State::Unquoted:
            if (c == mDelimiter) {
                beginField();
                state = State::FieldStart;
            } else if (isLineEnd(c)) {
                noteMemory();
                return Outcome::Record;
            } else {
                // A quote inside an unquoted field is text, as Python's csv reads it.
                field += c;
                state = State::Unquoted;
            }
            break;
        case State::Quoted:
            if (c == mQuote) {
                state = State::QuoteInQuoted;
                break;
            }
            field += c;
            if (isLineEnd(c) && resumeOffset == 0) {
                resumeOffset = mWindow.offset + mWindow.pos;
                resumeLine = mLine;
                resumeAfterCarriageReturn = c == '\r';
            }
            break;
        case State::QuoteInQuoted:
            if (c == mQuote) {
                field += c; // "" inside quotes is one quote
                state = State::Quoted;
            } else if (c == mDelimiter) {
                beginField();
                state = State::FieldStart;
            } else if (isLineEnd(c)) {
                noteMemory();
                return Outcome::Record;
            } else {
                field += c; // text after the closing quote is kept, as Python's csv does
                state = State::Unquoted;
            }
            break;
        }
    }
}

} // namespace ft
