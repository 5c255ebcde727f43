// metrics.h: classification metrics from predicted and true label ids, and a
// text report laid out exactly as scikit-learn's classification_report.
//
// Zero division follows scikit-learn's default (zero_division="warn"): a
// precision with no predictions of the class, a recall with no true examples
// of it, or an F1 with neither, is reported as 0. scikit-learn then warns
// (UndefinedMetricWarning); here the *Undefined flags say which scores were
// set to 0 that way, for the caller to warn about.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace ft {

struct ClassScores {
    double precision = 0;
    double recall = 0;
    double f1 = 0;
    std::int64_t support = 0;        // true examples of the class (for averages: of all classes)
    bool precisionUndefined = false; // the class was never predicted
    bool recallUndefined = false;    // the class never occurs in the truth
};

struct ClassificationMetrics {
    std::int64_t total = 0;
    double accuracy = 0;
    std::vector<ClassScores> perClass;
    ClassScores macro;    // unweighted mean over every class, as average="macro"
    ClassScores weighted; // mean weighted by support, as average="weighted"
    std::vector<std::vector<std::int64_t>> confusion; // [true][predicted], as sklearn's confusion_matrix

    bool anyUndefined() const;
};

// Metrics over classes 0 .. numClasses-1 (all of them, as sklearn does when
// given labels=range(numClasses)). Throws ft::Error (InvalidInput) if the
// spans differ in length or an id is out of range.
ClassificationMetrics computeMetrics(std::span<const std::int64_t> predicted, std::span<const std::int64_t> truth,
                                     std::size_t numClasses);

// sklearn's classification_report text: a row per class (named by `names`,
// or "0", "1", ... without them), then accuracy, macro avg and weighted avg,
// with `digits` decimals. Columns align by characters, as Python's do.
std::string classificationReport(const ClassificationMetrics &metrics, std::span<const std::string> names = {},
                                 int digits = 2);

} // namespace ft
