// datasets.cpp: reading and writing datasets, labels and examples.
#include "store/datasets.h"

#include "common/error.h"
#include "store/project.h"
#include "store/sqlite.h"

#include <string>
#include <string_view>
#include <unordered_map>

namespace ft {

std::int64_t createDataset(Project &project, const std::string &name, const std::string &source)
{
    auto &db = project.database();
    if (findDataset(project, name))
        throw Error(ErrorKind::InvalidInput, "a dataset named '" + name + "' already exists in " + project.folder().string());
    sql::Statement(db, "INSERT INTO datasets (name, source) VALUES (?, ?)").bind(1, name).bind(2, source).run();
    return db.lastInsertRowId();
}

std::optional<std::int64_t> findDataset(Project &project, const std::string &name)
{
    sql::Statement query(project.database(), "SELECT id FROM datasets WHERE name = ?");
    query.bind(1, name);
    if (!query.step())
        return std::nullopt;
    return query.int64(0);
}

std::string datasetName(Project &project, std::int64_t datasetId)
{
    sql::Statement query(project.database(), "SELECT name FROM datasets WHERE id = ?");
    query.bind(1, datasetId);
    if (!query.step())
        throw Error(ErrorKind::NotFound, "no dataset with id " + std::to_string(datasetId) + " in "
                                             + project.folder().string());
    return query.text(0);
}

std::filesystem::path datasetImageFolder(Project &project, std::int64_t datasetId)
{
    sql::Statement query(project.database(), "SELECT coalesce(source, '') FROM datasets WHERE id = ?");
    query.bind(1, datasetId);
    if (!query.step())
        throw Error(ErrorKind::NotFound, "no dataset with id " + std::to_string(datasetId) + " in "
                                             + project.folder().string());
    std::filesystem::path source = query.text(0);
    if (source.is_relative()) // imported from inside the project
        source = project.folder() / source;
    std::error_code error;
    return std::filesystem::is_regular_file(source, error) ? source.parent_path() : source;
}

void addExamples(Project &project, std::int64_t datasetId, std::span<const Example> rows)
{
    auto &db = project.database();
    sql::Transaction transaction(db);

    std::unordered_map<std::string, std::int64_t> labelIds;
    std::int64_t nextPosition = 0;
    {
        sql::Statement existing(db, "SELECT id, name, position FROM labels WHERE dataset_id = ?");
        existing.bind(1, datasetId);
        while (existing.step()) {
            labelIds.emplace(existing.text(1), existing.int64(0));
            nextPosition = std::max(nextPosition, existing.int64(2) + 1);
        }
    }
    sql::Statement insertLabel(db, "INSERT INTO labels (dataset_id, name, position) VALUES (?, ?, ?)");
    sql::Statement insertExample(db, "INSERT INTO examples (dataset_id, text, text_b, label_id, split, source_file, "
                                     "source_line, image_path) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    for (const Example &row : rows) {
        std::optional<std::int64_t> labelId;
        if (row.label) {
            auto found = labelIds.find(*row.label);
            if (found == labelIds.end()) {
                insertLabel.bind(1, datasetId).bind(2, *row.label).bind(3, nextPosition++).run();
                insertLabel.reset();
                found = labelIds.emplace(*row.label, db.lastInsertRowId()).first;
            }
            labelId = found->second;
        }
        // An image without a caption has no text, rather than an empty one.
        const std::optional<std::string> text =
            row.imagePath && row.text.empty() ? std::nullopt : std::optional<std::string>(row.text);
        insertExample.bind(1, datasetId)
            .bind(2, text)
            .bind(3, row.textB)
            .bind(4, labelId)
            .bind(5, row.split)
            .bind(6, row.sourceFile)
            .bind(7, row.sourceLine)
            .bind(8, row.imagePath)
            .run();
        insertExample.reset();
    }
    transaction.commit();
}

std::vector<DatasetSummary> listDatasets(Project &project)
{
    sql::Statement query(project.database(), R"sql(
        SELECT d.id, d.name, coalesce(d.source, ''), d.created_at,
               count(e.id),
               coalesce(sum(e.split = 'train'), 0),
               coalesce(sum(e.split = 'validation'), 0),
               coalesce(sum(e.split = 'test'), 0),
               (SELECT count(*) FROM labels l WHERE l.dataset_id = d.id),
               (SELECT count(*) FROM examples p WHERE p.dataset_id = d.id AND p.text_b IS NOT NULL)
        FROM datasets d LEFT JOIN examples e INDEXED BY examples_by_dataset ON e.dataset_id = d.id
        GROUP BY d.id ORDER BY d.name)sql");
    std::vector<DatasetSummary> result;
    while (query.step()) {
        result.push_back({query.int64(0), query.text(1), query.text(2), query.text(3), query.int64(4), query.int64(5),
                          query.int64(6), query.int64(7), query.int64(8), query.int64(9)});
    }
    return result;
}

namespace {

// The columns every example query selects, and reading them back.
constexpr std::string_view kExampleColumns =
    "SELECT e.id, coalesce(e.text, ''), e.text_b, l.name, e.split, e.source_file, e.source_line, e.image_path "
    "FROM examples e LEFT JOIN labels l ON l.id = e.label_id ";

Example readExample(const sql::Statement &query)
{
    Example row;
    row.id = query.int64(0);
    row.text = query.text(1);
    row.textB = query.optionalText(2);
    row.label = query.optionalText(3);
    row.split = query.text(4);
    row.sourceFile = query.optionalText(5);
    if (!query.isNull(6))
        row.sourceLine = query.int64(6);
    row.imagePath = query.optionalText(7);
    return row;
}

} // namespace

std::vector<Example> examples(Project &project, std::int64_t datasetId, std::int64_t offset, std::int64_t limit)
{
    sql::Statement query(project.database(),
                         std::string(kExampleColumns) + "WHERE e.dataset_id = ? ORDER BY e.id LIMIT ? OFFSET ?");
    query.bind(1, datasetId).bind(2, limit).bind(3, offset);
    std::vector<Example> result;
    while (query.step())
        result.push_back(readExample(query));
    return result;
}

std::vector<Example> examplesById(Project &project, std::span<const std::int64_t> ids)
{
    sql::Statement query(project.database(), std::string(kExampleColumns) + "WHERE e.id = ?");
    std::vector<Example> result;
    result.reserve(ids.size());
    for (const std::int64_t id : ids) {
        query.reset();
        query.bind(1, id);
        if (query.step())
            result.push_back(readExample(query));
    }
    return result;
}

std::vector<LabelCount> labelCounts(Project &project, std::int64_t datasetId)
{
    sql::Statement query(project.database(), R"sql(
        SELECT l.name,
               coalesce(sum(e.split = 'train'), 0),
               coalesce(sum(e.split = 'validation'), 0),
               coalesce(sum(e.split = 'test'), 0)
        FROM labels l LEFT JOIN examples e ON e.label_id = l.id
        WHERE l.dataset_id = ? GROUP BY l.id ORDER BY l.position)sql");
    query.bind(1, datasetId);
    std::vector<LabelCount> result;
    while (query.step())
        result.push_back({query.text(0), query.int64(1), query.int64(2), query.int64(3)});
    return result;
}

void forEachExampleSplit(Project &project, std::int64_t datasetId, const ExampleSplitVisitor &visit)
{
    sql::Statement query(project.database(), "SELECT id, label_id, split FROM examples WHERE dataset_id = ? ORDER BY id");
    query.bind(1, datasetId);
    while (query.step()) {
        std::optional<std::int64_t> labelId;
        if (!query.isNull(1))
            labelId = query.int64(1);
        visit(query.int64(0), labelId, query.text(2));
    }
}

void setSplit(Project &project, std::span<const std::int64_t> exampleIds, const std::string &split)
{
    auto &db = project.database();
    sql::Transaction transaction(db);
    sql::Statement update(db, "UPDATE examples SET split = ? WHERE id = ?");
    for (const std::int64_t id : exampleIds) {
        update.bind(1, split).bind(2, id).run();
        update.reset();
    }
    transaction.commit();
}

} // namespace ft
