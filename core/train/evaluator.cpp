// evaluator.cpp
#include "train/evaluator.h"

#include "common/error.h"
#include "models/classifier.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace ft {

namespace {

// A language model's split: the mean next-token loss over all target tokens
// and the share of them predicted right (argmax), per token, not per row.
EvaluationResult evaluateTokenTargets(Classifier &model, SplitBatches &split, const EvaluationOptions &options)
{
    const std::int64_t n = split.size();
    const auto batchSize = std::max<std::int64_t>(1, options.batchSize);
    const bool shared = options.workers > 1 && options.sumOverWorkers;
    const std::int64_t stride = batchSize * (shared ? options.workers : 1);
    double lossSum = 0;
    double correct = 0;
    double targets = 0;
    std::vector<std::int64_t> rows;
    for (std::int64_t start = shared ? options.worker * batchSize : 0; start < n; start += stride) {
        rows.clear();
        for (std::int64_t row = start; row < std::min(n, start + batchSize); ++row)
            rows.push_back(row);
        const TensorBatch batch = split.batch(rows, 0, options.device);
        const at::Tensor logits = model.logits(batch).to(at::kFloat);
        const std::int64_t length = logits.size(1);
        const at::Tensor predicted = logits.narrow(1, 0, length - 1).reshape({-1, logits.size(2)});
        const at::Tensor expected = batch.labels.narrow(1, 1, length - 1).reshape({-1});
        const at::Tensor counted = expected.ne(-100);
        lossSum += at::nll_loss(at::log_softmax(predicted, -1), expected, {}, at::Reduction::Sum, -100).item<double>();
        correct += (predicted.argmax(-1).eq(expected) & counted).sum().item<double>();
        targets += counted.sum().item<double>();
        if (options.progress && !options.progress(start + std::int64_t(rows.size())))
            throw Error(ErrorKind::Cancelled, "evaluation cancelled");
    }
    if (shared) {
        std::vector<at::Tensor> sums{at::tensor({lossSum, correct, targets}, at::kDouble)};
        options.sumOverWorkers(sums);
        lossSum = sums[0][0].item<double>();
        correct = sums[0][1].item<double>();
        targets = sums[0][2].item<double>();
    }
    EvaluationResult result;
    result.tokenTargets = true;
    result.loss = targets > 0 ? lossSum / targets : 0;
    result.metrics.accuracy = targets > 0 ? correct / targets : 0;
    return result;
}

} // namespace

EvaluationResult evaluate(Classifier &model, SplitBatches &split, std::size_t numClasses,
                          const EvaluationOptions &options)
{
    at::NoGradGuard noGrad;
    if (split.tokenTargets()) {
        model.module().eval();
        return evaluateTokenTargets(model, split, options);
    }
    model.module().eval();
    const std::int64_t n = split.size();
    std::vector<std::int64_t> order(static_cast<size_t>(n));
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&lengths = split.lengths()](std::int64_t a, std::int64_t b) { return lengths[a] < lengths[b]; });

    EvaluationResult result;
    result.predictions.assign(static_cast<size_t>(n), 0);
    result.probabilities.assign(static_cast<size_t>(n) * numClasses, 0.0f);
    double lossSum = 0;
    const auto batchSize = std::max<std::int64_t>(1, options.batchSize);
    const bool shared = options.workers > 1 && options.sumOverWorkers;
    const std::int64_t stride = batchSize * (shared ? options.workers : 1);
    for (std::int64_t start = shared ? options.worker * batchSize : 0; start < n; start += stride) {
        const auto count = std::min(batchSize, n - start);
        const std::span<const std::int64_t> rows(order.data() + start, static_cast<size_t>(count));
        const auto next = start + stride;
        if (next < n) // prepared while this batch computes
            split.prefetch({order.data() + next, static_cast<size_t>(std::min(batchSize, n - next))}, 0);
        const TensorBatch batch = split.batch(rows, 0, options.device);
        const at::Tensor logits = model.logits(batch);
        lossSum += at::cross_entropy_loss(logits.to(at::kFloat), batch.labels, {}, at::Reduction::Sum).item<double>();
        const at::Tensor probabilities = at::softmax(logits.to(at::kFloat), -1).to(at::kCPU).contiguous();
        const float *p = probabilities.data_ptr<float>();
        for (std::int64_t r = 0; r < count; ++r)
            std::copy_n(p + r * static_cast<std::int64_t>(numClasses), numClasses,
                        result.probabilities.begin() + static_cast<std::ptrdiff_t>(rows[r] * std::int64_t(numClasses)));
        if (options.progress && !options.progress(start + count))
            throw Error(ErrorKind::Cancelled, "evaluation cancelled");
    }
    if (shared) {
        // Each row was computed by one worker, the others hold zeros there: the sums are the whole split's.
        std::vector<at::Tensor> sums{
            at::from_blob(result.probabilities.data(), {std::int64_t(result.probabilities.size())}, at::kFloat),
            at::tensor({lossSum}, at::kDouble)};
        options.sumOverWorkers(sums);
        lossSum = sums[1].item<double>();
    }
    // The predicted class of each row: the first of its highest probabilities, as argmax.
    for (std::int64_t row = 0; row < n; ++row) {
        const auto first = result.probabilities.begin() + static_cast<std::ptrdiff_t>(row * std::int64_t(numClasses));
        result.predictions[static_cast<size_t>(row)] = std::max_element(first, first + std::ptrdiff_t(numClasses)) - first;
    }
    result.loss = n > 0 ? lossSum / static_cast<double>(n) : 0;
    result.metrics = computeMetrics(result.predictions, split.labels(), numClasses);
    return result;
}

std::map<std::string, double> metricMap(const std::string &prefix, const EvaluationResult &result)
{
    if (result.tokenTargets)
        return {{prefix + "_loss", result.loss},
                {prefix + "_accuracy", result.metrics.accuracy},
                {prefix + "_perplexity", std::exp(result.loss)}};
    return {{prefix + "_loss", result.loss},
            {prefix + "_accuracy", result.metrics.accuracy},
            {prefix + "_f1", result.metrics.macro.f1},
            {prefix + "_precision", result.metrics.macro.precision},
            {prefix + "_recall", result.metrics.macro.recall}};
}

} // namespace ft
