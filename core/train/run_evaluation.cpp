// run_evaluation.cpp
#include "train/run_evaluation.h"

#include "common/error.h"
#include "data/column_mapping.h"
#include "data/row_source.h"
#include "models/checkpoint.h"
#include "store/catalog.h"
#include "store/datasets.h"
#include "store/project.h"
#include "store/runs.h"
#include "system/compute_threads.h"
#include "text/tokenizer.h"
#include "train/encoded_split.h"
#include "train/evaluator.h"
#include "train/run_config.h"
#include "train/run_inputs.h"

#include <nlohmann/json.hpp>

#include <limits>
#include <thread>
#include <unordered_map>

namespace fs = std::filesystem;

namespace ft {

namespace {

constexpr size_t kMaxProblems = 20;

// The folder of the run's final model, or of its best (else newest) checkpoint.
fs::path modelFolderOf(Project &project, std::int64_t runId)
{
    const fs::path final = project.folder() / "runs" / std::to_string(runId) / "model";
    if (fs::is_regular_file(final / "model.safetensors"))
        return final;
    const auto checkpoints = runCheckpoints(project, runId);
    for (const auto &checkpoint : checkpoints)
        if (checkpoint.isBest)
            return project.folder() / checkpoint.path;
    if (!checkpoints.empty())
        return project.folder() / checkpoints.back().path;
    throw Error(ErrorKind::NotFound, "run " + std::to_string(runId) + " has no model or checkpoint to evaluate yet");
}

// Checkpoint folders hold no tokenizer: it comes from the run's base model.
fs::path tokenizerFolderOf(Project &project, const RunDetails &run, const fs::path &modelFolder)
{
    if (fs::exists(modelFolder / "vocab.txt") || fs::exists(modelFolder / "tokenizer.json"))
        return modelFolder;
    if (!run.modelId)
        throw Error(ErrorKind::NotFound, "run " + std::to_string(run.id) + " lost its base model (for the tokenizer)");
    return parseModelSource(modelSourceOf(project, *run.modelId)).folder;
}

std::vector<Example> readLabelledFile(const RunEvaluationRequest &request, RunEvaluation &result)
{
    const fs::path file = *request.dataFile;
    auto source = openRowSource(file, ReadOptions{});
    ColumnMapping mapping;
    mapping.text = request.textColumn;
    mapping.textPair = request.textPairColumn;
    mapping.label = request.labelColumn;
    const ResolvedColumns columns = resolveColumns(source->columns(), mapping, file.string());
    if (!columns.label)
        throw Error(ErrorKind::InvalidInput, file.string() + " has no label column to evaluate against");
    std::vector<Example> rows;
    SourceRow row;
    while (source->next(row)) {
        if (!row.error.empty()) {
            ++result.skipped;
            if (result.problems.size() < kMaxProblems)
                result.problems.push_back(file.string() + ":" + std::to_string(row.line) + ": " + row.error);
            continue;
        }
        Example example;
        example.text = row.values[columns.text];
        if (columns.textPair)
            example.textB = row.values[*columns.textPair];
        example.label = row.values[*columns.label];
        example.sourceLine = row.line;
        rows.push_back(std::move(example));
    }
    return rows;
}

} // namespace

RunEvaluation evaluateRun(const RunEvaluationRequest &request)
{
    Project project = Project::open(request.project);
    const RunDetails run = runDetails(project, request.runId);
    const RunConfig config = parseRunConfig(nlohmann::json::parse(run.configJson), "run " + std::to_string(run.id));

    RunEvaluation result;
    result.modelFolder = modelFolderOf(project, run.id);
    setComputeThreads(request.threads > 0 ? request.threads
                                          : resolvedThreads(config, std::thread::hardware_concurrency()));
    LoadedBert loaded = loadBert(result.modelFolder);
    const Tokenizer tokenizer = Tokenizer::fromFolder(tokenizerFolderOf(project, run, result.modelFolder));
    result.labels = loaded.config.id2label;

    std::vector<Example> rows;
    if (request.dataFile) {
        rows = readLabelledFile(request, result);
    } else {
        if (request.split != "train" && request.split != "validation" && request.split != "test")
            throw Error(ErrorKind::InvalidInput, "split '" + request.split + "' is not train, validation or test");
        if (!run.datasetId)
            throw Error(ErrorKind::NotFound, "the dataset of run " + std::to_string(run.id) + " no longer exists");
        for (Example &example : examples(project, *run.datasetId, 0, std::numeric_limits<std::int64_t>::max()))
            if (example.split == request.split)
                rows.push_back(std::move(example));
    }

    std::unordered_map<std::string, std::int64_t> labelIds;
    for (size_t i = 0; i < result.labels.size(); ++i)
        labelIds.emplace(result.labels[i], static_cast<std::int64_t>(i));
    const EncodedSplit split = encodeSplit(tokenizer, rows, labelIds, config.maxLength);
    result.skipped += static_cast<std::int64_t>(rows.size()) - split.size();
    result.examples = split.size();
    if (split.size() == 0)
        throw Error(ErrorKind::InvalidInput, "nothing to evaluate: no example has a label the model knows ("
                                                 + std::to_string(rows.size()) + " rows read)");

    EvaluationOptions options;
    options.batchSize = request.batchSize;
    options.padId = tokenizer.padId();
    const EvaluationResult evaluation = evaluate(*loaded.model, split, result.labels.size(), options);
    result.loss = evaluation.loss;
    result.metrics = evaluation.metrics;
    result.report = classificationReport(evaluation.metrics, result.labels, 4);
    return result;
}

} // namespace ft
