// text_lines_reader.h: plain text, one unlabelled example per line (a .txt
// file). LF, CRLF and CR all end a line; blank lines are skipped, not errors;
// a line that is not valid text, holds a NUL byte or is longer than
// maxRecordBytes is a row error, and reading goes on with the next line.
#pragma once

#include "data/input_file.h"
#include "data/row_source.h"

namespace ft {

class TextLinesReader final : public RowSource {
public:
    // Throws ft::Error (InvalidInput) when the file holds no text at all.
    TextLinesReader(const std::filesystem::path &file, const ReadOptions &options);

    const std::vector<std::string> &columns() const override { return mColumns; }
    bool next(SourceRow &row) override;
    std::uint64_t bytesRead() const override { return mFile.fileOffset(mWindow.offset + mWindow.pos); }
    std::uint64_t totalBytes() const override { return mFile.size(); }
    std::string formatName() const override { return "text"; }
    TextEncoding encoding() const override { return mFile.encoding(); }

private:
    bool fill();

    InputFile mFile;
    ReadOptions mOptions;
    std::vector<std::string> mColumns{"text"};
    ReadWindow mWindow;
    std::int64_t mLine = 1;
    bool mAfterCarriageReturn = false;
};

} // namespace ft
