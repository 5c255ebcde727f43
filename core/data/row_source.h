// row_source.h: the rows of a data file (CSV, TSV, JSON Lines, JSON array,
// plain text) or of a folder of class-named subfolders (text files, images),
// read one at a time with bounded memory. A malformed row comes back as a row
// with an error rather than as an exception, so the caller can report it and
// carry on; only a file that cannot be read at all throws.
#pragma once

#include "data/text_encoding.h"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace ft {

enum class FileFormat {
    Auto,      // from the extension, else from the content
    Csv,       // delimiter sniffed unless given
    Tsv,       // tab-separated
    JsonLines, // one object per line
    Json,      // a JSON array of objects, or JSON Lines (datasets' to_json writes lines by default)
    Text,        // plain text, one unlabelled example per line (.txt)
    TextFolder,  // a folder of class-named subfolders of text files, one example per file
    ImageFolder, // a folder of class-named subfolders of images
};

struct ReadOptions {
    FileFormat format = FileFormat::Auto;
    char delimiter = 0;          // CSV: 0 sniffs comma, tab, semicolon or pipe from the first lines
    bool quoting = true;         // CSV: RFC 4180 quotes; off reads quotes as text (e.g. SMSSpamCollection)
    bool hasHeader = true;       // CSV: without a header, columns are numbered from 1: "1", "2", ...
    TextEncoding encoding = TextEncoding::Utf8; // a byte-order mark overrides it
    std::size_t chunkBytes = 64 * 1024;             // read size; the reader's buffer never grows past it
    std::size_t maxRecordBytes = 16 * 1024 * 1024; // a longer record is a row error (a runaway quote)
};

struct SourceRow {
    std::int64_t line = 0;           // physical line (1-based) where the record starts; 0: not from a line (an image)
    std::vector<std::string> values; // one per column; a missing or null JSON value is ""
    std::string error;               // non-empty: the record is malformed and `values` mean nothing
    std::string file;                // folder sources: the row's own file, relative to the folder
};

class RowSource {
public:
    virtual ~RowSource() = default;

    // Column names: the header, the keys of the first JSON object, or indexes.
    virtual const std::vector<std::string> &columns() const = 0;
    // The next record; false after the last one.
    virtual bool next(SourceRow &row) = 0;
    // Progress: bytes of the file consumed so far, and its size.
    virtual std::uint64_t bytesRead() const = 0;
    virtual std::uint64_t totalBytes() const = 0;
    // The format actually read ("csv", "tsv", "jsonl", "json", "text",
    // "text-folder" or "image-folder") and, for delimited text, the delimiter.
    virtual std::string formatName() const = 0;
    virtual char delimiter() const { return 0; }
    // The encoding the text was read in (a byte-order mark may have chosen it).
    virtual TextEncoding encoding() const { return TextEncoding::Utf8; }
};

// Opens `file` as `options.format` says, or as its extension and first bytes
// suggest (a folder as text or image folder by the files in it). Throws
// ft::Error naming the file when it is missing (NotFound), unreadable (Io),
// empty or has a broken header (InvalidInput).
std::unique_ptr<RowSource> openRowSource(const std::filesystem::path &file, const ReadOptions &options);

// "auto", "csv", "tsv", "jsonl" (or "ndjson"), "json", "text" (or "txt"),
// "text-folder" or "image-folder" as a format; ft::Error (InvalidInput) for
// anything else.
FileFormat parseFileFormat(const std::string &name);

} // namespace ft
