// dataset_export.h: writing a stored dataset (or one split of it) to CSV or
// JSON Lines that `dataset import` reads back to the same examples. Rows
// stream from the store in id order; the file is written under a temporary
// name and renamed when complete, so a cancel or failure leaves any earlier
// file in place and no partial one.
//
// CSV (RFC 4180): header text,text_pair,label,split; CRLF record ends; a
// field is quoted (quotes doubled) when it holds a quote, CR, LF or any
// delimiter the importer's sniffer tries (, tab ; |), so a re-import reads
// the columns right whatever the texts hold.
// JSON Lines: {"text", "text_pair", "label" (null when unlabelled), "split"}
// per line, UTF-8 as is. "text_pair" is left out when no exported row has
// one; otherwise every line has it, null where there is none, because
// readers (ours too) take the columns from the first line.
// An empty text pair is written as none, as an import reads it. Image paths
// and source lines are not exported.
#pragma once

#include "data/splits.h"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string_view>

namespace ft {

class Project;

enum class ExportFormat { Csv, JsonLines };

const char *exportFormatName(ExportFormat format); // "csv" or "jsonl"
// csv, jsonl or ndjson; nullopt for anything else.
std::optional<ExportFormat> parseExportFormat(std::string_view name);
// From the extension (.csv, .jsonl, .ndjson, any case); InvalidInput naming the file otherwise.
ExportFormat exportFormatFor(const std::filesystem::path &file);

struct ExportOptions {
    std::filesystem::path file;
    std::optional<ExportFormat> format; // nullopt: from the file's extension
    std::optional<Split> split;         // only this split; nullopt: every example
};

struct ExportProgress {
    std::int64_t rows = 0;      // written so far
    std::int64_t totalRows = 0; // to write
};

// Called every thousand rows and once at the end; returning false cancels
// the export (exportDataset then throws ErrorKind::Cancelled).
using ExportProgressCallback = std::function<bool(const ExportProgress &)>;

struct ExportResult {
    std::filesystem::path file;
    ExportFormat format = ExportFormat::Csv;
    std::int64_t rows = 0;
    std::uint64_t bytes = 0;
};

// Writes dataset `datasetId` to options.file. NotFound for a missing dataset,
// InvalidInput for an unknown extension or a stored text that is not valid
// UTF-8 (JSON Lines; it names the example), Io when the file cannot be
// written, Cancelled when `progress` returns false.
ExportResult exportDataset(Project &project, std::int64_t datasetId, const ExportOptions &options,
                           const ExportProgressCallback &progress = {});

} // namespace ft
