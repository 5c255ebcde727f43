// dataset_stats.h: what a dataset holds at a glance: rows, splits, labels
// per split, unlabelled examples and text lengths, read in two passes over
// the dataset without loading its texts into memory.
#pragma once

#include "data/splits.h"
#include "store/labels.h"

#include <cstdint>
#include <string>

namespace ft {

class Project;

// Lengths of the texts (not the pairs) in Unicode code points, as SQLite's
// length() counts them; all zero for an empty dataset.
struct TextLengthStats {
    std::int64_t min = 0;
    double mean = 0;
    std::int64_t max = 0;
};

struct DatasetStats {
    std::int64_t datasetId = 0;
    std::string name;
    std::int64_t rows = 0;
    SplitCounts splits;       // every example, labelled or not
    LabelBreakdown labels;    // per label and split, and the unlabelled per split
    std::int64_t withTextPair = 0;
    TextLengthStats textLength;
};

// NotFound for a dataset id the project does not have.
DatasetStats datasetStats(Project &project, std::int64_t datasetId);

} // namespace ft
