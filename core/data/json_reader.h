// json_reader.h: rows from JSON Lines (one object per line, blank lines
// skipped) and from a JSON array of objects (what `datasets` writes with
// to_json(lines=False)), both streamed in chunks. The first object's keys are
// the columns; a key missing from a later object reads as "", and a nested
// value as its JSON text.
#pragma once

#include "data/input_file.h"
#include "data/row_source.h"

#include <deque>

namespace ft {

// What the two readers share: chunked input, and turning one JSON text into
// a row (or a row error naming the parse error).
class JsonObjectSource : public RowSource {
public:
    const std::vector<std::string> &columns() const override { return mColumns; }
    bool next(SourceRow &row) override;
    std::uint64_t bytesRead() const override { return mFile.fileOffset(mWindow.offset + mWindow.pos); }
    TextEncoding encoding() const override { return mFile.encoding(); }
    std::uint64_t totalBytes() const override { return mFile.size(); }

protected:
    JsonObjectSource(const std::filesystem::path &file, const ReadOptions &options);

    // The next JSON text and the line it starts on; false at the end. A
    // framing problem (an over-long line, a truncated array) sets `error`.
    virtual bool nextText(std::string &text, std::int64_t &line, std::string &error) = 0;
    // Reads ahead to the first object to learn the columns; derived
    // constructors call it last.
    void readColumns();
    bool fill();

    InputFile mFile;
    ReadOptions mOptions;
    ReadWindow mWindow;
    std::int64_t mLine = 1;

private:
    void toRow(const std::string &text, std::int64_t line, std::string error, SourceRow &row);

    std::vector<std::string> mColumns;
    std::deque<SourceRow> mPending;
    std::string mText;
};

class JsonLinesReader final : public JsonObjectSource {
public:
    JsonLinesReader(const std::filesystem::path &file, const ReadOptions &options);
    std::string formatName() const override { return "jsonl"; }

private:
    bool nextText(std::string &text, std::int64_t &line, std::string &error) override;
};

class JsonArrayReader final : public JsonObjectSource {
public:
    JsonArrayReader(const std::filesystem::path &file, const ReadOptions &options);
    std::string formatName() const override { return "json"; }

private:
    enum class Stage { BeforeArray, InArray, AfterArray, Done };
    bool nextText(std::string &text, std::int64_t &line, std::string &error) override;

    Stage mStage = Stage::BeforeArray;
};

} // namespace ft
