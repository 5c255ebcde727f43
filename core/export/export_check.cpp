// export_check.cpp
#include "export/export_check.h"

#include "common/error.h"
#include "train/metrics.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include <algorithm>
#include <chrono>
#include <numeric>

namespace ft {

namespace {

constexpr std::int64_t kBatch = 32;
constexpr std::int64_t kTimedSingles = 16;   // batch-1 calls timed
constexpr std::int64_t kTimedBatches = 3;    // batch-32 calls timed

// Milliseconds per example of `exported` over consecutive batches of `batchSize` rows, after one untimed call.
double msPerExample(const ExportCheckInputs &inputs, std::int64_t batchSize, std::int64_t calls)
{
    const std::int64_t total = inputs.rows->size();
    calls = std::min(calls, (total + batchSize - 1) / batchSize);
    auto batchAt = [&](std::int64_t call) {
        std::vector<std::int64_t> rows;
        for (std::int64_t r = call * batchSize; r < std::min(total, (call + 1) * batchSize); ++r)
            rows.push_back(r);
        return inputs.rows->batch(rows, 0, c10::Device(c10::kCPU));
    };
    inputs.exported(batchAt(0));
    double seconds = 0;
    std::int64_t examples = 0;
    for (std::int64_t call = 0; call < calls; ++call) {
        const TensorBatch batch = batchAt(call);
        const auto start = std::chrono::steady_clock::now();
        inputs.exported(batch);
        seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        examples += batch.size();
    }
    return examples > 0 ? 1000.0 * seconds / double(examples) : 0;
}

} // namespace

ExportCheck checkExport(const ExportCheckInputs &inputs, const std::function<bool(double)> &progress)
{
    const c10::InferenceMode inference;
    ExportCheck check;
    check.split = inputs.split;
    check.labels = inputs.labels;
    check.examples = inputs.rows ? inputs.rows->size() : 0;
    if (check.examples == 0)
        return check;

    std::vector<std::int64_t> runPredicted, exportPredicted, truth;
    for (std::int64_t start = 0; start < check.examples; start += kBatch) {
        std::vector<std::int64_t> rows(std::size_t(std::min(kBatch, check.examples - start)));
        std::iota(rows.begin(), rows.end(), start);
        const TensorBatch batch = inputs.rows->batch(rows, 0, c10::Device(c10::kCPU));
        const at::Tensor expected = inputs.runModel(batch).to(at::kFloat);
        const at::Tensor actual = inputs.exported(batch).to(at::kFloat);
        if (actual.sizes() != expected.sizes())
            throw Error(ErrorKind::Internal, "the export's logits have shape " + c10::str(actual.sizes()) + ", the run's "
                                                 + c10::str(expected.sizes()));
        check.maxAbsLogitDifference =
            std::max(check.maxAbsLogitDifference, (actual - expected).abs().max().item<double>());
        const at::Tensor runArgmax = expected.argmax(1), exportArgmax = actual.argmax(1);
        for (std::int64_t i = 0; i < batch.size(); ++i) {
            runPredicted.push_back(runArgmax[i].item<std::int64_t>());
            exportPredicted.push_back(exportArgmax[i].item<std::int64_t>());
            truth.push_back(batch.labels[i].item<std::int64_t>());
        }
        if (progress && !progress(double(start + std::int64_t(rows.size())) / double(check.examples)))
            throw Error(ErrorKind::Cancelled, "export cancelled");
    }
    for (std::size_t i = 0; i < truth.size(); ++i)
        check.predictionsChanged += runPredicted[i] != exportPredicted[i] ? 1 : 0;
    const std::size_t classes = inputs.labels.size();
    check.runAccuracy = computeMetrics(runPredicted, truth, classes).accuracy;
    const ClassificationMetrics exported = computeMetrics(exportPredicted, truth, classes);
    check.exportAccuracy = exported.accuracy;
    check.confusion = exported.confusion;

    check.msPerExampleBatch1 = msPerExample(inputs, 1, kTimedSingles);
    check.msPerExampleBatch32 = msPerExample(inputs, kBatch, kTimedBatches);
    return check;
}

} // namespace ft
