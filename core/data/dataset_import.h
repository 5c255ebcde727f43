// dataset_import.h: importing a data file (CSV, TSV, JSON Lines, JSON, plain
// text) or a folder of class-named subfolders (text files, images) into a
// project as a new dataset. Rows stream from the source into the store in
// batches; a malformed row is reported with its file and line and skipped,
// never losing a valid one. The import is all or nothing: cancelling or any
// failure leaves the project exactly as it was, and so does an import that
// keeps no row.
//
// Images (an image column, or an image folder) must decode completely; their
// paths must stay inside the folder of the data file (or the folder
// imported) and are stored relative to it; duplicates are found by content.
//
// Without a split column a text source is read twice: a quick first pass
// collects each row's label to plan the stratified split (the same one
// reSplit gives for the seed), so every row is written once with its final
// split. Images are decoded once: their rows are split after writing, with
// reSplit, to the same result. Memory grows by about 60 bytes per row
// (labels, duplicate fingerprints), never by the text.
#pragma once

#include "data/column_mapping.h"
#include "data/row_source.h"
#include "data/splits.h"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace ft {

class Project;

struct ImportOptions {
    std::filesystem::path file;
    std::string datasetName;                  // empty: the file's name without its extension
    ReadOptions read;                         // format, delimiter, quoting, header
    ColumnMapping columns;                    // empty: as remembered for the file's shape, else guessed
    bool rememberColumns = true;              // store a given mapping for the shape, use a remembered one
    std::vector<std::string> labels;          // the labels allowed; empty: any. Others are row errors
    SplitRatios ratios;                       // used when the file has no split column
    std::uint64_t seed = 42;                  // for the stratified split
    std::size_t batchRows = 10000;            // rows written to the store at a time
    std::size_t maxReportedErrors = 100;      // row errors kept in the result; all are counted
    std::size_t maxReportedDuplicates = 100;  // likewise for duplicates
};

enum class ImportPhase {
    Scanning, // a first, read-only pass that plans the stratified split (only without a split column)
    Writing,  // reading the rows again into the store
};

struct ImportProgress {
    ImportPhase phase = ImportPhase::Writing;
    std::uint64_t bytesRead = 0; // of the current pass
    std::uint64_t totalBytes = 0;
    std::int64_t rows = 0;   // imported so far
    std::int64_t errors = 0; // row errors so far
};

// Called every thousand rows or so and once at the end; returning false
// cancels the import (importDataset then throws ErrorKind::Cancelled).
using ImportProgressCallback = std::function<bool(const ImportProgress &)>;

struct RowError {
    std::string file;      // the data file, or for a folder import the file of the row
    std::int64_t line = 0; // 0 when the row is a whole file (an image, a text file)
    std::string reason;

    // "file:line: reason", or "file: reason" for a row with no line (an image).
    std::string describe() const { return file + (line > 0 ? ":" + std::to_string(line) : "") + ": " + reason; }
};

// A row whose (text, text pair) repeats an earlier row exactly. Duplicates
// are imported (a dataset may mean them) but counted and listed.
struct DuplicateRow {
    std::int64_t line = 0;
    std::int64_t firstLine = 0; // the line of the row it repeats
    std::string file;           // folder imports: the file (relative to the folder) and the one it repeats
    std::string firstFile;
};

struct LabelTally {
    std::string name;
    std::int64_t count = 0;
};

struct ImportResult {
    std::int64_t datasetId = 0;
    std::string datasetName;
    std::string format;             // csv, tsv, jsonl, json, text, text-folder or image-folder
    char delimiter = 0;             // for csv and tsv
    std::string encoding;           // utf-8, utf-16le, gbk, ...: as read (a byte-order mark may have chosen it)
    std::string source;             // as stored with the dataset: the file, or the folder images are under
                                    // (relative to the project's folder when inside it)
    std::vector<std::string> columns; // all columns of the file
    std::string textColumn;         // the columns used; "" for a role without one
    std::string textPairColumn;
    std::string labelColumn;
    std::string splitColumn;
    std::string imageColumn;
    std::string columnsFrom;        // "given", "remembered" (for files of this shape) or "guessed"
    std::int64_t rows = 0;          // examples imported; 0: nothing was created (datasetId is 0)
    std::int64_t errorCount = 0;
    std::vector<RowError> errors;   // the first maxReportedErrors
    std::int64_t duplicateCount = 0;
    std::vector<DuplicateRow> duplicates; // the first maxReportedDuplicates
    std::vector<LabelTally> labels; // in order of first appearance
    std::int64_t unlabelled = 0;
    SplitCounts splits;
    bool splitsFromFile = false;    // false: assigned by a stratified split
};

// Imports `options.file` (a file or a folder) into a new dataset of
// `project`. Throws ft::Error before touching the project when the file is
// missing (NotFound), cannot be read (Io), is malformed as a whole or lacks a
// mapped column (InvalidInput) or the dataset name is taken (InvalidInput);
// throws Cancelled when `progress` returns false. In every failure the
// project is left unchanged. When no row can be kept the result reports why
// (rows 0, the errors) and nothing is created. A mapping given in
// `options.columns` is remembered for the file's shape in the same
// transaction.
ImportResult importDataset(Project &project, const ImportOptions &options, const ImportProgressCallback &progress = {});

} // namespace ft
