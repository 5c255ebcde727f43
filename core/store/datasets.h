// datasets.h: datasets, their labels and examples in a project.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ft {

class Project;

struct DatasetSummary {
    std::int64_t id = 0;
    std::string name;
    std::string source;
    std::string createdAt;
    std::int64_t examples = 0;
    std::int64_t train = 0;
    std::int64_t validation = 0;
    std::int64_t test = 0;
    std::int64_t labels = 0;
    std::int64_t withTextPair = 0; // examples that have a second text
};

struct Example {
    std::int64_t id = 0; // 0 until stored
    std::string text;
    std::optional<std::string> textB;
    std::optional<std::string> label;
    std::string split = "train"; // train | validation | test | unassigned
    std::optional<std::string> sourceFile;
    std::optional<std::int64_t> sourceLine;
    std::optional<std::string> imagePath; // relative to the dataset's source folder; text is then "" (stored as NULL)
};

struct LabelCount {
    std::string name;
    std::int64_t train = 0;
    std::int64_t validation = 0;
    std::int64_t test = 0;
};

std::int64_t createDataset(Project &project, const std::string &name, const std::string &source);
std::optional<std::int64_t> findDataset(Project &project, const std::string &name);
// The dataset's name; ft::Error (NotFound) naming the id and the project when there is none.
std::string datasetName(Project &project, std::int64_t datasetId);
// The folder its examples' image paths are relative to: the folder imported,
// or the folder of the data file imported (the source names the file then);
// a source inside the project is stored relative to the project's folder.
std::filesystem::path datasetImageFolder(Project &project, std::int64_t datasetId);
// Adds examples in one transaction; labels are created in order of first use.
void addExamples(Project &project, std::int64_t datasetId, std::span<const Example> examples);

std::vector<DatasetSummary> listDatasets(Project &project);
std::vector<Example> examples(Project &project, std::int64_t datasetId, std::int64_t offset, std::int64_t limit);
// The examples with these ids, in the order given; ids that do not exist are skipped.
std::vector<Example> examplesById(Project &project, std::span<const std::int64_t> ids);
std::vector<LabelCount> labelCounts(Project &project, std::int64_t datasetId);

// Visits the examples of a dataset in id order with their label id (if any)
// and split: what re-splitting needs, without loading the texts.
using ExampleSplitVisitor = std::function<void(std::int64_t id, std::optional<std::int64_t> labelId,
                                               std::string_view split)>;
void forEachExampleSplit(Project &project, std::int64_t datasetId, const ExampleSplitVisitor &visit);
// Moves the given examples to `split` (train, validation, test or unassigned), in one transaction.
void setSplit(Project &project, std::span<const std::int64_t> exampleIds, const std::string &split);

} // namespace ft
