// time_estimate.cpp
#include "train/time_estimate.h"

#include "common/error.h"
#include "store/datasets.h"
#include "store/example_query.h"
#include "store/project.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <random>

namespace fs = std::filesystem;

namespace ft {

namespace {

class SilentSink : public ProgressSink {
public:
    void metric(const MetricPoint &) override {}
    void progress(const TrainingProgress &) override {}
    void log(LogLevel, const std::string &) override {}
    void stateChanged(RunState, const std::string &) override {}
};

// A scratch folder that is removed with the object.
struct ScratchFolder {
    fs::path path;
    ScratchFolder()
    {
        std::random_device random;
        path = fs::temp_directory_path()
               / ("finetune-estimate-" + std::to_string(random()) + "-"
                  + std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
    }
    ~ScratchFolder()
    {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

std::int64_t countSplit(Project &project, std::int64_t datasetId, Split split)
{
    ExampleFilter filter;
    filter.datasetId = datasetId;
    filter.splits = {split};
    return countExamples(project, filter);
}

} // namespace

TimeEstimate estimateTrainingTime(const TrainingRequest &request, std::int64_t measuredSteps, RunControl *control)
{
    TimeEstimate estimate;
    measuredSteps = std::max<std::int64_t>(2, measuredSteps);
    const RunConfig &config = request.config;
    validate(config, "the run configuration");
    const std::int64_t perStep = config.perDeviceTrainBatchSize * config.gradientAccumulationSteps;

    // Evenly spaced examples of the train split, so their lengths are the split's.
    Project project = Project::open(request.project);
    const auto datasetId = findDataset(project, request.dataset);
    if (!datasetId)
        throw Error(ErrorKind::NotFound, "no dataset named '" + request.dataset + "' in " + request.project.string());
    ExampleFilter trainSplit;
    trainSplit.datasetId = *datasetId;
    trainSplit.splits = {Split::Train};
    const std::vector<std::int64_t> ids = matchingIds(project, trainSplit, {});
    if (ids.empty())
        throw Error(ErrorKind::InvalidInput, "dataset '" + request.dataset + "' has no train split to time");
    const std::size_t wanted = std::size_t(perStep * (measuredSteps + 1));
    std::vector<std::int64_t> sample;
    for (std::size_t i = 0; i < wanted; ++i)
        sample.push_back(ids[i * ids.size() / wanted % ids.size()]);
    std::vector<Example> rows = examplesById(project, sample);
    for (Example &row : rows)
        row.split = "train";

    ScratchFolder scratch;
    {
        Project trial = Project::create(scratch.path);
        addExamples(trial, createDataset(trial, "sample", "time estimate"), rows);
    }
    TrainingRequest timed = request;
    timed.project = scratch.path;
    timed.dataset = "sample";
    timed.resumeRun.reset();
    timed.config.maxSteps = measuredSteps;
    timed.config.evalStrategy = EvalStrategy::No;
    timed.config.saveSteps = 1000000;
    timed.config.loadBestModelAtEnd = false;
    timed.config.earlyStoppingPatience = 0;
    SilentSink sink;
    RunControl ownControl;
    const TrainingSummary summary = train(timed, sink, control ? *control : ownControl);
    if (summary.state != RunState::Completed)
        throw Error(ErrorKind::Cancelled, "the time estimate was cancelled");

    estimate.samplesPerSecond = summary.samplesPerSecond;
    estimate.measuredSteps = summary.steps - 1;
    estimate.totalSteps = totalTrainingSteps(config, std::int64_t(ids.size()));
    const double perSample = 1.0 / std::max(1e-9, summary.samplesPerSecond);
    estimate.trainingSeconds = double(estimate.totalSteps * perStep) * perSample;
    const std::int64_t validation = countSplit(project, *datasetId, Split::Validation);
    const std::int64_t test = countSplit(project, *datasetId, Split::Test);
    std::int64_t evaluations = 0;
    if (config.evalStrategy == EvalStrategy::Epoch)
        evaluations = std::int64_t(std::ceil(double(estimate.totalSteps)
                                             / double(std::max<std::int64_t>(1, updateStepsPerEpoch(config, std::int64_t(ids.size()))))));
    else if (config.evalStrategy == EvalStrategy::Steps && config.evalSteps > 0)
        evaluations = estimate.totalSteps / config.evalSteps;
    estimate.evaluationSeconds = double(evaluations * validation + test) * perSample / 3.0;
    return estimate;
}

} // namespace ft
