// split_evaluation.cpp
#include "infer/split_evaluation.h"

#include "common/error.h"
#include "infer/predictor.h"
#include "store/datasets.h"
#include "store/example_query.h"

#include <algorithm>
#include <cmath>
#include <string_view>
#include <unordered_map>

namespace ft {

namespace {

void byLossDescending(std::vector<ExamplePrediction> &examples)
{
    std::stable_sort(examples.begin(), examples.end(),
                     [](const ExamplePrediction &a, const ExamplePrediction &b) { return a.loss > b.loss; });
}

} // namespace

std::vector<ExamplePrediction> SplitEvaluation::cell(std::size_t truth, std::size_t predicted) const
{
    std::vector<ExamplePrediction> found;
    for (const ExamplePrediction &example : examples)
        if (example.truth == truth && example.predicted == predicted)
            found.push_back(example);
    byLossDescending(found);
    return found;
}

SplitEvaluation evaluateSplit(Project &project, std::int64_t datasetId, const std::filesystem::path &modelFolder,
                              Split split, const EvaluationProgress &progress)
{
    Predictor predictor;
    predictor.load(modelFolder);
    SplitEvaluation evaluation;
    evaluation.labels = predictor.labelNames();
    std::unordered_map<std::string, std::size_t> classOf;
    for (std::size_t c = 0; c < evaluation.labels.size(); ++c)
        classOf.emplace(evaluation.labels[c], c);

    ExampleFilter filter;
    filter.datasetId = datasetId;
    filter.splits = {split};
    const std::vector<std::int64_t> ids = matchingIds(project, filter, {});
    const auto total = static_cast<std::int64_t>(ids.size());
    constexpr std::size_t kChunk = 256;
    std::vector<std::int64_t> predicted;
    std::vector<std::int64_t> truth;
    for (std::size_t begin = 0; begin < ids.size(); begin += kChunk) {
        const std::span<const std::int64_t> chunkIds(ids.data() + begin, std::min(kChunk, ids.size() - begin));
        std::vector<Example> chunk;
        for (Example &example : examplesById(project, chunkIds)) {
            if (!example.label)
                continue;
            if (!classOf.count(*example.label)) {
                ++evaluation.skipped;
                continue;
            }
            chunk.push_back(std::move(example));
        }
        if (!chunk.empty()) {
            std::vector<std::string_view> texts, pairs;
            bool anyPair = false;
            for (const Example &example : chunk) {
                texts.emplace_back(example.text);
                pairs.emplace_back(example.textB ? std::string_view(*example.textB) : std::string_view());
                anyPair = anyPair || example.textB.has_value();
            }
            const Predictions p = predictor.predict(
                texts, anyPair ? std::span<const std::string_view>(pairs) : std::span<const std::string_view>());
            for (std::size_t row = 0; row < chunk.size(); ++row) {
                ExamplePrediction e;
                e.exampleId = chunk[row].id;
                e.truth = classOf.at(*chunk[row].label);
                e.predicted = static_cast<std::size_t>(p.labelIds[row]);
                e.confidence = p.probabilities[row * p.numLabels + e.predicted];
                e.loss = -std::log(std::max(1e-12, double(p.probabilities[row * p.numLabels + e.truth])));
                evaluation.examples.push_back(e);
                predicted.push_back(std::int64_t(e.predicted));
                truth.push_back(std::int64_t(e.truth));
            }
        }
        if (progress && !progress(std::int64_t(begin + chunkIds.size()), total))
            throw Error(ErrorKind::Cancelled, "evaluation cancelled");
    }
    if (!predicted.empty())
        evaluation.metrics = computeMetrics(predicted, truth, evaluation.labels.size());
    return evaluation;
}

std::vector<ExamplePrediction> likelyLabelErrors(const SplitEvaluation &evaluation, double minConfidence)
{
    std::vector<ExamplePrediction> flagged;
    for (const ExamplePrediction &example : evaluation.examples)
        if (example.predicted != example.truth && example.confidence >= minConfidence)
            flagged.push_back(example);
    byLossDescending(flagged);
    return flagged;
}

} // namespace ft
