// dataset_tool_commands.cpp: `finetune dataset stats|export|label add|rename|merge|delete`.
#include "cli/commands.h"

#include "cli/interrupt.h"
#include "cli/progress_bar.h"
#include "common/error.h"
#include "data/dataset_export.h"
#include "data/splits.h"
#include "store/dataset_stats.h"
#include "store/datasets.h"
#include "store/labels.h"
#include "store/project.h"
#include "store/sqlite.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cmath>
#include <iomanip>
#include <iostream>
#include <memory>
#include <optional>

namespace ft::cli {

namespace {

using Json = nlohmann::ordered_json;

// The options every command here takes: the project, the dataset and --json.
struct DatasetArguments {
    std::string project;
    std::string name;
    bool json = false;

    void addTo(CLI::App &command)
    {
        command.add_option("--project", project, "Project folder")->required();
        command.add_option("--name", name, "Dataset name")->required();
        command.add_flag("--json", json, "Print a JSON summary as the last line");
    }
};

std::int64_t requireDataset(Project &project, const std::string &name)
{
    const auto id = findDataset(project, name);
    if (!id)
        throw Error(ErrorKind::NotFound, "no dataset named '" + name + "' in " + project.folder().string());
    return *id;
}

Json splitsJson(const SplitCounts &counts)
{
    return {{"train", counts.train}, {"validation", counts.validation}, {"test", counts.test},
            {"unassigned", counts.unassigned}};
}

Json examplesJson(const SplitCounts &counts)
{
    Json json = splitsJson(counts);
    json["total"] = counts.total();
    return json;
}

Json statsJson(const DatasetStats &stats)
{
    Json labels = Json::object();
    Json bySplit = Json::object();
    for (const LabelSplitCounts &label : stats.labels.labels) {
        labels[label.label.name] = label.counts.total();
        bySplit[label.label.name] = splitsJson(label.counts);
    }
    return {{"rows", stats.rows},
            {"labels", labels},
            {"splits", splitsJson(stats.splits)},
            {"dataset", stats.name},
            {"unlabelled", stats.labels.unlabelled.total()},
            {"labels_by_split", bySplit},
            {"unlabelled_by_split", splitsJson(stats.labels.unlabelled)},
            {"with_text_pair", stats.withTextPair},
            {"text_length", {{"min", stats.textLength.min},
                             {"mean", std::round(stats.textLength.mean * 100) / 100},
                             {"max", stats.textLength.max}}}};
}

void printStats(const DatasetStats &stats)
{
    std::cout << "Dataset '" << stats.name << "': " << stats.rows << " rows (train " << stats.splits.train
              << ", validation " << stats.splits.validation << ", test " << stats.splits.test << ", unassigned "
              << stats.splits.unassigned << ")\n";
    std::size_t width = std::string("(unlabelled)").size();
    for (const LabelSplitCounts &label : stats.labels.labels)
        width = std::max(width, label.label.name.size());
    const auto line = [&](const std::string &name, const auto &train, const auto &validation, const auto &test,
                          const auto &unassigned, const auto &total) {
        std::cout << std::left << std::setw(static_cast<int>(width)) << name << std::right << std::setw(9) << train
                  << std::setw(12) << validation << std::setw(8) << test << std::setw(12) << unassigned
                  << std::setw(9) << total << '\n';
    };
    line("label", "train", "validation", "test", "unassigned", "total");
    const auto counts = [&](const std::string &name, const SplitCounts &c) {
        line(name, c.train, c.validation, c.test, c.unassigned, c.total());
    };
    for (const LabelSplitCounts &label : stats.labels.labels)
        counts(label.label.name, label.counts);
    counts("(unlabelled)", stats.labels.unlabelled);
    std::cout << "Text length " << stats.textLength.min << " to " << stats.textLength.max << " code points, mean "
              << std::fixed << std::setprecision(1) << stats.textLength.mean << "; " << stats.withTextPair
              << " with a text pair\n";
}

void addStatsCommand(CLI::App &dataset, Action &action)
{
    auto arguments = std::make_shared<DatasetArguments>();
    auto *command = dataset.add_subcommand(
        "stats", "Rows, splits, examples per label and split, unlabelled examples and text lengths of a dataset");
    arguments->addTo(*command);
    command->callback([&action, arguments] {
        action = [arguments] {
            Project project = Project::open(arguments->project);
            const DatasetStats stats = datasetStats(project, requireDataset(project, arguments->name));
            if (arguments->json)
                std::cout << statsJson(stats).dump() << '\n';
            else
                printStats(stats);
        };
    });
}

void addExportCommand(CLI::App &dataset, Action &action)
{
    struct ExportArguments : DatasetArguments {
        std::string output;
        std::string format;
        std::string split;
    };
    auto arguments = std::make_shared<ExportArguments>();
    auto *command = dataset.add_subcommand(
        "export", "Write a dataset (or one split) to CSV or JSON Lines that `dataset import` reads back unchanged");
    arguments->addTo(*command);
    command->add_option("--output", arguments->output, "File to write (replaced only once complete)")->required();
    command->add_option("--format", arguments->format, "csv or jsonl (default: from the extension)")
        ->check(CLI::IsMember({"csv", "jsonl", "ndjson"}));
    command->add_option("--split", arguments->split, "Only this split: train, validation, test or unassigned")
        ->check([](const std::string &text) {
            return parseSplit(text) ? std::string() : "expected train, validation, test or unassigned";
        });
    command->callback([&action, arguments] {
        action = [arguments] {
            installInterruptHandler();
            Project project = Project::open(arguments->project);
            ExportOptions options;
            options.file = arguments->output;
            if (!arguments->format.empty())
                options.format = parseExportFormat(arguments->format);
            if (!arguments->split.empty())
                options.split = parseSplit(arguments->split);
            std::optional<ProgressBar> bar;
            bar.emplace(ProgressBar::Unit::Items);
            const std::string label = options.file.filename().string();
            const ExportResult result = exportDataset(project, requireDataset(project, arguments->name), options,
                                                      [&](const ExportProgress &p) {
                                                          bar->update(label, static_cast<std::uint64_t>(p.rows),
                                                                      static_cast<std::uint64_t>(p.totalRows));
                                                          return !interrupted();
                                                      });
            bar.reset();
            if (arguments->json) {
                std::cout << Json{{"dataset", arguments->name},
                                  {"file", result.file.string()},
                                  {"format", exportFormatName(result.format)},
                                  {"split", options.split ? Json(splitName(*options.split)) : Json()},
                                  {"rows", result.rows},
                                  {"bytes", result.bytes}}
                                 .dump()
                          << '\n';
            } else {
                std::cout << "Exported " << result.rows << " rows of dataset '" << arguments->name << "'"
                          << (options.split ? std::string(" (") + splitName(*options.split) + ")" : "") << " to "
                          << result.file.string() << " (" << exportFormatName(result.format) << ")\n";
            }
        };
    });
}

const char *changeName(LabelChange change)
{
    switch (change) {
    case LabelChange::Rename: return "rename";
    case LabelChange::Merge: return "merge";
    case LabelChange::Delete: return "delete";
    }
    return "";
}

// Prints what a change does (or, without `applied`, would do) to the examples.
void reportChange(const std::string &dataset, const LabelChangeImpact &impact, bool applied, bool json)
{
    if (json) {
        std::cout << Json{{"dataset", dataset},
                          {"action", changeName(impact.change)},
                          {"labels", impact.labels},
                          {"target", impact.target.empty() ? Json() : Json(impact.target)},
                          {"examples", examplesJson(impact.examples)},
                          {"applied", applied}}
                         .dump()
                  << '\n';
        return;
    }
    std::cout << impact.describe() << '\n';
    std::cout << (applied ? "Done.\n" : "Nothing changed; rerun with --yes to apply.\n");
}

void addLabelCommands(CLI::App &dataset, Action &action)
{
    auto *label = dataset.add_subcommand("label", "Add, rename, merge or delete the labels of a dataset");
    label->require_subcommand(1);

    struct AddArguments : DatasetArguments {
        std::vector<std::string> labels;
    };
    auto add = std::make_shared<AddArguments>();
    auto *addCommand = label->add_subcommand("add", "Add labels with no examples yet, after the existing ones");
    add->addTo(*addCommand);
    addCommand->add_option("LABEL", add->labels, "Names of the new labels")->required();
    addCommand->callback([&action, add] {
        action = [add] {
            Project project = Project::open(add->project);
            const std::int64_t id = requireDataset(project, add->name);
            sql::Transaction transaction(project.database()); // all the labels or none
            Json added = Json::array();
            for (const std::string &name : add->labels) {
                const Label created = addLabel(project, id, name);
                added.push_back({{"name", created.name}, {"id", created.id}});
            }
            transaction.commit();
            if (add->json) {
                Json all = Json::array();
                for (const Label &l : listLabels(project, id))
                    all.push_back(l.name);
                std::cout << Json{{"dataset", add->name}, {"added", added}, {"labels", all}}.dump() << '\n';
            } else {
                std::cout << "Added " << add->labels.size() << (add->labels.size() == 1 ? " label" : " labels")
                          << " to dataset '" << add->name << "'\n";
            }
        };
    });

    struct RenameArguments : DatasetArguments {
        std::string from;
        std::string to;
    };
    auto rename = std::make_shared<RenameArguments>();
    auto *renameCommand = label->add_subcommand(
        "rename", "Rename a label; its examples keep it (onto an existing label's name: use merge)");
    rename->addTo(*renameCommand);
    renameCommand->add_option("OLD", rename->from, "Current name")->required();
    renameCommand->add_option("NEW", rename->to, "New name")->required();
    renameCommand->callback([&action, rename] {
        action = [rename] {
            Project project = Project::open(rename->project);
            const std::int64_t id = requireDataset(project, rename->name);
            sql::Transaction transaction(project.database());
            const Label from = requireLabel(project, id, rename->from);
            const LabelChangeImpact impact = previewRename(project, id, from.id, rename->to);
            renameLabel(project, id, from.id, rename->to);
            transaction.commit();
            reportChange(rename->name, impact, true, rename->json);
        };
    });

    struct MergeArguments : DatasetArguments {
        std::vector<std::string> sources;
        std::string target;
        bool yes = false;
    };
    auto merge = std::make_shared<MergeArguments>();
    auto *mergeCommand = label->add_subcommand(
        "merge", "Move the examples of SOURCE labels to --into TARGET and remove the sources. Says first what "
                 "will happen; changes nothing without --yes");
    merge->addTo(*mergeCommand);
    mergeCommand->add_option("SOURCE", merge->sources, "Labels to merge")->required();
    mergeCommand->add_option("--into", merge->target, "Label that receives their examples")->required();
    mergeCommand->add_flag("--yes", merge->yes, "Apply the merge");
    mergeCommand->callback([&action, merge] {
        action = [merge] {
            Project project = Project::open(merge->project);
            const std::int64_t id = requireDataset(project, merge->name);
            sql::Transaction transaction(project.database());
            const Label target = requireLabel(project, id, merge->target);
            std::vector<std::int64_t> sources;
            for (const std::string &name : merge->sources)
                sources.push_back(requireLabel(project, id, name).id);
            const LabelChangeImpact impact = previewMerge(project, id, sources, target.id);
            if (merge->yes) {
                mergeLabels(project, id, sources, target.id);
                transaction.commit();
            }
            reportChange(merge->name, impact, merge->yes, merge->json);
        };
    });

    struct DeleteArguments : DatasetArguments {
        std::string label;
        bool yes = false;
    };
    auto remove = std::make_shared<DeleteArguments>();
    auto *deleteCommand = label->add_subcommand(
        "delete", "Delete a label; its examples stay, unlabelled. Says first what will happen; changes nothing "
                  "without --yes");
    remove->addTo(*deleteCommand);
    deleteCommand->add_option("LABEL", remove->label, "Label to delete")->required();
    deleteCommand->add_flag("--yes", remove->yes, "Apply the deletion");
    deleteCommand->callback([&action, remove] {
        action = [remove] {
            Project project = Project::open(remove->project);
            const std::int64_t id = requireDataset(project, remove->name);
            sql::Transaction transaction(project.database());
            const Label label = requireLabel(project, id, remove->label);
            const LabelChangeImpact impact = previewDelete(project, id, label.id);
            if (remove->yes) {
                deleteLabel(project, id, label.id);
                transaction.commit();
            }
            reportChange(remove->name, impact, remove->yes, remove->json);
        };
    });
}

} // namespace

void addDatasetToolCommands(CLI::App &dataset, Action &action)
{
    addStatsCommand(dataset, action);
    addExportCommand(dataset, action);
    addLabelCommands(dataset, action);
}

} // namespace ft::cli
