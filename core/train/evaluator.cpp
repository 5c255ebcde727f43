// evaluator.cpp
#include "train/evaluator.h"

#include "common/error.h"
#include "models/classifier.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include <algorithm>
#include <numeric>

namespace ft {

EvaluationResult evaluate(Classifier &model, SplitBatches &split, std::size_t numClasses,
                          const EvaluationOptions &options)
{
    at::NoGradGuard noGrad;
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
    return {{prefix + "_loss", result.loss},
            {prefix + "_accuracy", result.metrics.accuracy},
            {prefix + "_f1", result.metrics.macro.f1},
            {prefix + "_precision", result.metrics.macro.precision},
            {prefix + "_recall", result.metrics.macro.recall}};
}

} // namespace ft
