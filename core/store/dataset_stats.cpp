// dataset_stats.cpp: counts and text lengths of a stored dataset.
#include "store/dataset_stats.h"

#include "common/error.h"
#include "store/datasets.h"
#include "store/project.h"
#include "store/sqlite.h"

namespace ft {

DatasetStats datasetStats(Project &project, std::int64_t datasetId)
{
    auto &db = project.database();
    // One read transaction, so the counts and lengths describe the same rows.
    db.exec("SAVEPOINT ft_stats");
    struct Release {
        sql::Database &db;
        ~Release()
        {
            try {
                db.exec("RELEASE ft_stats");
            } catch (const Error &) {
                // A read-only savepoint: nothing to lose.
            }
        }
    } release{db};

    DatasetStats stats;
    stats.datasetId = datasetId;
    stats.name = datasetName(project, datasetId);
    stats.labels = labelBreakdown(project, datasetId);
    const auto add = [&](const SplitCounts &counts) {
        stats.splits.train += counts.train;
        stats.splits.validation += counts.validation;
        stats.splits.test += counts.test;
        stats.splits.unassigned += counts.unassigned;
    };
    for (const LabelSplitCounts &label : stats.labels.labels)
        add(label.counts);
    add(stats.labels.unlabelled);
    stats.rows = stats.splits.total();

    sql::Statement lengths(db, "SELECT count(text_b), coalesce(min(length(text)), 0), coalesce(avg(length(text)), 0), "
                               "coalesce(max(length(text)), 0) FROM examples WHERE dataset_id = ?");
    lengths.bind(1, datasetId);
    lengths.step();
    stats.withTextPair = lengths.int64(0);
    stats.textLength = {lengths.int64(1), lengths.real(2), lengths.int64(3)};
    return stats;
}

} // namespace ft
