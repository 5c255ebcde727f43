// model_comparison.h: finished runs side by side (a teacher, the students distilled from it, and
// optionally each one's int8 dynamically quantised copy): parameters, size, latency of a single
// example on the CPU, and accuracy on a split of the first run's dataset. Torch-free, for
// `finetune compare` and the studio.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace ft {

struct ComparisonRequest {
    std::filesystem::path project;
    std::vector<std::int64_t> runs;      // completed runs with models of the same labels
    bool quantized = false;              // add each run's int8 copy (models/dynamic_quantization.h)
    std::string quantization = "int8";   // or "int8-per-channel"
    std::string split;                   // test or validation; empty: test, else validation when test is empty
    std::int64_t maxExamples = 0;        // accuracy on the split's first rows only; 0: all of them
    std::int64_t latencyRuns = 100;      // timed single-example predictions per model (the median is reported)
    std::int64_t warmupRuns = 10;        // untimed ones before, per model
    int threads = 1;                     // CPU threads for every model, the same for all
};

struct ComparedModel {
    std::int64_t runId = 0;
    std::string runName;
    std::string variant;                 // "float32" or the quantisation ("int8", "int8-per-channel")
    std::string architecture;
    std::int64_t layers = 0;             // encoder layers (config.json); 0 when the family does not say
    std::int64_t parameters = 0;
    std::int64_t bytes = 0;              // float32: model.safetensors on disk; int8: its tensors as held in
    bool bytesOnDisk = true;             //   memory (int8 weights with their scales), not a file
    double latencyMs = 0;                // median of latencyRuns single-example predictions (tokenising included)
    double latencyP90Ms = 0;
    double accuracy = 0;
    std::int64_t examples = 0;           // labelled rows of the split the accuracy is over
    std::int64_t teacherRun = 0;         // distill_teacher_run of the run's configuration; 0: none
};

struct ModelComparison {
    std::string split;
    int threads = 1;
    std::int64_t latencyRuns = 0;
    std::string engine;                  // the quantised engine when int8 copies were compared
    std::vector<ComparedModel> models;   // in the request's order, each run's int8 copy after it
};

// Stages "loading", "accuracy", "latency"; returning false cancels (ft::Error Cancelled).
using ComparisonProgress = std::function<bool(const std::string &stage, double fraction)>;

// Latencies are measured round-robin over the models (one example each in turn, the same
// examples for all), so a machine busy with something else slows them alike and the ratios hold.
// ft::Error: NotFound for a run without a finished model, InvalidInput for runs whose labels
// differ or fewer than one run, Incompatible for image classifiers.
ModelComparison compareRuns(const ComparisonRequest &request, const ComparisonProgress &progress = {});

} // namespace ft
