// dataset_import.cpp: rows from a RowSource, checked and mapped, into the
// store inside one transaction.
#include "data/dataset_import.h"

#include "common/error.h"
#include "data/folder_source.h"
#include "data/import_rows.h"
#include "store/column_mappings.h"
#include "store/datasets.h"
#include "store/project.h"
#include "store/sqlite.h"

#include <unordered_map>

namespace fs = std::filesystem;

namespace ft {

namespace {

constexpr std::int64_t kProgressEveryRows = 1024; // records between progress calls

// Columns as given; else as remembered for files of this shape; else guessed.
ColumnMapping chooseMapping(Project &project, const RowSource &source, const ImportOptions &options,
                            std::string &from)
{
    if (!options.columns.empty()) {
        from = "given";
        return options.columns;
    }
    if (options.rememberColumns) {
        if (auto remembered = rememberedMapping(project, source.columns())) {
            from = "remembered";
            return *remembered;
        }
    }
    from = "guessed";
    return {};
}

} // namespace

ImportResult importDataset(Project &project, const ImportOptions &options, const ImportProgressCallback &progress)
{
    const std::string file = options.file.string();
    auto source = openRowSource(options.file, options.read);
    const bool folder = isFolderSource(options.file);

    ImportResult result;
    const ColumnMapping mapping = chooseMapping(project, *source, options, result.columnsFrom);
    const ResolvedColumns use = resolveColumns(source->columns(), mapping, file, true);
    const SplitRatios ratios = normalised(options.ratios);
    if (options.batchRows == 0)
        throw Error(ErrorKind::Internal, "importDataset: batchRows must be positive");

    result.datasetName = options.datasetName.empty() ? options.file.stem().string() : options.datasetName;
    result.format = source->formatName();
    result.delimiter = source->delimiter();
    result.encoding = encodingName(source->encoding());
    result.columns = source->columns();
    const auto nameOf = [&](std::optional<std::size_t> column) { return column ? result.columns[*column] : ""; };
    result.textColumn = use.hasText ? result.columns[use.text] : "";
    result.textPairColumn = nameOf(use.textPair);
    result.labelColumn = nameOf(use.label);
    result.splitColumn = nameOf(use.split);
    result.imageColumn = nameOf(use.image);
    result.splitsFromFile = use.split.has_value();
    // Image paths are relative to the folder imported, or to the data file's
    // folder; the dataset's source says where that is: relative to the
    // project when inside it, so the project can move with its images.
    const fs::path imageRoot = folder ? options.file : options.file.parent_path();
    result.source = file;
    if (use.image) {
        const fs::path absolute = fs::absolute(options.file).lexically_normal();
        const fs::path inProject = absolute.lexically_relative(fs::absolute(project.folder()).lexically_normal());
        const bool inside = !inProject.empty() && *inProject.begin() != ".." && inProject != ".";
        result.source = inside ? inProject.generic_string() : absolute.string();
    }
    // createDataset checks this too, but only after a first pass over what may be a large file.
    if (findDataset(project, result.datasetName))
        throw Error(ErrorKind::InvalidInput, "a dataset named '" + result.datasetName + "' already exists in "
                                                 + project.folder().string());
    const ImportRowChecker checker(use, result.columns, options.labels, imageRoot);

    ImportPhase phase = ImportPhase::Writing;
    const auto report = [&] {
        const ImportProgress now{phase, source->bytesRead(), source->totalBytes(), result.rows, result.errorCount};
        if (progress && !progress(now))
            throw Error(ErrorKind::Cancelled, "the import of " + file + " was cancelled; the project is unchanged");
    };
    SourceRow row;
    Example example;
    std::string digest;

    // First pass (text without a split column): the label of every row that
    // will be imported, in order. Images skip it: decoding each twice would
    // double the import's time, so their rows are split after writing.
    const bool splitAfterWriting = !use.split && use.image;
    std::vector<Split> splits;
    if (!use.split && !splitAfterWriting) {
        phase = ImportPhase::Scanning;
        std::vector<std::int64_t> labels;
        std::unordered_map<std::string, std::int64_t> labelIndex;
        for (std::int64_t records = 1; source->next(row); ++records) {
            if (records % kProgressEveryRows == 0)
                report();
            if (!checker.check(row, example, digest).empty())
                continue;
            labels.push_back(example.label ? labelIndex.try_emplace(*example.label, labelIndex.size()).first->second
                                           : -1);
        }
        // Label indexes follow first appearance, as the store's label ids do,
        // so this is the split reSplit gives for the same seed.
        splits = stratifiedSplit(labels, ratios, options.seed);
        source = openRowSource(options.file, options.read);
        phase = ImportPhase::Writing;
    }

    const auto fileOf = [&](const SourceRow &r) { return r.file.empty() ? file : (options.file / r.file).string(); };
    const auto addError = [&](const SourceRow &r, std::string reason) {
        ++result.errorCount;
        if (result.errors.size() < options.maxReportedErrors)
            result.errors.push_back({fileOf(r), r.line, std::move(reason)});
    };
    const auto changed = [&] {
        return Error(ErrorKind::InvalidInput, file + " changed while it was being imported; the project is unchanged");
    };

    // One transaction for the whole import: a cancel, a failure or a crash
    // leaves no partial dataset behind. Each batch is a savepoint inside it.
    sql::Transaction transaction(project.database());
    result.datasetId = createDataset(project, result.datasetName, result.source);
    const std::string sourceName = options.file.filename().string();
    struct FirstSeen {
        std::int64_t line;
        std::string file;
    };
    std::unordered_map<Fingerprint, FirstSeen, FingerprintHash> firstSeen;
    std::unordered_map<std::string, std::size_t> labelIndex;
    std::vector<Example> batch;
    batch.reserve(std::min<std::size_t>(options.batchRows, 4096));
    for (std::int64_t records = 1; source->next(row); ++records) {
        if (records % kProgressEveryRows == 0 || (use.image && records % 64 == 0))
            report();
        if (std::string error = checker.check(row, example, digest); !error.empty()) {
            addError(row, std::move(error));
            continue;
        }
        if (splitAfterWriting) {
            example.split = splitName(Split::Unassigned);
        } else if (!use.split) {
            if (static_cast<std::size_t>(result.rows) >= splits.size())
                throw changed();
            example.split = splitName(splits[static_cast<std::size_t>(result.rows)]);
        }
        result.splits.add(*parseSplit(example.split));
        if (example.label) {
            const auto [found, added] = labelIndex.try_emplace(*example.label, result.labels.size());
            if (added)
                result.labels.push_back({*example.label, 0});
            ++result.labels[found->second].count;
        } else {
            ++result.unlabelled;
        }
        const Fingerprint key = example.imagePath
                                    ? fingerprint(digest, example.text, true)
                                    : fingerprint(example.text, example.textB);
        const auto [first, isNew] = firstSeen.try_emplace(key, FirstSeen{row.line, folder ? row.file : ""});
        if (!isNew) {
            ++result.duplicateCount;
            if (result.duplicates.size() < options.maxReportedDuplicates)
                result.duplicates.push_back({row.line, first->second.line, folder ? row.file : "", first->second.file});
        }
        example.sourceFile = folder ? row.file : sourceName;
        example.sourceLine = row.line > 0 ? std::optional(row.line) : std::nullopt;
        batch.push_back(std::move(example));
        ++result.rows;
        if (batch.size() == options.batchRows) {
            addExamples(project, result.datasetId, batch);
            batch.clear();
        }
    }
    addExamples(project, result.datasetId, batch);
    if (!use.split && !splitAfterWriting && static_cast<std::size_t>(result.rows) != splits.size())
        throw changed();
    if (splitAfterWriting)
        result.splits = reSplit(project, result.datasetId, ratios, options.seed);
    report();
    if (result.rows == 0) {
        result.datasetId = 0; // nothing kept: the transaction rolls back, creating nothing
        return result;
    }
    if (result.columnsFrom == "given" && options.rememberColumns && !folder)
        rememberMapping(project, result.columns,
                        {result.textColumn, result.textPairColumn, result.labelColumn, result.splitColumn,
                         result.imageColumn});
    transaction.commit();
    return result;
}

} // namespace ft
