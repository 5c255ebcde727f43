// run_evaluation.h: `finetune eval`: a run's model on a split of its dataset
// or on a labelled file, with a classification report. Torch-free.
#pragma once

#include "train/metrics.h"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace ft {

struct RunEvaluationRequest {
    std::filesystem::path project;
    std::int64_t runId = 0;
    std::string split = "test";                   // of the run's dataset: train, validation or test
    std::optional<std::filesystem::path> dataFile; // a labelled CSV/TSV/JSONL file instead of a split
    std::string textColumn, textPairColumn, labelColumn; // for dataFile; empty: guessed as on import
    std::int64_t batchSize = 32;
    int threads = 0;                              // 0: all cores but one
};

struct RunEvaluation {
    std::filesystem::path modelFolder;  // what was evaluated
    std::vector<std::string> labels;
    std::int64_t examples = 0;
    std::int64_t skipped = 0;           // rows without a label the model knows, or malformed
    std::vector<std::string> problems;  // the first malformed rows, "file:line: reason"
    double loss = 0;
    ClassificationMetrics metrics;
    std::string report;                 // scikit-learn style classification report
};

// The run's final model, or its best (else newest) checkpoint while it has none.
RunEvaluation evaluateRun(const RunEvaluationRequest &request);

} // namespace ft
