// label_suggestions.h: model-assisted labelling. A trained run's model
// predicts a label for a dataset's examples, with its confidence and how
// uncertain it is, so labelling can offer the prediction as a suggestion and
// show the examples the model is least sure of first (active learning:
// those labels teach it the most). Torch-free.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace ft {

class Project;

struct LabelSuggestion {
    std::int64_t exampleId = 0;
    std::string label;                  // the predicted class name (config.json's id2label)
    std::optional<std::int64_t> labelId; // the dataset's label of that name, if it has one
    double confidence = 0;              // probability of the predicted class
    double margin = 0;                  // top probability minus the second: small = uncertain
    double entropy = 0;                 // of the predicted distribution, in nats: large = uncertain
};

struct SuggestionOptions {
    bool unlabelledOnly = true;
    std::size_t batchSize = 32;
    int threads = 0;           // 0: the process's setting
    std::size_t chunkRows = 512; // examples read and predicted at a time (bounded memory)
};

// Called with the examples done and the total; returning false cancels
// (ft::Error, Cancelled).
using SuggestionProgress = std::function<bool(std::int64_t done, std::int64_t total)>;

// Predicts every (unlabelled) example of the dataset with the model in
// `modelFolder` (a Hugging Face folder, e.g. runs/<id>/model). Throws
// ft::Error as Predictor::load does for a bad model folder.
std::vector<LabelSuggestion> suggestLabels(Project &project, std::int64_t datasetId,
                                           const std::filesystem::path &modelFolder,
                                           const SuggestionOptions &options = {},
                                           const SuggestionProgress &progress = {});

enum class Uncertainty { Margin, Entropy };

// Example ids, the most uncertain first (smallest margin or largest
// entropy; ties in id order).
std::vector<std::int64_t> mostUncertainFirst(std::vector<LabelSuggestion> suggestions,
                                             Uncertainty measure = Uncertainty::Margin);

} // namespace ft
