// model_comparison.cpp: each model loaded once through Predictor (as `finetune predict` runs it)
// and once as a Classifier for its counts; accuracy in batches, latency one example at a time.
#include "infer/model_comparison.h"

#include "common/error.h"
#include "infer/predictor.h"
#include "models/classifier_factory.h"
#include "models/dynamic_quantization.h"
#include "models/model_family.h"
#include "store/datasets.h"
#include "store/project.h"
#include "store/runs.h"
#include "system/compute_threads.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <limits>
#include <optional>

namespace fs = std::filesystem;

namespace ft {

namespace {

constexpr const char *kFloat = "float32";

struct Candidate {
    ComparedModel row;
    Predictor predictor;
    std::vector<double> milliseconds;
};

double percentile(std::vector<double> values, double fraction)
{
    if (values.empty())
        return 0;
    std::sort(values.begin(), values.end());
    const auto index = static_cast<std::size_t>(fraction * double(values.size() - 1) + 0.5);
    return values[std::min(index, values.size() - 1)];
}

// The labelled text rows of `split` (test, else validation, when empty) of the dataset.
std::vector<Example> splitRows(Project &project, std::int64_t datasetId, std::string &split, std::int64_t limit)
{
    const std::vector<Example> all = examples(project, datasetId, 0, std::numeric_limits<std::int64_t>::max());
    const auto rowsOf = [&](const std::string &name) {
        std::vector<Example> rows;
        for (const Example &example : all)
            if (example.split == name && example.label && !example.imagePath)
                rows.push_back(example);
        return rows;
    };
    std::vector<Example> rows;
    if (split.empty()) {
        split = "test";
        rows = rowsOf(split);
        if (rows.empty()) {
            split = "validation";
            rows = rowsOf(split);
        }
    } else {
        rows = rowsOf(split);
    }
    if (rows.empty())
        throw Error(ErrorKind::NotFound, "the dataset has no labelled " + split + " examples to compare on");
    if (limit > 0 && std::int64_t(rows.size()) > limit)
        rows.resize(static_cast<std::size_t>(limit));
    return rows;
}

} // namespace

ModelComparison compareRuns(const ComparisonRequest &request, const ComparisonProgress &progress)
{
    const auto report = [&](const std::string &stage, double fraction) {
        if (progress && !progress(stage, fraction))
            throw Error(ErrorKind::Cancelled, "comparison cancelled");
    };
    if (request.runs.empty())
        throw Error(ErrorKind::InvalidInput, "name at least one run to compare");
    Project project = Project::open(request.project);
    ModelComparison result;
    result.threads = std::max(1, request.threads);
    result.latencyRuns = std::max<std::int64_t>(1, request.latencyRuns);
    result.split = request.split;
    const ScopedComputeThreads threads(result.threads); // the same for every model, restored after

    // Load every model: one float32 and, when asked, one quantised per run.
    std::vector<Candidate> candidates;
    std::optional<std::int64_t> datasetId;
    for (std::size_t r = 0; r < request.runs.size(); ++r) {
        report("loading", double(r) / double(request.runs.size()));
        const RunDetails run = runDetails(project, request.runs[r]);
        const fs::path folder = project.folder() / "runs" / std::to_string(run.id) / "model";
        if (run.state != RunState::Completed || !fs::is_regular_file(folder / "model.safetensors"))
            throw Error(ErrorKind::NotFound, "run " + std::to_string(run.id) + " has no finished model to compare (it is "
                                                 + toString(run.state) + ")");
        if (!datasetId)
            datasetId = run.datasetId;
        const nlohmann::json config = nlohmann::json::parse(run.configJson);
        std::vector<std::string> variants{kFloat};
        if (request.quantized)
            variants.push_back(request.quantization);
        for (const std::string &variant : variants) {
            Candidate candidate;
            ComparedModel &row = candidate.row;
            row.runId = run.id;
            row.runName = run.name;
            row.variant = variant;
            row.teacherRun = config.value("distill_teacher_run", std::int64_t{0});
            ClassifierPtr model = loadClassifier(folder, {}).model;
            if (model->inputKind() != InputKind::Text)
                throw Error(ErrorKind::Incompatible, "run " + std::to_string(run.id) + " classifies images; compare "
                                                         "takes text classifiers");
            row.architecture = model->architecture();
            row.parameters = model->parameterCount();
            row.layers = configLayerCount(model->configJson());
            if (variant == kFloat) {
                row.bytes = std::int64_t(fs::file_size(folder / "model.safetensors"));
            } else {
                const DynamicQuantizationReport quantized =
                    quantizeDynamic(*model, dynamicQuantizationFromString(variant));
                row.bytes = quantized.bytes;
                row.bytesOnDisk = false;
                result.engine = quantized.engine;
            }
            PredictorOptions options;
            options.device = "cpu";
            options.quantize = variant == kFloat ? std::string() : variant;
            candidate.predictor.load(folder, options);
            if (!candidates.empty() && candidate.predictor.labelNames() != candidates.front().predictor.labelNames())
                throw Error(ErrorKind::InvalidInput, "run " + std::to_string(run.id) + " has other labels than run "
                                                         + std::to_string(candidates.front().row.runId)
                                                         + "; compare runs of the same task");
            candidates.push_back(std::move(candidate));
        }
    }
    if (!datasetId)
        throw Error(ErrorKind::NotFound, "run " + std::to_string(request.runs.front()) + " lost its dataset");
    const std::vector<Example> rows = splitRows(project, *datasetId, result.split, request.maxExamples);
    std::vector<std::string_view> texts, pairs;
    bool withPairs = false;
    for (const Example &example : rows) {
        texts.emplace_back(example.text);
        pairs.emplace_back(example.textB ? std::string_view(*example.textB) : std::string_view());
        withPairs = withPairs || example.textB.has_value();
    }
    if (!withPairs)
        pairs.clear();

    // Accuracy, batched.
    for (std::size_t m = 0; m < candidates.size(); ++m) {
        report("accuracy", double(m) / double(candidates.size()));
        Candidate &candidate = candidates[m];
        const Predictions predictions = candidate.predictor.predict(texts, pairs);
        const std::vector<std::string> &labels = candidate.predictor.labelNames();
        std::int64_t right = 0;
        for (std::size_t i = 0; i < rows.size(); ++i) {
            if (std::find(labels.begin(), labels.end(), *rows[i].label) == labels.end())
                continue; // a class the model does not know
            ++candidate.row.examples;
            right += predictions.labels[i] == *rows[i].label ? 1 : 0;
        }
        candidate.row.accuracy = candidate.row.examples > 0 ? double(right) / double(candidate.row.examples) : 0.0;
    }

    // Latency at batch 1: warm-up, then round-robin over the models, example by example.
    const auto predictOne = [&](Candidate &candidate, std::size_t i) {
        const std::array<std::string_view, 1> text{texts[i % texts.size()]};
        const std::array<std::string_view, 1> pair{pairs.empty() ? std::string_view() : pairs[i % pairs.size()]};
        candidate.predictor.predict(text, pairs.empty() ? std::span<const std::string_view>() : pair);
    };
    for (Candidate &candidate : candidates)
        for (std::int64_t i = 0; i < request.warmupRuns; ++i)
            predictOne(candidate, std::size_t(i));
    for (std::int64_t i = 0; i < result.latencyRuns; ++i) {
        if (i % 10 == 0)
            report("latency", double(i) / double(result.latencyRuns));
        for (Candidate &candidate : candidates) {
            const auto start = std::chrono::steady_clock::now();
            predictOne(candidate, std::size_t(i));
            candidate.milliseconds.push_back(
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
        }
    }
    for (Candidate &candidate : candidates) {
        candidate.row.latencyMs = percentile(candidate.milliseconds, 0.5);
        candidate.row.latencyP90Ms = percentile(candidate.milliseconds, 0.9);
        result.models.push_back(candidate.row);
    }
    report("latency", 1);
    return result;
}

} // namespace ft
