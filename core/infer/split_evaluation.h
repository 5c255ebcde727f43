// split_evaluation.h: a trained model on one split of a dataset, example by
// example: the classification metrics and confusion matrix, and for every
// example its prediction, confidence and loss, so the studio can list the
// examples of a confusion-matrix cell and flag likely label errors (predicted
// as another class with high confidence: the label is probably wrong).
// Text classifiers and image classifiers (ViT, ResNet folders) alike.
// Torch-free.
#pragma once

#include "data/splits.h"
#include "train/metrics.h"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace ft {

class Project;

struct ExamplePrediction {
    std::int64_t exampleId = 0;
    std::size_t truth = 0;     // class index (the model's labels)
    std::size_t predicted = 0;
    double confidence = 0;     // probability of the predicted class
    double loss = 0;           // cross-entropy of the true class: -log p(truth)
};

struct SplitEvaluation {
    std::vector<std::string> labels; // the model's classes, in its order
    ClassificationMetrics metrics;   // empty (total 0) when the split has no example to evaluate
    std::vector<ExamplePrediction> examples; // every labelled example of the split whose label the model knows
    std::int64_t skipped = 0;                // labelled with a class the model does not have
    // Image classifiers: the folder the examples' image paths are relative to,
    // the images that could not be read or decoded (left out of the metrics),
    // and the first few of them, each "file: reason".
    std::filesystem::path imageFolder;
    std::int64_t unreadable = 0;
    std::vector<std::string> unreadableReasons;

    // The examples of confusion cell [truth][predicted], highest loss first.
    std::vector<ExamplePrediction> cell(std::size_t truth, std::size_t predicted) const;
};

using EvaluationProgress = std::function<bool(std::int64_t done, std::int64_t total)>;

// A folder ImagePredictor::handles is run over the examples' images, others
// through Predictor. Throws as Predictor::load or ImagePredictor's
// constructor for a bad model folder; InvalidInput naming the model folder
// and the dataset when an image classifier meets examples without an image;
// Cancelled when progress returns false.
SplitEvaluation evaluateSplit(Project &project, std::int64_t datasetId, const std::filesystem::path &modelFolder,
                              Split split, const EvaluationProgress &progress = {});

// Examples predicted as another class with at least `minConfidence`, highest loss first.
std::vector<ExamplePrediction> likelyLabelErrors(const SplitEvaluation &evaluation, double minConfidence = 0.8);

} // namespace ft
