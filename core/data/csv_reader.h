// csv_reader.h: a streaming reader for delimited text (CSV, TSV and their
// semicolon and pipe cousins): RFC 4180 quotes (delimiters, doubled quotes and
// newlines inside quoted fields), LF, CRLF or CR line ends, a byte-order mark,
// any encoding InputFile converts, an optional header row (without one the
// columns are numbered from 1), and malformed records reported with their line while
// the reader goes on with the next one.
#pragma once

#include "data/input_file.h"
#include "data/row_source.h"

#include <deque>
#include <string_view>

namespace ft {

// The delimiter among comma, tab, semicolon and pipe that splits the sample's
// records into the same number (at least two) of fields most consistently;
// comma when none does. `complete` says the sample is the whole file, so its
// last record is not cut short.
char sniffDelimiter(std::string_view sample, char quote, bool complete);

class CsvReader final : public RowSource {
public:
    // Reads the header (or, without one, the first record to count columns).
    CsvReader(const std::filesystem::path &file, const ReadOptions &options);

    const std::vector<std::string> &columns() const override { return mColumns; }
    bool next(SourceRow &row) override;
    std::uint64_t bytesRead() const override { return mFile.fileOffset(mWindow.offset + mWindow.pos); }
    std::uint64_t totalBytes() const override { return mFile.size(); }
    std::string formatName() const override { return mDelimiter == '\t' ? "tsv" : "csv"; }
    char delimiter() const override { return mDelimiter; }
    TextEncoding encoding() const override { return mFile.encoding(); }

    // The most memory the reader has held at once: its read buffer plus the
    // fields of the record being parsed. Bounded by chunkBytes plus the
    // longest record, whatever the size of the file.
    std::size_t peakMemoryBytes() const { return mPeakBytes; }

private:
    enum class Outcome { Record, Error, End };

    // Parses the next physical record into mFields[0, mFieldCount).
    Outcome readRecord();
    // Turns the parsed record into `row`: field count and UTF-8 checks.
    void toRow(Outcome outcome, SourceRow &row);
    bool fill();
    void seekTo(std::uint64_t offset, std::int64_t line, bool afterCarriageReturn);
    void beginField();
    void noteMemory();

    InputFile mFile;
    ReadOptions mOptions;
    char mDelimiter = ',';
    char mQuote = '"';
    std::vector<std::string> mColumns;

    ReadWindow mWindow;
    std::int64_t mLine = 1;          // line of the next byte
    bool mAfterCarriageReturn = false;

    std::vector<std::string> mFields; // reused between records to keep allocations down
    std::size_t mFieldCount = 0;
    std::int64_t mRecordLine = 0;
    std::string mRecordError;
    std::size_t mPeakBytes = 0;

    std::deque<SourceRow> mPending; // rows read ahead while opening
};

} // namespace ft
