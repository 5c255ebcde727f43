// evaluator.h: a model's loss and classification metrics on a split, in
// eval mode without gradients, rows ordered by length so batches carry
// little padding (the metrics do not depend on the order).
#pragma once

#include "train/split_batches.h"
#include "train/metrics.h"

#include <c10/core/Device.h>

#include <functional>

namespace ft {

class Classifier;

struct EvaluationResult {
    double loss = 0;                       // mean cross-entropy over the examples
    ClassificationMetrics metrics;
    std::vector<std::int64_t> predictions; // per example, in the split's order
    std::vector<float> probabilities;      // per example, numClasses values, in the split's order
};

struct EvaluationOptions {
    std::int64_t batchSize = 32;
    c10::Device device = c10::Device(c10::kCPU);
    // Called after each batch with examples done; false stops (throws Cancelled).
    std::function<bool(std::int64_t)> progress;
};

// Leaves the model in eval mode.
EvaluationResult evaluate(Classifier &model, SplitBatches &split, std::size_t numClasses,
                          const EvaluationOptions &options);

} // namespace ft
