// dataset_import.cpp: rows from a RowSource, checked and mapped, into the
// store inside one transaction.
#include "data/dataset_import.h"

#include "common/error.h"
#include "store/datasets.h"
#include "store/project.h"
#include "store/sqlite.h"

#include <unordered_map>

namespace ft {

namespace {

constexpr std::int64_t kProgressEveryRows = 1024; // records between progress calls

std::string_view trimmed(std::string_view text)
{
    const auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos)
        return {};
    return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

// 128 bits from two unrelated 64-bit hashes: two different rows share a
// fingerprint with odds far below one in 10^18 even for a billion rows, so
// duplicates are found exactly without keeping every text in memory.
struct Fingerprint {
    std::uint64_t a = 0;
    std::uint64_t b = 0;
    bool operator==(const Fingerprint &) const = default;
};

struct FingerprintHash {
    std::size_t operator()(const Fingerprint &f) const { return static_cast<std::size_t>(f.a); }
};

std::uint64_t fnv1a(std::string_view text, std::uint64_t hash = 14695981039346656037ull)
{
    for (const char c : text) {
        hash ^= static_cast<unsigned char>(c);
        hash *= 1099511628211ull;
    }
    return hash;
}

std::uint64_t mix(std::uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    return x ^ (x >> 33);
}

Fingerprint fingerprint(std::string_view text, const std::optional<std::string> &pair)
{
    // The lengths and the pair's presence go in too, so ("a b", none) and
    // ("a", "b") never meet.
    const std::string_view second = pair ? std::string_view(*pair) : std::string_view();
    const std::uint64_t shape = (static_cast<std::uint64_t>(text.size()) << 1) ^ (pair ? 1 : 0);
    const std::hash<std::string_view> hash;
    return {mix(fnv1a(second, fnv1a(text)) ^ mix(shape)),
            mix(hash(text) * 31 + hash(second)) ^ mix(shape + second.size())};
}

// Why `row` cannot be imported, or "" after filling `example` with its text,
// pair, label and (from a split column) split. Both passes decide with it,
// so they agree on which rows are imported.
std::string toExample(SourceRow &row, const ResolvedColumns &use, const ImportResult &names, Example &example)
{
    if (!row.error.empty())
        return std::move(row.error);
    if (trimmed(row.values[use.text]).empty())
        return "the text (column '" + names.textColumn + "') is empty";
    if (use.split) {
        const std::string &value = row.values[*use.split];
        const auto split = trimmed(value).empty() ? std::optional(Split::Unassigned) : parseSplit(value);
        if (!split)
            return "unknown split '" + value + "' in column '" + names.splitColumn
                   + "' (expected train, validation, valid, dev, eval or test)";
        example.split = splitName(*split);
    }
    example.text = std::move(row.values[use.text]);
    example.textB.reset();
    if (use.textPair && !trimmed(row.values[*use.textPair]).empty())
        example.textB = std::move(row.values[*use.textPair]);
    example.label.reset();
    if (use.label) {
        const std::string_view label = trimmed(row.values[*use.label]);
        if (!label.empty())
            example.label = std::string(label);
    }
    return {};
}

} // namespace

ImportResult importDataset(Project &project, const ImportOptions &options, const ImportProgressCallback &progress)
{
    const std::string file = options.file.string();
    auto source = openRowSource(options.file, options.read);
    const ResolvedColumns use = resolveColumns(source->columns(), options.columns, file);
    const SplitRatios ratios = normalised(options.ratios);
    if (options.batchRows == 0)
        throw Error(ErrorKind::Internal, "importDataset: batchRows must be positive");

    ImportResult result;
    result.datasetName = options.datasetName.empty() ? options.file.stem().string() : options.datasetName;
    result.format = source->formatName();
    result.delimiter = source->delimiter();
    result.columns = source->columns();
    result.textColumn = result.columns[use.text];
    result.textPairColumn = use.textPair ? result.columns[*use.textPair] : "";
    result.labelColumn = use.label ? result.columns[*use.label] : "";
    result.splitColumn = use.split ? result.columns[*use.split] : "";
    result.splitsFromFile = use.split.has_value();
    // createDataset checks this too, but only after a first pass over what may be a large file.
    if (findDataset(project, result.datasetName))
        throw Error(ErrorKind::InvalidInput, "a dataset named '" + result.datasetName + "' already exists in "
                                                 + project.folder().string());

    ImportPhase phase = ImportPhase::Writing;
    const auto report = [&] {
        const ImportProgress now{phase, source->bytesRead(), source->totalBytes(), result.rows, result.errorCount};
        if (progress && !progress(now))
            throw Error(ErrorKind::Cancelled, "the import of " + file + " was cancelled; the project is unchanged");
    };
    SourceRow row;
    Example example;

    // First pass: the label of every row that will be imported, in order.
    std::vector<Split> splits;
    if (!use.split) {
        phase = ImportPhase::Scanning;
        std::vector<std::int64_t> labels;
        std::unordered_map<std::string, std::int64_t> labelIndex;
        for (std::int64_t records = 1; source->next(row); ++records) {
            if (records % kProgressEveryRows == 0)
                report();
            if (!toExample(row, use, result, example).empty())
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

    const auto addError = [&](std::int64_t line, std::string reason) {
        ++result.errorCount;
        if (result.errors.size() < options.maxReportedErrors)
            result.errors.push_back({file, line, std::move(reason)});
    };
    const auto changed = [&] {
        return Error(ErrorKind::InvalidInput, file + " changed while it was being imported; the project is unchanged");
    };

    // One transaction for the whole import: a cancel, a failure or a crash
    // leaves no partial dataset behind. Each batch is a savepoint inside it.
    sql::Transaction transaction(project.database());
    result.datasetId = createDataset(project, result.datasetName, file);
    const std::string sourceName = options.file.filename().string();
    std::unordered_map<Fingerprint, std::int64_t, FingerprintHash> firstLineOf;
    std::unordered_map<std::string, std::size_t> labelIndex;
    std::vector<Example> batch;
    batch.reserve(std::min<std::size_t>(options.batchRows, 4096));
    for (std::int64_t records = 1; source->next(row); ++records) {
        if (records % kProgressEveryRows == 0)
            report();
        if (std::string error = toExample(row, use, result, example); !error.empty()) {
            addError(row.line, std::move(error));
            continue;
        }
        if (!use.split) {
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
        const auto [first, isNew] = firstLineOf.try_emplace(fingerprint(example.text, example.textB), row.line);
        if (!isNew) {
            ++result.duplicateCount;
            if (result.duplicates.size() < options.maxReportedDuplicates)
                result.duplicates.push_back({row.line, first->second});
        }
        example.sourceFile = sourceName;
        example.sourceLine = row.line;
        batch.push_back(std::move(example));
        ++result.rows;
        if (batch.size() == options.batchRows) {
            addExamples(project, result.datasetId, batch);
            batch.clear();
        }
    }
    addExamples(project, result.datasetId, batch);
    if (!use.split && static_cast<std::size_t>(result.rows) != splits.size())
        throw changed();
    report();
    transaction.commit();
    return result;
}

} // namespace ft
