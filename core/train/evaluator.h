// evaluator.h: a model's loss and classification metrics on a split, in
// eval mode without gradients, rows ordered by length so batches carry
// little padding (the metrics do not depend on the order).
#pragma once

#include "train/split_batches.h"
#include "train/metrics.h"

#include <c10/core/Device.h>

#include <functional>
#include <map>
#include <string>

namespace ft {

class Classifier;

struct EvaluationResult {
    double loss = 0;                       // mean cross-entropy over the examples (over target tokens)
    // A language model's split: loss and metrics.accuracy are per target token
    // (next-token prediction); no predictions or probabilities.
    bool tokenTargets = false;
    ClassificationMetrics metrics;
    std::vector<std::int64_t> predictions; // per example, in the split's order
    std::vector<float> probabilities;      // per example, numClasses values, in the split's order
};

struct EvaluationOptions {
    std::int64_t batchSize = 32;
    c10::Device device = c10::Device(c10::kCPU);
    // Called after each batch with examples done; false stops (throws Cancelled).
    std::function<bool(std::int64_t)> progress;
    // Data-parallel runs: this worker computes every workers-th batch from
    // `worker` on, and `sumOverWorkers` sums tensors over the workers in
    // place, so that every worker ends with the whole split's result.
    int worker = 0;
    int workers = 1;
    std::function<void(std::vector<at::Tensor> &)> sumOverWorkers;
};

// "<prefix>_loss", "_accuracy", "_f1", "_precision", "_recall" (macro averages): the names the run's
// metrics are recorded under. A language model's: "_loss", "_accuracy" (next token) and "_perplexity".
std::map<std::string, double> metricMap(const std::string &prefix, const EvaluationResult &result);

// Leaves the model in eval mode.
EvaluationResult evaluate(Classifier &model, SplitBatches &split, std::size_t numClasses,
                          const EvaluationOptions &options);

} // namespace ft
