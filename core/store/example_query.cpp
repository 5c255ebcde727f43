// example_query.cpp: filtered counts and pages of a dataset's examples for a lazy table.
#include "store/example_query.h"

#include "common/error.h"
#include "store/project.h"
#include "store/sqlite.h"

#include <algorithm>
#include <utility>
#include <variant>

namespace ft {

namespace {

using Value = std::variant<std::int64_t, std::string>;

// A WHERE clause built from fixed fragments only; every value is a bound parameter.
struct Where {
    std::string sql;
    std::vector<Value> values;
};

std::string placeholders(std::size_t n)
{
    std::string list;
    for (std::size_t i = 0; i < n; ++i)
        list += i ? ", ?" : "?";
    return list;
}

// "%text%" for LIKE with ESCAPE '\', so that % and _ in the search are literal.
std::string likePattern(const std::string &text)
{
    std::string pattern = "%";
    for (const char c : text) {
        if (c == '%' || c == '_' || c == '\\')
            pattern += '\\';
        pattern += c;
    }
    return pattern + "%";
}

// Which index a query in id order should walk. SQLite's planner otherwise
// takes examples_by_dataset for the dataset and sorts every row of it by id
// (about 0.1 s per page at a million rows). An index whose entries are in id
// order after an equality (one label, or one split) is walked with id > ?;
// otherwise the rowid itself, within the dataset's id range. A unary + on a
// column keeps SQLite from using an index for it.
enum class Walk { Planner, Label, Split, RowId };

Walk walkFor(const ExampleFilter &filter)
{
    const std::size_t labelTerms = filter.labelIds.size() + (filter.includeUnlabelled ? 1 : 0);
    if (labelTerms == 1)
        return Walk::Label;
    if (filter.splits.size() == 1)
        return Walk::Split;
    return Walk::RowId;
}

Where whereOf(const ExampleFilter &filter, Walk walk = Walk::Planner)
{
    const bool any = walk == Walk::Planner;
    const std::string dataset = any || walk == Walk::Split ? "e.dataset_id" : "+e.dataset_id";
    const std::string label = any || walk == Walk::Label ? "e.label_id" : "+e.label_id";
    const std::string split = any || walk == Walk::Split ? "e.split" : "+e.split";
    Where where{dataset + " = ?", {filter.datasetId}};
    if (!filter.labelIds.empty() || filter.includeUnlabelled) {
        std::string terms;
        if (!filter.labelIds.empty()) {
            terms = label + " IN (" + placeholders(filter.labelIds.size()) + ")";
            for (const std::int64_t id : filter.labelIds)
                where.values.emplace_back(id);
        }
        if (filter.includeUnlabelled)
            terms += (terms.empty() ? "" : " OR ") + label + " IS NULL";
        where.sql += " AND (" + terms + ")";
    }
    if (!filter.splits.empty()) {
        where.sql += " AND " + split + " IN (" + placeholders(filter.splits.size()) + ")";
        for (const Split s : filter.splits)
            where.values.emplace_back(std::string(splitName(s)));
    }
    if (!filter.text.empty()) {
        where.sql += " AND (e.text LIKE ? ESCAPE '\\' OR e.text_b LIKE ? ESCAPE '\\')";
        where.values.emplace_back(likePattern(filter.text));
        where.values.emplace_back(likePattern(filter.text));
    }
    return where;
}

// The lowest and highest example id of a dataset; nullopt when it is empty.
// A min() and a max() lookup per split in examples_by_dataset (each a single
// probe; SQLite optimises a lone min or max only) rather than reading every
// entry of the dataset.
std::optional<std::pair<std::int64_t, std::int64_t>> idRange(Project &project, std::int64_t datasetId)
{
    sql::Statement lowest(project.database(), "SELECT min(id) FROM examples WHERE dataset_id = ? AND split = ?");
    sql::Statement highest(project.database(), "SELECT max(id) FROM examples WHERE dataset_id = ? AND split = ?");
    std::optional<std::pair<std::int64_t, std::int64_t>> range;
    for (const Split split : {Split::Train, Split::Validation, Split::Test, Split::Unassigned}) {
        lowest.bind(1, datasetId).bind(2, splitName(split));
        highest.bind(1, datasetId).bind(2, splitName(split));
        if (lowest.step() && !lowest.isNull(0) && highest.step()) {
            const std::int64_t low = lowest.int64(0), high = highest.int64(0);
            range = range ? std::pair(std::min(range->first, low), std::max(range->second, high)) : std::pair(low, high);
        }
        lowest.reset();
        highest.reset();
    }
    return range;
}

// A WHERE clause for a query in id order that walks an index in that order,
// for the rows after `afterId` in that order when given. nullopt when no row
// can match (an empty dataset, or nothing after afterId).
std::optional<Where> idOrderedWhere(Project &project, const ExampleFilter &filter,
                                    std::optional<std::int64_t> afterId = std::nullopt, bool descending = false)
{
    const Walk walk = walkFor(filter);
    Where where = whereOf(filter, walk);
    if (walk != Walk::RowId) {
        if (afterId) {
            where.sql += descending ? " AND e.id < ?" : " AND e.id > ?";
            where.values.emplace_back(*afterId);
        }
        return where;
    }
    auto range = idRange(project, filter.datasetId);
    if (!range)
        return std::nullopt;
    // The cursor folds into the one rowid range: given a BETWEEN and a separate
    // id > ?, SQLite seeks with the BETWEEN and filters the rest row by row.
    if (afterId && descending)
        range->second = std::min(range->second, *afterId - 1);
    else if (afterId)
        range->first = std::max(range->first, *afterId + 1);
    if (range->first > range->second)
        return std::nullopt;
    where.sql += " AND e.id BETWEEN ? AND ?";
    where.values.emplace_back(range->first);
    where.values.emplace_back(range->second);
    return where;
}

// Binds `values` from parameter `index` on and returns the next free index.
int bindAll(sql::Statement &statement, const std::vector<Value> &values, int index = 1)
{
    for (const Value &value : values) {
        std::visit([&](const auto &v) { statement.bind(index, v); }, value);
        ++index;
    }
    return index;
}

std::string orderBy(const ExampleSort &sort)
{
    const char *direction = sort.descending ? " DESC" : " ASC";
    std::string key;
    switch (sort.key) {
    case ExampleSortKey::Id: break;
    case ExampleSortKey::Text: key = "e.text COLLATE NOCASE"; break;
    case ExampleSortKey::Label: key = "l.name"; break;
    case ExampleSortKey::Split:
        key = "CASE e.split WHEN 'train' THEN 0 WHEN 'validation' THEN 1 WHEN 'test' THEN 2 ELSE 3 END";
        break;
    case ExampleSortKey::TextLength: key = "length(e.text)"; break;
    }
    return " ORDER BY " + (key.empty() ? "" : key + direction + ", ") + "e.id" + direction;
}

// The columns of an ExampleRow; parameter 1 is the number of code points kept.
constexpr std::string_view kRowColumns =
    "SELECT e.id, substr(coalesce(e.text, ''), 1, ?1), length(e.text) > ?1, e.text_b IS NOT NULL, e.label_id, "
    "l.name, e.split, e.image_path FROM examples e LEFT JOIN labels l ON l.id = e.label_id";

ExampleRow readRow(const sql::Statement &query)
{
    ExampleRow row;
    row.id = query.int64(0);
    row.text = query.text(1);
    row.textTruncated = query.int64(2) != 0;
    row.hasTextPair = query.int64(3) != 0;
    if (!query.isNull(4))
        row.labelId = query.int64(4);
    row.label = query.optionalText(5);
    row.split = parseSplit(query.text(6)).value_or(Split::Unassigned);
    row.imagePath = query.optionalText(7);
    return row;
}

void checkPaging(std::int64_t offset, std::int64_t limit, std::int64_t textChars)
{
    if (offset < 0 || limit < 0 || textChars < 0)
        throw Error(ErrorKind::InvalidInput, "a page needs a non-negative offset, limit and text length, not "
                                                 + std::to_string(offset) + ", " + std::to_string(limit) + ", "
                                                 + std::to_string(textChars));
}

// Runs a row query whose first parameter is textChars, then `values`, then `tail` (LIMIT, OFFSET, ...).
std::vector<ExampleRow> runRows(Project &project, const std::string &sql, std::int64_t textChars,
                                const std::vector<Value> &values, const std::vector<std::int64_t> &tail)
{
    sql::Statement query(project.database(), sql);
    query.bind(1, textChars);
    // ?1 is textChars; the plain ? that follow number on from 2.
    int index = bindAll(query, values, 2);
    for (const std::int64_t value : tail)
        query.bind(index++, value);
    std::vector<ExampleRow> rows;
    while (query.step())
        rows.push_back(readRow(query));
    return rows;
}

} // namespace

std::int64_t countExamples(Project &project, const ExampleFilter &filter)
{
    const Where where = whereOf(filter);
    sql::Statement query(project.database(), "SELECT count(*) FROM examples e WHERE " + where.sql);
    bindAll(query, where.values);
    query.step();
    return query.int64(0);
}

std::vector<ExampleRow> fetchPage(Project &project, const ExampleFilter &filter, const ExampleSort &sort,
                                  std::int64_t offset, std::int64_t limit, std::int64_t textChars)
{
    checkPaging(offset, limit, textChars);
    const auto where = sort.key == ExampleSortKey::Id ? idOrderedWhere(project, filter) : whereOf(filter);
    if (!where)
        return {};
    return runRows(project, std::string(kRowColumns) + " WHERE " + where->sql + orderBy(sort) + " LIMIT ? OFFSET ?",
                   textChars, where->values, {limit, offset});
}

std::vector<ExampleRow> fetchAfter(Project &project, const ExampleFilter &filter, std::optional<std::int64_t> afterId,
                                   bool descending, std::int64_t limit, std::int64_t textChars)
{
    checkPaging(0, limit, textChars);
    const auto where = idOrderedWhere(project, filter, afterId, descending);
    if (!where)
        return {};
    const ExampleSort sort{ExampleSortKey::Id, descending};
    return runRows(project, std::string(kRowColumns) + " WHERE " + where->sql + orderBy(sort) + " LIMIT ?",
                   textChars, where->values, {limit});
}

std::vector<std::int64_t> matchingIds(Project &project, const ExampleFilter &filter, const ExampleSort &sort)
{
    // Every id of a dataset (or of some splits), in id order: read from the
    // examples_by_dataset index alone (ids are in its entries) and sorted
    // here, instead of walking the table's pages, texts and all: about 8x
    // faster at a million rows, which is what opening a dataset costs.
    if (sort.key == ExampleSortKey::Id && filter.labelIds.empty() && !filter.includeUnlabelled && filter.text.empty()) {
        const Where where = whereOf(filter);
        sql::Statement query(project.database(),
                             "SELECT e.id FROM examples e INDEXED BY examples_by_dataset WHERE " + where.sql);
        bindAll(query, where.values);
        std::vector<std::int64_t> ids;
        while (query.step())
            ids.push_back(query.int64(0));
        if (sort.descending)
            std::sort(ids.rbegin(), ids.rend());
        else
            std::sort(ids.begin(), ids.end());
        return ids;
    }
    const auto where = sort.key == ExampleSortKey::Id ? idOrderedWhere(project, filter) : whereOf(filter);
    if (!where)
        return {};
    // The label join only when sorting by label name.
    const std::string join = sort.key == ExampleSortKey::Label ? " LEFT JOIN labels l ON l.id = e.label_id" : "";
    sql::Statement query(project.database(), "SELECT e.id FROM examples e" + join + " WHERE " + where->sql
                                                 + orderBy(sort));
    bindAll(query, where->values);
    std::vector<std::int64_t> ids;
    while (query.step())
        ids.push_back(query.int64(0));
    return ids;
}

std::vector<ExampleRow> fetchRows(Project &project, std::span<const std::int64_t> ids, std::int64_t textChars)
{
    checkPaging(0, 0, textChars);
    sql::Statement query(project.database(), std::string(kRowColumns) + " WHERE e.id = ?2");
    std::vector<ExampleRow> rows;
    rows.reserve(ids.size());
    for (const std::int64_t id : ids) {
        query.bind(1, textChars).bind(2, id);
        if (query.step())
            rows.push_back(readRow(query));
        query.reset();
    }
    return rows;
}

} // namespace ft
