// label_suggestions.cpp
#include "infer/label_suggestions.h"

#include "common/error.h"
#include "infer/predictor.h"
#include "store/datasets.h"
#include "store/example_query.h"
#include "store/labels.h"

#include <algorithm>
#include <cmath>
#include <string_view>
#include <unordered_map>

namespace ft {

namespace {

LabelSuggestion suggestionOf(const Predictions &predictions, std::size_t row, std::int64_t exampleId,
                             const std::unordered_map<std::string, std::int64_t> &labelIds)
{
    const std::size_t k = predictions.numLabels;
    const float *p = predictions.probabilities.data() + row * k;
    LabelSuggestion suggestion;
    suggestion.exampleId = exampleId;
    suggestion.label = predictions.labels[row];
    const auto found = labelIds.find(suggestion.label);
    if (found != labelIds.end())
        suggestion.labelId = found->second;
    double best = 0;
    double second = 0;
    for (std::size_t c = 0; c < k; ++c) {
        const double value = p[c];
        if (value > best) {
            second = best;
            best = value;
        } else if (value > second) {
            second = value;
        }
        if (value > 0)
            suggestion.entropy -= value * std::log(value);
    }
    suggestion.confidence = best;
    suggestion.margin = best - second;
    return suggestion;
}

} // namespace

std::vector<LabelSuggestion> suggestLabels(Project &project, std::int64_t datasetId,
                                           const std::filesystem::path &modelFolder,
                                           const SuggestionOptions &options, const SuggestionProgress &progress)
{
    PredictorOptions predictorOptions;
    predictorOptions.batchSize = options.batchSize;
    predictorOptions.threads = options.threads;
    Predictor predictor;
    predictor.load(modelFolder, predictorOptions);

    std::unordered_map<std::string, std::int64_t> labelIds;
    for (const Label &label : listLabels(project, datasetId))
        labelIds.emplace(label.name, label.id);

    ExampleFilter filter;
    filter.datasetId = datasetId;
    filter.includeUnlabelled = options.unlabelledOnly;
    const std::vector<std::int64_t> ids = matchingIds(project, filter, {});
    const auto total = static_cast<std::int64_t>(ids.size());

    std::vector<LabelSuggestion> suggestions;
    suggestions.reserve(ids.size());
    const std::size_t chunkRows = std::max<std::size_t>(options.chunkRows, 1);
    for (std::size_t begin = 0; begin < ids.size(); begin += chunkRows) {
        const std::span<const std::int64_t> chunkIds(ids.data() + begin, std::min(chunkRows, ids.size() - begin));
        const std::vector<Example> chunk = examplesById(project, chunkIds);
        std::vector<std::string_view> texts;
        std::vector<std::string_view> pairs;
        bool anyPair = false;
        for (const Example &example : chunk) {
            texts.emplace_back(example.text);
            pairs.emplace_back(example.textB ? std::string_view(*example.textB) : std::string_view());
            anyPair = anyPair || example.textB.has_value();
        }
        const Predictions predictions =
            predictor.predict(texts, anyPair ? std::span<const std::string_view>(pairs) : std::span<const std::string_view>());
        for (std::size_t row = 0; row < chunk.size(); ++row)
            suggestions.push_back(suggestionOf(predictions, row, chunk[row].id, labelIds));
        if (progress && !progress(static_cast<std::int64_t>(begin + chunkIds.size()), total))
            throw Error(ErrorKind::Cancelled, "label suggestions cancelled");
    }
    return suggestions;
}

std::vector<std::int64_t> mostUncertainFirst(std::vector<LabelSuggestion> suggestions, Uncertainty measure)
{
    std::stable_sort(suggestions.begin(), suggestions.end(), [measure](const auto &a, const auto &b) {
        if (measure == Uncertainty::Margin)
            return a.margin != b.margin ? a.margin < b.margin : a.exampleId < b.exampleId;
        return a.entropy != b.entropy ? a.entropy > b.entropy : a.exampleId < b.exampleId;
    });
    std::vector<std::int64_t> ids;
    ids.reserve(suggestions.size());
    for (const auto &suggestion : suggestions)
        ids.push_back(suggestion.exampleId);
    return ids;
}

} // namespace ft
