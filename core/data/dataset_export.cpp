// dataset_export.cpp: streaming a dataset to CSV or JSON Lines through an atomic file.
#include "data/dataset_export.h"

#include "common/error.h"
#include "models/atomic_file.h"
#include "store/datasets.h"
#include "store/project.h"
#include "store/sqlite.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <string>

namespace ft {

namespace {

constexpr std::size_t kFlushBytes = 256 * 1024;
constexpr std::int64_t kProgressRows = 1000;

void appendCsvField(std::string &out, std::string_view field)
{
    // Quote and comma per RFC 4180; tab, semicolon and pipe because the importer may sniff them as the delimiter.
    if (field.find_first_of("\",\r\n\t;|") == std::string_view::npos) {
        out += field;
        return;
    }
    out += '"';
    for (const char c : field) {
        if (c == '"')
            out += '"';
        out += c;
    }
    out += '"';
}

struct Row {
    std::int64_t id = 0;
    std::string text;
    std::optional<std::string> textPair;
    std::optional<std::string> label;
    std::string split;
};

void appendCsv(std::string &out, const Row &row)
{
    appendCsvField(out, row.text);
    out += ',';
    appendCsvField(out, row.textPair.value_or(""));
    out += ',';
    appendCsvField(out, row.label.value_or(""));
    out += ',';
    appendCsvField(out, row.split);
    out += "\r\n";
}

void appendJsonLine(std::string &out, const Row &row, bool withPairs)
{
    nlohmann::ordered_json line;
    line["text"] = row.text;
    if (row.textPair)
        line["text_pair"] = *row.textPair;
    else if (withPairs)
        line["text_pair"] = nullptr;
    line["label"] = row.label ? nlohmann::ordered_json(*row.label) : nlohmann::ordered_json();
    line["split"] = row.split;
    try {
        out += line.dump();
    } catch (const nlohmann::json::type_error &) {
        throw Error(ErrorKind::InvalidInput, "example " + std::to_string(row.id)
                                                 + " holds text that is not valid UTF-8; JSON cannot carry it");
    }
    out += '\n';
}

} // namespace

const char *exportFormatName(ExportFormat format)
{
    return format == ExportFormat::Csv ? "csv" : "jsonl";
}

std::optional<ExportFormat> parseExportFormat(std::string_view name)
{
    std::string lower(name);
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    if (lower == "csv")
        return ExportFormat::Csv;
    if (lower == "jsonl" || lower == "ndjson")
        return ExportFormat::JsonLines;
    return std::nullopt;
}

ExportFormat exportFormatFor(const std::filesystem::path &file)
{
    const std::string extension = file.extension().string();
    if (const auto format = parseExportFormat(extension.empty() ? extension : extension.substr(1)))
        return *format;
    throw Error(ErrorKind::InvalidInput, "cannot tell the export format of " + file.string()
                                             + " from its extension; use .csv or .jsonl, or name the format");
}

ExportResult exportDataset(Project &project, std::int64_t datasetId, const ExportOptions &options,
                           const ExportProgressCallback &progress)
{
    const std::string name = datasetName(project, datasetId);
    ExportResult result;
    result.file = options.file;
    result.format = options.format ? *options.format : exportFormatFor(options.file);

    auto &db = project.database();
    // A read transaction: the rows counted are the rows written, whatever another connection does meanwhile.
    db.exec("SAVEPOINT ft_export");
    struct Release {
        sql::Database &db;
        ~Release()
        {
            try {
                db.exec("RELEASE ft_export");
            } catch (const Error &) {
                // Nothing was written through it; a failed release of a read loses nothing.
            }
        }
    } release{db};

    ExportProgress done;
    {
        sql::Statement count(db, options.split ? "SELECT count(*) FROM examples WHERE dataset_id = ? AND split = ?"
                                               : "SELECT count(*) FROM examples WHERE dataset_id = ?");
        count.bind(1, datasetId);
        if (options.split)
            count.bind(2, splitName(*options.split));
        count.step();
        done.totalRows = count.int64(0);
    }
    // In id order without sorting: one split walks examples_by_dataset (dataset, split, id); the whole dataset
    // walks the table itself (the + keeps SQLite from taking the index and then sorting every row).
    sql::Statement rows(db, std::string("SELECT e.id, coalesce(e.text, ''), e.text_b, l.name, e.split "
                                        "FROM examples e LEFT JOIN labels l ON l.id = e.label_id WHERE ")
                                + (options.split ? "e.dataset_id = ? AND e.split = ?" : "+e.dataset_id = ?")
                                + " ORDER BY e.id");
    rows.bind(1, datasetId);
    if (options.split)
        rows.bind(2, splitName(*options.split));

    // JSON Lines readers (ours, among others) take the columns from the first object, so when any row has a
    // text pair every line carries the key, null where there is none.
    bool withPairs = false;
    if (result.format == ExportFormat::JsonLines) {
        sql::Statement pairs(db, std::string("SELECT EXISTS (SELECT 1 FROM examples WHERE dataset_id = ?")
                                     + (options.split ? " AND split = ?" : "") + " AND text_b <> '')");
        pairs.bind(1, datasetId);
        if (options.split)
            pairs.bind(2, splitName(*options.split));
        pairs.step();
        withPairs = pairs.int64(0) != 0;
    }

    AtomicFile file(options.file);
    std::string buffer;
    if (result.format == ExportFormat::Csv)
        buffer = "text,text_pair,label,split\r\n";
    const auto flush = [&] {
        file.write(buffer);
        result.bytes += buffer.size();
        buffer.clear();
    };
    while (rows.step()) {
        Row row{rows.int64(0), rows.text(1), rows.optionalText(2), rows.optionalText(3), rows.text(4)};
        if (row.textPair && row.textPair->empty())
            row.textPair.reset();
        if (result.format == ExportFormat::Csv)
            appendCsv(buffer, row);
        else
            appendJsonLine(buffer, row, withPairs);
        ++done.rows;
        if (buffer.size() >= kFlushBytes)
            flush();
        if (done.rows % kProgressRows == 0 && progress && !progress(done))
            throw Error(ErrorKind::Cancelled, "export of dataset '" + name + "' cancelled");
    }
    flush();
    if (progress && !progress(done))
        throw Error(ErrorKind::Cancelled, "export of dataset '" + name + "' cancelled");
    file.commit();
    result.rows = done.rows;
    return result;
}

} // namespace ft
