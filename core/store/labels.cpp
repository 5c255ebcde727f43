// labels.cpp: adding, renaming, merging and deleting labels, bulk relabelling and per-split label counts.
#include "store/labels.h"

#include "common/error.h"
#include "store/datasets.h"
#include "store/project.h"
#include "store/sqlite.h"

#include <algorithm>
#include <map>

namespace ft {

namespace {

std::string quoted(const std::string &name)
{
    return "'" + name + "'";
}

std::string joinQuoted(const std::vector<std::string> &names)
{
    std::string joined;
    for (const std::string &name : names)
        joined += (joined.empty() ? "" : ", ") + quoted(name);
    return joined;
}

Label labelById(Project &project, std::int64_t datasetId, std::int64_t labelId)
{
    sql::Statement query(project.database(), "SELECT id, name, position FROM labels WHERE id = ? AND dataset_id = ?");
    query.bind(1, labelId).bind(2, datasetId);
    if (!query.step())
        throw Error(ErrorKind::NotFound, "dataset '" + datasetName(project, datasetId) + "' has no label with id "
                                             + std::to_string(labelId));
    return {query.int64(0), query.text(1), query.int64(2)};
}

// An import trims labels, so a name with surrounding whitespace would not
// survive an export and re-import; an empty one reads as unlabelled.
void checkName(const std::string &name)
{
    if (name.empty())
        throw Error(ErrorKind::InvalidInput, "a label name cannot be empty");
    constexpr std::string_view kSpace = " \t\r\n\v\f";
    if (kSpace.find(name.front()) != std::string_view::npos || kSpace.find(name.back()) != std::string_view::npos)
        throw Error(ErrorKind::InvalidInput, "the label name " + quoted(name) + " begins or ends with whitespace");
}

void addToSplit(SplitCounts &counts, std::string_view split, std::int64_t n)
{
    switch (parseSplit(split).value_or(Split::Unassigned)) {
    case Split::Train: counts.train += n; break;
    case Split::Validation: counts.validation += n; break;
    case Split::Test: counts.test += n; break;
    case Split::Unassigned: counts.unassigned += n; break;
    }
}

// The examples of one label per split; uses the examples_by_label index.
SplitCounts countsOfLabel(Project &project, std::int64_t labelId)
{
    sql::Statement query(project.database(), "SELECT split, count(*) FROM examples WHERE label_id = ? GROUP BY split");
    query.bind(1, labelId);
    SplitCounts counts;
    while (query.step())
        addToSplit(counts, query.text(0), query.int64(1));
    return counts;
}

void addCounts(SplitCounts &to, const SplitCounts &from)
{
    to.train += from.train;
    to.validation += from.validation;
    to.test += from.test;
    to.unassigned += from.unassigned;
}

std::string describeCounts(const SplitCounts &counts)
{
    const std::int64_t n = counts.total();
    return std::to_string(n) + (n == 1 ? " example" : " examples") + " (train " + std::to_string(counts.train)
           + ", validation " + std::to_string(counts.validation) + ", test " + std::to_string(counts.test)
           + ", unassigned " + std::to_string(counts.unassigned) + ")";
}

// The sources as labels, in the order given with repeats dropped; refuses the target among them.
std::vector<Label> mergeSources(Project &project, std::int64_t datasetId, std::span<const std::int64_t> sourceIds,
                                const Label &target)
{
    if (sourceIds.empty())
        throw Error(ErrorKind::InvalidInput, "a merge needs at least one label to merge into " + quoted(target.name));
    std::vector<Label> sources;
    for (const std::int64_t id : sourceIds) {
        if (id == target.id)
            throw Error(ErrorKind::InvalidInput, "cannot merge label " + quoted(target.name) + " into itself");
        if (std::none_of(sources.begin(), sources.end(), [id](const Label &l) { return l.id == id; }))
            sources.push_back(labelById(project, datasetId, id));
    }
    return sources;
}

} // namespace

std::vector<Label> listLabels(Project &project, std::int64_t datasetId)
{
    sql::Statement query(project.database(),
                         "SELECT id, name, position FROM labels WHERE dataset_id = ? ORDER BY position, id");
    query.bind(1, datasetId);
    std::vector<Label> labels;
    while (query.step())
        labels.push_back({query.int64(0), query.text(1), query.int64(2)});
    return labels;
}

std::optional<Label> findLabel(Project &project, std::int64_t datasetId, const std::string &name)
{
    sql::Statement query(project.database(), "SELECT id, name, position FROM labels WHERE dataset_id = ? AND name = ?");
    query.bind(1, datasetId).bind(2, name);
    if (!query.step())
        return std::nullopt;
    return Label{query.int64(0), query.text(1), query.int64(2)};
}

Label requireLabel(Project &project, std::int64_t datasetId, const std::string &name)
{
    if (auto label = findLabel(project, datasetId, name))
        return *label;
    std::vector<std::string> names;
    for (const Label &label : listLabels(project, datasetId))
        names.push_back(label.name);
    throw Error(ErrorKind::NotFound, "dataset '" + datasetName(project, datasetId) + "' has no label " + quoted(name)
                                         + (names.empty() ? "; it has no labels" : "; its labels: " + joinQuoted(names)));
}

Label addLabel(Project &project, std::int64_t datasetId, const std::string &name)
{
    checkName(name);
    auto &db = project.database();
    sql::Transaction transaction(db);
    const std::string dataset = datasetName(project, datasetId);
    if (findLabel(project, datasetId, name))
        throw Error(ErrorKind::InvalidInput, "dataset '" + dataset + "' already has a label " + quoted(name));
    sql::Statement next(db, "SELECT coalesce(max(position) + 1, 0) FROM labels WHERE dataset_id = ?");
    next.bind(1, datasetId);
    next.step();
    const std::int64_t position = next.int64(0);
    sql::Statement(db, "INSERT INTO labels (dataset_id, name, position) VALUES (?, ?, ?)")
        .bind(1, datasetId)
        .bind(2, name)
        .bind(3, position)
        .run();
    const Label label{db.lastInsertRowId(), name, position};
    transaction.commit();
    return label;
}

LabelChangeImpact previewRename(Project &project, std::int64_t datasetId, std::int64_t labelId,
                                const std::string &newName)
{
    checkName(newName);
    const Label label = labelById(project, datasetId, labelId);
    if (const auto existing = findLabel(project, datasetId, newName); existing && existing->id != labelId)
        throw Error(ErrorKind::InvalidInput,
                    "dataset '" + datasetName(project, datasetId) + "' already has a label " + quoted(newName)
                        + "; to move the examples of " + quoted(label.name) + " into it, merge the labels instead");
    return {LabelChange::Rename, {label.name}, newName, countsOfLabel(project, labelId)};
}

void renameLabel(Project &project, std::int64_t datasetId, std::int64_t labelId, const std::string &newName)
{
    auto &db = project.database();
    sql::Transaction transaction(db);
    previewRename(project, datasetId, labelId, newName);
    sql::Statement(db, "UPDATE labels SET name = ? WHERE id = ?").bind(1, newName).bind(2, labelId).run();
    transaction.commit();
}

LabelChangeImpact previewMerge(Project &project, std::int64_t datasetId, std::span<const std::int64_t> sourceIds,
                               std::int64_t targetId)
{
    const Label target = labelById(project, datasetId, targetId);
    LabelChangeImpact impact{LabelChange::Merge, {}, target.name, {}};
    for (const Label &source : mergeSources(project, datasetId, sourceIds, target)) {
        impact.labels.push_back(source.name);
        addCounts(impact.examples, countsOfLabel(project, source.id));
    }
    return impact;
}

void mergeLabels(Project &project, std::int64_t datasetId, std::span<const std::int64_t> sourceIds,
                 std::int64_t targetId)
{
    auto &db = project.database();
    sql::Transaction transaction(db);
    const Label target = labelById(project, datasetId, targetId);
    sql::Statement move(db, "UPDATE examples SET label_id = ? WHERE label_id = ?");
    sql::Statement remove(db, "DELETE FROM labels WHERE id = ?");
    for (const Label &source : mergeSources(project, datasetId, sourceIds, target)) {
        move.bind(1, targetId).bind(2, source.id).run();
        move.reset();
        remove.bind(1, source.id).run();
        remove.reset();
    }
    transaction.commit();
}

LabelChangeImpact previewDelete(Project &project, std::int64_t datasetId, std::int64_t labelId)
{
    const Label label = labelById(project, datasetId, labelId);
    return {LabelChange::Delete, {label.name}, {}, countsOfLabel(project, labelId)};
}

void deleteLabel(Project &project, std::int64_t datasetId, std::int64_t labelId)
{
    auto &db = project.database();
    sql::Transaction transaction(db);
    labelById(project, datasetId, labelId);
    // Explicit rather than relying on ON DELETE SET NULL, which needs foreign_keys on.
    sql::Statement(db, "UPDATE examples SET label_id = NULL WHERE label_id = ?").bind(1, labelId).run();
    sql::Statement(db, "DELETE FROM labels WHERE id = ?").bind(1, labelId).run();
    transaction.commit();
}

std::string LabelChangeImpact::describe() const
{
    const std::string what = describeCounts(examples);
    switch (change) {
    case LabelChange::Rename:
        return "label " + joinQuoted(labels) + " will be renamed to " + quoted(target) + "; its " + what
               + " keep it.";
    case LabelChange::Merge:
        return what + " will move from " + joinQuoted(labels) + " to " + quoted(target) + "; "
               + (labels.size() == 1 ? "label " : "labels ") + joinQuoted(labels) + " will be removed.";
    case LabelChange::Delete:
        return what + " will become unlabelled; label " + joinQuoted(labels) + " will be removed.";
    }
    return what;
}

void setLabel(Project &project, std::span<const std::int64_t> exampleIds, std::optional<std::int64_t> labelId)
{
    auto &db = project.database();
    sql::Transaction transaction(db);
    if (labelId) {
        // The label's dataset must be the example's: a row of another dataset matches nothing.
        sql::Statement update(db, "UPDATE examples SET label_id = ?1 WHERE id = ?2 "
                                  "AND dataset_id = (SELECT dataset_id FROM labels WHERE id = ?1)");
        for (const std::int64_t id : exampleIds) {
            update.bind(1, *labelId).bind(2, id).run();
            if (db.changes() == 0)
                throw Error(ErrorKind::NotFound, "example " + std::to_string(id) + " does not exist or label id "
                                                     + std::to_string(*labelId) + " is not of its dataset");
            update.reset();
        }
    } else {
        sql::Statement update(db, "UPDATE examples SET label_id = NULL WHERE id = ?");
        for (const std::int64_t id : exampleIds) {
            update.bind(1, id).run();
            if (db.changes() == 0)
                throw Error(ErrorKind::NotFound, "example " + std::to_string(id) + " does not exist");
            update.reset();
        }
    }
    transaction.commit();
}

std::vector<std::optional<std::int64_t>> labelIdsOf(Project &project, std::span<const std::int64_t> exampleIds)
{
    sql::Statement query(project.database(), "SELECT label_id FROM examples WHERE id = ?");
    std::vector<std::optional<std::int64_t>> labels;
    labels.reserve(exampleIds.size());
    for (const std::int64_t id : exampleIds) {
        query.bind(1, id);
        if (!query.step())
            throw Error(ErrorKind::NotFound, "example " + std::to_string(id) + " does not exist");
        labels.push_back(query.isNull(0) ? std::nullopt : std::optional(query.int64(0)));
        query.reset();
    }
    return labels;
}

LabelBreakdown labelBreakdown(Project &project, std::int64_t datasetId)
{
    LabelBreakdown breakdown;
    std::map<std::int64_t, std::size_t> index;
    for (const Label &label : listLabels(project, datasetId)) {
        index.emplace(label.id, breakdown.labels.size());
        breakdown.labels.push_back({label, {}});
    }
    sql::Statement query(project.database(), "SELECT label_id, split, count(*) FROM examples WHERE dataset_id = ? "
                                             "GROUP BY label_id, split");
    query.bind(1, datasetId);
    while (query.step()) {
        if (query.isNull(0)) {
            addToSplit(breakdown.unlabelled, query.text(1), query.int64(2));
            continue;
        }
        const auto found = index.find(query.int64(0));
        if (found == index.end())
            throw Error(ErrorKind::Internal, "examples of dataset " + std::to_string(datasetId)
                                                 + " refer to label id " + std::to_string(query.int64(0))
                                                 + ", which is not one of its labels");
        addToSplit(breakdown.labels[found->second].counts, query.text(1), query.int64(2));
    }
    return breakdown;
}

} // namespace ft
