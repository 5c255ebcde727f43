// example_query.h: what a lazy table over a dataset needs: filtered counts
// and pages of lightweight rows, never the whole dataset in memory.
//
// What is fast on a 1,000,000-row dataset, and what is not (measured on the
// 2-core dev machine with SQLite 3.40):
// - fetchAfter (keyset pagination, id order): O(log n + limit) at any depth,
//   under a millisecond: it walks the examples_by_label index for one label
//   (or unlabelled only), examples_by_dataset for one split, and otherwise the
//   table itself between the dataset's lowest and highest id. The last is
//   fast when the dataset's rows lie together (an import writes them so);
//   rows of other datasets in between are stepped over, as are rows that
//   fail the other filters (a page of a filter matching 1 row in k reads about
//   k x limit rows). Scrolling should ask
//   for the page after the last id it holds.
// - fetchPage (offset) in id order: O(offset + limit), about 0.1 s at a depth
//   of a million. Fine for a jump of the scroll bar; then go on with fetchAfter.
// - fetchPage in any other sort (text, label, split, text length): each call
//   reads and sorts every matching row, O(n log(offset + limit)), 1.5 s at a
//   million. For a sorted view, call matchingIds once (about 1 s, 8 bytes per
//   row) and fetch the visible rows with fetchRows.
// - count: reads an index, O(matching rows), 35-250 ms at a million.
// - A text search reads every text of the dataset (O(total text size)), in
//   count, fetch and matchingIds alike, and a keyset page of a rare match
//   reads on until it has `limit` rows.
// A schema index on examples (dataset_id) would make id-order pages fast
// whatever the row layout; the ones in schema v1 serve everything else.
#pragma once

#include "data/splits.h"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace ft {

class Project;

struct ExampleFilter {
    std::int64_t datasetId = 0;
    // Label filter: an example passes when its label is one of labelIds, or
    // when it is unlabelled and includeUnlabelled is set. Both empty/false:
    // no label filter. "Unlabelled only" is no ids with includeUnlabelled.
    std::vector<std::int64_t> labelIds;
    bool includeUnlabelled = false;
    std::vector<Split> splits; // any of these; empty: every split
    // A substring of the text or the text pair; case-insensitive for ASCII
    // letters only (SQLite's LIKE), other characters match exactly. Empty: no filter.
    std::string text;
};

enum class ExampleSortKey {
    Id,         // import order
    Text,       // ASCII case-insensitive, then id
    Label,      // by label name (unlabelled before every label), then id
    Split,      // train, validation, test, unassigned, then id
    TextLength, // in code points, then id
};

struct ExampleSort {
    ExampleSortKey key = ExampleSortKey::Id;
    bool descending = false; // applies to the key and to the id that breaks ties
};

// One row of the table: the text cut for display, no source columns.
struct ExampleRow {
    std::int64_t id = 0;
    std::string text;               // at most textChars code points
    bool textTruncated = false;     // the stored text is longer than `text`
    bool hasTextPair = false;
    std::optional<std::int64_t> labelId;
    std::optional<std::string> label;
    Split split = Split::Train;
    std::optional<std::string> imagePath;
};

inline constexpr std::int64_t kDefaultTextChars = 200;

// The number of examples that pass `filter`. A missing dataset counts 0.
std::int64_t countExamples(Project &project, const ExampleFilter &filter);

// Rows [offset, offset + limit) of the filtered, sorted view.
std::vector<ExampleRow> fetchPage(Project &project, const ExampleFilter &filter, const ExampleSort &sort,
                                  std::int64_t offset, std::int64_t limit,
                                  std::int64_t textChars = kDefaultTextChars);

// Up to `limit` rows in id order (descending: from the highest id) that come
// after `afterId` (nullopt: from the start) in that order.
std::vector<ExampleRow> fetchAfter(Project &project, const ExampleFilter &filter, std::optional<std::int64_t> afterId,
                                   bool descending, std::int64_t limit, std::int64_t textChars = kDefaultTextChars);

// The ids of the filtered view in sort order.
std::vector<std::int64_t> matchingIds(Project &project, const ExampleFilter &filter, const ExampleSort &sort);

// The rows of the given ids, in the order given; ids that no longer exist are skipped.
std::vector<ExampleRow> fetchRows(Project &project, std::span<const std::int64_t> ids,
                                  std::int64_t textChars = kDefaultTextChars);

} // namespace ft
