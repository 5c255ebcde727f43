// labels.h: a dataset's labels: add, rename, merge, delete, bulk relabel,
// and counts per split. Every change runs in one transaction, and the changes
// that alter examples (merge, delete) have a preview that says beforehand how
// many examples, per split, they touch, so a caller can ask before acting.
#pragma once

#include "data/splits.h"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace ft {

class Project;

struct Label {
    std::int64_t id = 0;
    std::string name;
    std::int64_t position = 0; // display and class order; gaps are allowed
};

// The labels of a dataset in position order.
std::vector<Label> listLabels(Project &project, std::int64_t datasetId);
std::optional<Label> findLabel(Project &project, std::int64_t datasetId, const std::string &name);
// As findLabel, but a missing label is ErrorKind::NotFound, naming the dataset's labels.
Label requireLabel(Project &project, std::int64_t datasetId, const std::string &name);

// Adds a label with no examples after the last one and returns it. A name
// that is empty, has surrounding whitespace (an import would trim it) or is
// taken is InvalidInput; a missing dataset is NotFound.
Label addLabel(Project &project, std::int64_t datasetId, const std::string &name);

// Renames a label; its examples keep it. Renaming onto another label's name
// is refused (InvalidInput) with a pointer to mergeLabels.
void renameLabel(Project &project, std::int64_t datasetId, std::int64_t labelId, const std::string &newName);

// Moves the examples of every source label to `targetId` and removes the
// sources. Sources must be labels of the dataset other than the target.
void mergeLabels(Project &project, std::int64_t datasetId, std::span<const std::int64_t> sourceIds,
                 std::int64_t targetId);

// Removes a label; its examples become unlabelled (they are kept).
void deleteLabel(Project &project, std::int64_t datasetId, std::int64_t labelId);

enum class LabelChange { Rename, Merge, Delete };

// What a rename, merge or delete will do, computed without changing anything.
struct LabelChangeImpact {
    LabelChange change = LabelChange::Delete;
    std::vector<std::string> labels; // the label renamed, the merge sources, or the label deleted
    std::string target;              // the new name, or the merge target; empty for delete
    SplitCounts examples;            // the examples whose label changes or (rename) is renamed

    // One sentence in the future tense, e.g. "12 examples (train 10,
    // validation 1, test 1, unassigned 0) will become unlabelled; label 'spam'
    // will be removed."
    std::string describe() const;
};

// Each preview checks exactly what the change itself checks, and throws the
// same errors, so a preview that succeeds means the change would too.
LabelChangeImpact previewRename(Project &project, std::int64_t datasetId, std::int64_t labelId,
                                const std::string &newName);
LabelChangeImpact previewMerge(Project &project, std::int64_t datasetId, std::span<const std::int64_t> sourceIds,
                               std::int64_t targetId);
LabelChangeImpact previewDelete(Project &project, std::int64_t datasetId, std::int64_t labelId);

// Gives the examples `labelId`, or no label with nullopt, in one transaction.
// An example id that does not exist, or a label of another dataset than the
// example's, is NotFound and nothing changes.
void setLabel(Project &project, std::span<const std::int64_t> exampleIds, std::optional<std::int64_t> labelId);
// The current label of each example, in the order given (for undo); an
// unknown id is NotFound.
std::vector<std::optional<std::int64_t>> labelIdsOf(Project &project, std::span<const std::int64_t> exampleIds);

struct LabelSplitCounts {
    Label label;
    SplitCounts counts;
};

struct LabelBreakdown {
    std::vector<LabelSplitCounts> labels; // every label, in position order, also those with no examples
    SplitCounts unlabelled;
};

// Examples per label and split in one pass over the dataset.
LabelBreakdown labelBreakdown(Project &project, std::int64_t datasetId);

} // namespace ft
