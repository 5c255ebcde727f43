// row_source.cpp: choosing the reader for a data file or folder.
#include "data/row_source.h"

#include "common/error.h"
#include "data/csv_reader.h"
#include "data/folder_source.h"
#include "data/json_reader.h"
#include "data/text_lines_reader.h"

#include <algorithm>

namespace fs = std::filesystem;

namespace ft {

namespace {

FileFormat formatFromExtension(const fs::path &file)
{
    std::string extension = file.extension().string();
    std::transform(extension.begin(), extension.end(), extension.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (extension == ".csv")
        return FileFormat::Csv;
    if (extension == ".tsv" || extension == ".tab")
        return FileFormat::Tsv;
    if (extension == ".jsonl" || extension == ".ndjson")
        return FileFormat::JsonLines;
    if (extension == ".json")
        return FileFormat::Json;
    if (extension == ".txt")
        return FileFormat::Text;
    return FileFormat::Auto;
}

} // namespace

FileFormat parseFileFormat(const std::string &name)
{
    if (name == "auto")
        return FileFormat::Auto;
    if (name == "csv")
        return FileFormat::Csv;
    if (name == "tsv")
        return FileFormat::Tsv;
    if (name == "jsonl" || name == "ndjson")
        return FileFormat::JsonLines;
    if (name == "json")
        return FileFormat::Json;
    if (name == "text" || name == "txt")
        return FileFormat::Text;
    if (name == "text-folder")
        return FileFormat::TextFolder;
    if (name == "image-folder")
        return FileFormat::ImageFolder;
    throw Error(ErrorKind::InvalidInput, "unknown format '" + name
                                             + "' (expected csv, tsv, jsonl, json, text, text-folder or image-folder)");
}

std::unique_ptr<RowSource> openRowSource(const fs::path &file, const ReadOptions &options)
{
    const bool folderFormat = options.format == FileFormat::TextFolder || options.format == FileFormat::ImageFolder;
    if (isFolderSource(file) && (options.format == FileFormat::Auto || folderFormat))
        return std::make_unique<FolderSource>(file, options);
    if (folderFormat)
        throw Error(ErrorKind::InvalidInput,
                    file.string() + " is not a folder; text-folder and image-folder read class-named subfolders");
    FileFormat format = options.format == FileFormat::Auto ? formatFromExtension(file) : options.format;
    if (format == FileFormat::Auto) {
        // No telling extension (SMSSpamCollection, data.dat): JSON starts
        // with a bracket or a brace, anything else is delimited text.
        const char first = firstSignificantByte(file, options.encoding);
        format = first == '[' || first == '{' ? FileFormat::Json : FileFormat::Csv;
    }
    switch (format) {
    case FileFormat::Tsv: {
        ReadOptions tsv = options;
        if (tsv.delimiter == 0)
            tsv.delimiter = '\t';
        return std::make_unique<CsvReader>(file, tsv);
    }
    case FileFormat::JsonLines:
        return std::make_unique<JsonLinesReader>(file, options);
    case FileFormat::Json:
        // datasets' to_json writes JSON Lines unless told lines=False.
        if (firstSignificantByte(file, options.encoding) == '[')
            return std::make_unique<JsonArrayReader>(file, options);
        return std::make_unique<JsonLinesReader>(file, options);
    case FileFormat::Text:
        return std::make_unique<TextLinesReader>(file, options);
    case FileFormat::Csv:
    case FileFormat::Auto:
    case FileFormat::TextFolder:
    case FileFormat::ImageFolder:
        break;
    }
    return std::make_unique<CsvReader>(file, options);
}

} // namespace ft
