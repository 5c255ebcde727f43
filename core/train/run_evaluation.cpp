// run_evaluation.cpp
#include "train/run_evaluation.h"

#include "common/error.h"
#include "data/column_mapping.h"
#include "data/row_source.h"
#include "models/classifier_factory.h"
#include "models/model_family.h"
#include "store/catalog.h"
#include "store/datasets.h"
#include "store/project.h"
#include "store/runs.h"
#include "system/compute_threads.h"
#include "text/tokenizer.h"
#include "train/encoded_split.h"
#include "train/evaluator.h"
#include "train/image_split_batches.h"
#include "train/run_config.h"
#include "train/run_data.h"
#include "train/run_inputs.h"
#include "train/token_batches.h"

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
    if (fs::exists(modelFolder / "vocab.txt") || fs::exists(modelFolder / "tokenizer.json")
        || fs::exists(modelFolder / "sentencepiece.bpe.model"))
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

void checkSplit(const RunDetails &run, const std::string &split)
{
    if (split != "train" && split != "validation" && split != "test")
        throw Error(ErrorKind::InvalidInput, "split '" + split + "' is not train, validation or test");
    if (!run.datasetId)
        throw Error(ErrorKind::NotFound, "the dataset of run " + std::to_string(run.id) + " no longer exists");
}

std::vector<Example> splitExamples(Project &project, const RunDetails &run, const std::string &split)
{
    checkSplit(run, split);
    std::vector<Example> rows;
    for (Example &example : examples(project, *run.datasetId, 0, std::numeric_limits<std::int64_t>::max()))
        if (example.split == split)
            rows.push_back(std::move(example));
    return rows;
}

void requireExamples(std::int64_t examples, std::int64_t read)
{
    if (examples == 0)
        throw Error(ErrorKind::InvalidInput, "nothing to evaluate: no example has a label the model knows ("
                                                 + std::to_string(read) + " rows read)");
}

std::unique_ptr<SplitBatches> textSplit(Project &project, const RunDetails &run, const RunEvaluationRequest &request,
                                        const RunConfig &config, RunEvaluation &result)
{
    const Tokenizer tokenizer = modelTokenizer(tokenizerFolderOf(project, run, result.modelFolder));
    const std::vector<Example> rows = request.dataFile ? readLabelledFile(request, result)
                                                       : splitExamples(project, run, request.split);
    std::unordered_map<std::string, std::int64_t> labelIds;
    for (size_t i = 0; i < result.labels.size(); ++i)
        labelIds.emplace(result.labels[i], static_cast<std::int64_t>(i));
    EncodedSplit split = encodeSplit(tokenizer, rows, labelIds, config.maxLength);
    result.skipped += static_cast<std::int64_t>(rows.size()) - split.size();
    requireExamples(split.size(), static_cast<std::int64_t>(rows.size()));
    return std::make_unique<TokenBatches>(std::move(split), tokenizer.padId(), 0);
}

std::unique_ptr<SplitBatches> imageSplit(Project &project, const RunDetails &run, const RunEvaluationRequest &request,
                                         const Classifier &model, RunEvaluation &result)
{
    if (request.dataFile)
        throw Error(ErrorKind::Incompatible, "run " + std::to_string(run.id) + " classifies images: evaluate it on a "
                                                 "split of its dataset (--split), not on a data file");
    checkSplit(run, request.split);
    ImageFiles files = imageFilesBySplit(project, *run.datasetId, datasetNameOf(project, *run.datasetId),
                                         result.labels)[request.split];
    result.skipped += files.skipped;
    requireExamples(static_cast<std::int64_t>(files.files.size()), files.skipped + std::int64_t(files.files.size()));
    ImageSplitOptions options;
    options.processor = *model.imageProcessor();
    return std::make_unique<ImageSplitBatches>(std::move(files.files), std::move(files.labels), options);
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
    const ClassifierPtr model = loadClassifier(result.modelFolder, {}).model;
    result.labels = model->labels();
    const std::unique_ptr<SplitBatches> split = model->imageProcessor()
                                                    ? imageSplit(project, run, request, *model, result)
                                                    : textSplit(project, run, request, config, result);
    result.examples = split->size();

    EvaluationOptions options;
    options.batchSize = request.batchSize;
    const EvaluationResult evaluation = evaluate(*model, *split, result.labels.size(), options);
    result.loss = evaluation.loss;
    result.metrics = evaluation.metrics;
    result.report = classificationReport(evaluation.metrics, result.labels, 4);
    return result;
}

} // namespace ft
