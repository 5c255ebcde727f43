// dataset_commands.cpp: `finetune dataset import|list|split`.
#include "cli/commands.h"

#include "cli/interrupt.h"
#include "cli/progress_bar.h"
#include "common/error.h"
#include "data/dataset_import.h"
#include "data/splits.h"
#include "data/text_encoding.h"
#include "store/datasets.h"
#include "store/project.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <iostream>
#include <memory>
#include <optional>
#include <sstream>

namespace ft::cli {

namespace {

constexpr std::size_t kErrorsShown = 20;        // row errors printed on stderr
constexpr std::size_t kErrorsReported = 100000; // row errors the JSON lists in "rejected"

struct SplitArguments {
    std::string ratios = "0.8,0.1,0.1";
    std::uint64_t seed = 42;
};

// "0.8,0.1,0.1" or "80,10,10".
SplitRatios parseRatios(const std::string &text)
{
    std::vector<double> parts;
    std::stringstream in(text);
    std::string part;
    while (std::getline(in, part, ',')) {
        try {
            std::size_t used = 0;
            parts.push_back(std::stod(part, &used));
            if (used != part.size())
                parts.clear();
        } catch (const std::exception &) {
            parts.clear();
        }
        if (parts.empty())
            break;
    }
    if (parts.size() != 3)
        throw Error(ErrorKind::InvalidInput, "--split-ratios takes three numbers, train,validation,test (e.g. "
                                             "0.8,0.1,0.1), not '" + text + "'");
    return normalised({parts[0], parts[1], parts[2]});
}

std::string ratiosValidator(const std::string &text)
{
    try {
        parseRatios(text);
        return {};
    } catch (const Error &e) {
        return e.what();
    }
}

char parseDelimiter(const std::string &text)
{
    if (text == "tab" || text == "\\t" || text == "\t")
        return '\t';
    return text.size() == 1 ? text[0] : 0;
}

nlohmann::ordered_json splitsJson(const SplitCounts &splits)
{
    return {{"train", splits.train}, {"validation", splits.validation}, {"test", splits.test},
            {"unassigned", splits.unassigned}};
}

nlohmann::ordered_json orNull(const std::string &text)
{
    return text.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(text);
}

std::vector<std::string> parseList(const std::string &text)
{
    std::vector<std::string> items;
    std::stringstream in(text);
    std::string item;
    while (std::getline(in, item, ','))
        items.push_back(item);
    return items;
}

// The summary's keys are a contract: "imported", "rejected" and
// "duplicates" (a count) as the issue states them, and the earlier keys
// kept ("rows", "errors" with the first 100, "duplicate_rows" with the lines).
nlohmann::ordered_json importJson(const ImportResult &result, std::uint64_t seed)
{
    nlohmann::ordered_json rejected = nlohmann::ordered_json::array();
    nlohmann::ordered_json errors = nlohmann::ordered_json::array();
    for (const RowError &error : result.errors) {
        rejected.push_back({{"file", error.file}, {"line", error.line}, {"reason", error.reason}});
        if (errors.size() < 100)
            errors.push_back(rejected.back());
    }
    nlohmann::ordered_json duplicates = nlohmann::ordered_json::array();
    for (const DuplicateRow &duplicate : result.duplicates) {
        nlohmann::ordered_json entry = {{"line", duplicate.line}, {"first_line", duplicate.firstLine}};
        if (!duplicate.file.empty()) {
            entry["file"] = duplicate.file;
            entry["first_file"] = duplicate.firstFile;
        }
        duplicates.push_back(std::move(entry));
    }
    nlohmann::ordered_json labels = nlohmann::ordered_json::object();
    for (const LabelTally &label : result.labels)
        labels[label.name] = label.count;
    nlohmann::ordered_json summary = {
        {"imported", result.rows},
        {"rejected", rejected},
        {"duplicates", result.duplicateCount},
        {"dataset", result.datasetName},
        {"dataset_id", result.datasetId ? nlohmann::ordered_json(result.datasetId) : nlohmann::ordered_json()},
        {"format", result.format},
        {"encoding", result.encoding},
        {"source", result.source},
        {"columns", {{"text", orNull(result.textColumn)}, {"text_pair", orNull(result.textPairColumn)},
                     {"label", orNull(result.labelColumn)}, {"split", orNull(result.splitColumn)},
                     {"image", orNull(result.imageColumn)}}},
        {"columns_from", result.columnsFrom},
        {"rows", result.rows},
        {"errors", {{"count", result.errorCount}, {"first", errors}}},
        {"duplicate_rows", {{"count", result.duplicateCount}, {"first", duplicates}}},
        {"labels", labels},
        {"unlabelled", result.unlabelled},
        {"splits", splitsJson(result.splits)},
        {"splits_from", result.splitsFromFile ? "file" : "stratified"}};
    if (result.errorCount > static_cast<std::int64_t>(result.errors.size()))
        summary["rejected_not_listed"] = result.errorCount - static_cast<std::int64_t>(result.errors.size());
    if (result.delimiter)
        summary["delimiter"] = std::string(1, result.delimiter);
    if (!result.splitsFromFile)
        summary["seed"] = seed;
    return summary;
}

void printImport(const ImportResult &result, const ImportOptions &options)
{
    std::cout << "Imported " << result.rows << " rows from " << options.file.filename().string() << " into dataset '"
              << result.datasetName << "' (" << result.format;
    if (result.encoding != "utf-8")
        std::cout << ", " << result.encoding;
    if (!result.textColumn.empty())
        std::cout << "; text: " << result.textColumn;
    if (!result.imageColumn.empty())
        std::cout << "; image: " << result.imageColumn;
    if (!result.textPairColumn.empty())
        std::cout << ", pair: " << result.textPairColumn;
    if (!result.labelColumn.empty())
        std::cout << ", label: " << result.labelColumn;
    std::cout << ")\n";
    if (result.columnsFrom == "remembered")
        std::cout << "Columns     as remembered for files with these columns\n";
    std::cout << "Labels      " << result.labels.size();
    for (std::size_t i = 0; i < result.labels.size() && i < 20; ++i)
        std::cout << (i ? ", " : ": ") << result.labels[i].name << " (" << result.labels[i].count << ")";
    if (result.labels.size() > 20)
        std::cout << ", ...";
    if (result.unlabelled)
        std::cout << "; " << result.unlabelled << " unlabelled";
    std::cout << '\n';
    std::cout << "Splits      train " << result.splits.train << ", validation " << result.splits.validation
              << ", test " << result.splits.test << ", unassigned " << result.splits.unassigned
              << (result.splitsFromFile ? " (from column " + result.splitColumn + ")"
                                        : " (stratified by label, seed " + std::to_string(options.seed) + ")")
              << '\n';
    std::cout << "Row errors  " << result.errorCount << '\n';
    std::cout << "Duplicates  " << result.duplicateCount << '\n';
}

} // namespace

void addDatasetCommands(CLI::App &app, Action &action)
{
    auto *dataset = app.add_subcommand("dataset", "Import and inspect datasets in a project");
    dataset->require_subcommand(1);
    addDatasetToolCommands(*dataset, action);

    struct ImportArguments {
        std::string project;
        std::string file;
        std::string format = "auto";
        std::string encoding = "utf-8";
        std::string labels;
        std::string delimiter;
        bool noHeader = false;
        bool noQuoting = false;
        SplitArguments split;
        ImportOptions options;
        bool json = false;
    };
    auto import = std::make_shared<ImportArguments>();
    auto *importCommand = dataset->add_subcommand(
        "import", "Import a CSV, TSV, JSON Lines, JSON or plain-text file (one example per line), or a folder of "
                  "class-named subfolders of .txt files or images, into a new dataset. Rows that cannot be read are "
                  "reported with their file and line and skipped; an import that keeps no row fails (exit 3). "
                  "Without a split column, rows are split at random, stratified by label. Columns given by hand are "
                  "remembered for the next file with the same column names");
    importCommand->add_option("--project", import->project, "Project folder")->required();
    importCommand->add_option("--name", import->options.datasetName, "Name of the new dataset")->required();
    importCommand->add_option("FILE", import->file, "Data file, or folder of class-named subfolders")->required();
    importCommand->add_option("--text-column", import->options.columns.text,
                              "Column with the text (default: text, sentence, review, question or content). With "
                              "--no-header, columns are numbers counted from 1: --text-column 2 is the second");
    importCommand->add_option("--text-pair-column", import->options.columns.textPair,
                              "Column with the second text of a pair (default: text_pair, sentence2 or text_b)");
    importCommand->add_option("--label-column", import->options.columns.label,
                              "Column with the label (default: label, labels, category, class or target)");
    importCommand->add_option("--split-column", import->options.columns.split,
                              "Column with train/validation/test (also valid, dev, eval) (default: split)");
    importCommand->add_option("--image-column", import->options.columns.image,
                              "Column with image paths, relative to the data file's folder (default: image, "
                              "image_path, img or file_name)");
    importCommand
        ->add_option("--format", import->format,
                     "csv, tsv, jsonl, json, text, text-folder or image-folder (default: from the extension; "
                     ".txt is text; a folder by the files in it)")
        ->check(CLI::IsMember({"auto", "csv", "tsv", "jsonl", "ndjson", "json", "text", "txt", "text-folder",
                               "image-folder"}));
    importCommand
        ->add_option("--encoding", import->encoding,
                     "utf-8, utf-16, utf-16le, utf-16be, gbk, gb18030 or latin1 (default utf-8; a byte-order mark "
                     "wins). Bytes invalid in the encoding are row errors")
        ->check([](const std::string &text) {
            try {
                parseEncoding(text);
                return std::string();
            } catch (const Error &e) {
                return std::string(e.what());
            }
        });
    importCommand->add_option("--labels", import->labels,
                              "Comma-separated labels allowed; a row with another label is rejected");
    importCommand
        ->add_option("--delimiter", import->delimiter, "Field delimiter: one character or 'tab' (default: sniffed)")
        ->check([](const std::string &text) {
            return parseDelimiter(text) ? std::string() : "expected one character or 'tab'";
        });
    importCommand->add_flag("--no-header", import->noHeader,
                            "The first row is data; columns are numbered 1, 2, ... (e.g. --text-column 2)");
    importCommand->add_flag("--no-quoting", import->noQuoting, "Read quotes as text (for files that never quote)");
    importCommand->add_option("--split-ratios", import->split.ratios, "train,validation,test proportions")
        ->check(ratiosValidator)
        ->capture_default_str();
    importCommand->add_option("--seed", import->split.seed, "Seed of the stratified split")->capture_default_str();
    importCommand->add_flag("--json", import->json, "Print a JSON summary as the last line");
    importCommand->callback([&action, import] {
        action = [import] {
            installInterruptHandler();
            ImportOptions options = import->options;
            options.file = import->file;
            options.read.format = parseFileFormat(import->format);
            options.read.delimiter = parseDelimiter(import->delimiter);
            options.read.hasHeader = !import->noHeader;
            options.read.quoting = !import->noQuoting;
            options.read.encoding = parseEncoding(import->encoding);
            if (!import->labels.empty())
                options.labels = parseList(import->labels);
            options.maxReportedErrors = kErrorsReported;
            options.ratios = parseRatios(import->split.ratios);
            options.seed = import->split.seed;

            Project project = Project::open(import->project);
            const std::string name = options.file.filename().string();
            // A bar per pass, so that each shows its own rate and ETA.
            std::optional<ProgressBar> bar;
            std::optional<ImportPhase> barPhase;
            const ImportResult result = importDataset(project, options, [&](const ImportProgress &p) {
                if (barPhase != p.phase) {
                    bar.reset();
                    bar.emplace(ProgressBar::Unit::Bytes);
                    barPhase = p.phase;
                }
                bar->update(p.phase == ImportPhase::Scanning ? "scanning " + name : name, p.bytesRead, p.totalBytes);
                return !interrupted();
            });
            bar.reset();

            for (std::size_t i = 0; i < result.errors.size() && i < kErrorsShown; ++i)
                std::cerr << "finetune: warning: " << result.errors[i].describe() << '\n';
            if (result.errorCount > static_cast<std::int64_t>(kErrorsShown))
                std::cerr << "finetune: warning: " << result.errorCount - static_cast<std::int64_t>(kErrorsShown)
                          << " more row errors\n";
            if (import->json)
                std::cout << importJson(result, options.seed).dump() << '\n';
            else if (result.rows > 0)
                printImport(result, options);
            if (result.rows == 0)
                throw Error(ErrorKind::InvalidInput,
                            "nothing imported from " + import->file + ": "
                                + (result.errorCount == 0 ? std::string("it holds no rows")
                                                          : "all " + std::to_string(result.errorCount)
                                                                + " rows were rejected (see the warnings above)")
                                + "; no dataset was created");
        };
    });

    struct ListArguments {
        std::string project;
        bool json = false;
    };
    auto list = std::make_shared<ListArguments>();
    auto *listCommand = dataset->add_subcommand("list", "List the datasets of a project with their sizes and splits");
    listCommand->add_option("--project", list->project, "Project folder")->required();
    listCommand->add_flag("--json", list->json, "Print one JSON object instead of text");
    listCommand->callback([&action, list] {
        action = [list] {
            Project project = Project::open(list->project);
            nlohmann::ordered_json datasets = nlohmann::ordered_json::array();
            for (const DatasetSummary &d : listDatasets(project)) {
                datasets.push_back({{"name", d.name}, {"id", d.id}, {"source", d.source}, {"created_at", d.createdAt},
                                    {"examples", d.examples}, {"labels", d.labels}, {"train", d.train},
                                    {"validation", d.validation}, {"test", d.test},
                                    {"unassigned", d.examples - d.train - d.validation - d.test},
                                    {"with_text_pair", d.withTextPair}});
            }
            if (list->json) {
                const nlohmann::ordered_json listing{{"project", project.folder().string()}, {"datasets", datasets}};
                std::cout << listing.dump() << '\n';
                return;
            }
            if (datasets.empty())
                std::cout << "No datasets in " << project.name() << '\n';
            for (const auto &d : datasets) {
                std::cout << d["name"].get<std::string>() << ": " << d["examples"] << " examples, " << d["labels"]
                          << " labels (train " << d["train"] << ", validation " << d["validation"] << ", test "
                          << d["test"] << ", unassigned " << d["unassigned"] << ")\n";
            }
        };
    });

    struct ResplitArguments {
        std::string project;
        std::string name;
        SplitArguments split;
        bool json = false;
    };
    auto resplit = std::make_shared<ResplitArguments>();
    auto *splitCommand = dataset->add_subcommand(
        "split", "Split a dataset again at random, stratified by label (unlabelled rows stay unassigned)");
    splitCommand->add_option("--project", resplit->project, "Project folder")->required();
    splitCommand->add_option("--name", resplit->name, "Dataset name")->required();
    splitCommand->add_option("--split-ratios", resplit->split.ratios, "train,validation,test proportions")
        ->check(ratiosValidator)
        ->capture_default_str();
    splitCommand->add_option("--seed", resplit->split.seed, "Seed")->capture_default_str();
    splitCommand->add_flag("--json", resplit->json, "Print a JSON summary as the last line");
    splitCommand->callback([&action, resplit] {
        action = [resplit] {
            Project project = Project::open(resplit->project);
            const auto id = findDataset(project, resplit->name);
            if (!id)
                throw Error(ErrorKind::NotFound,
                            "no dataset named '" + resplit->name + "' in " + project.folder().string());
            const SplitCounts counts = reSplit(project, *id, parseRatios(resplit->split.ratios), resplit->split.seed);
            if (resplit->json) {
                std::cout << nlohmann::ordered_json{{"dataset", resplit->name}, {"seed", resplit->split.seed},
                                                    {"splits", splitsJson(counts)}}.dump()
                          << '\n';
            } else {
                std::cout << "Split '" << resplit->name << "': train " << counts.train << ", validation "
                          << counts.validation << ", test " << counts.test << ", unassigned " << counts.unassigned
                          << " (seed " << resplit->split.seed << ")\n";
            }
        };
    });
}

} // namespace ft::cli
