// trainer.cpp: the fine-tuning loop: prepare the data once, then optimiser
// steps with evaluation, checkpoints, logging and cooperative control between
// them, reporting through the sink and recording in the project store.
#include "train/trainer.h"

#include "common/error.h"
#include "common/version.h"
#include "models/classifier_factory.h"
#include "models/lora.h"
#include "models/model_family.h"
#include "models/safetensors.h"
#include "store/catalog.h"
#include "store/datasets.h"
#include "store/project.h"
#include "store/runs.h"
#include "system/compute_threads.h"
#include "system/system_report.h"
#include "train/adamw.h"
#include "train/device_precision.h"
#include "train/causal_lm_data.h"
#include "train/distillation.h"
#include "train/distributed.h"
#include "train/run_capsule.h"
#include "train/run_data.h"
#include "train/run_inputs.h"
#include "train/run_lock.h"
#include "train/run_method.h"
#include "train/evaluator.h"
#include "train/gradient_accumulator.h"
#include "train/gradient_buckets.h"
#include "train/loss_scaler.h"
#include "train/store_sink.h"
#include "train/throughput_meter.h"
#include "train/train_step.h"
#include "train/training_checkpoint.h"
#include "train/worker_sink.h"

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <limits>
#include <optional>
#include <thread>

namespace fs = std::filesystem;

namespace ft {

namespace {

// Overflowed fp16 steps in a row after which the run fails: the scale is
// then 65536 / 2^25, so the loss itself is not finite, not just its scale.
constexpr std::int64_t kMaxSkippedSteps = 25;

class Trainer {
public:
    Trainer(const TrainingRequest &request, ProgressSink &sink, RunControl &control)
        : mRequest(request), mControl(control), mProject(Project::open(request.project)), mOuterSink(sink)
    {
    }

    TrainingSummary run();

private:
    void setUp();
    void loop();
    void optimiserStep();
    Error divergence(double loss, double gradNorm, double lr) const;
    void evaluateValidation();
    void saveCheckpoint(bool best);
    void prefetchNextStep();
    void saveFinalModel(const std::filesystem::path &modelFolder);
    EvaluationOptions evaluationOptions() const;
    void finish();
    Error projectGone() const;
    void requireProject() const;
    void recordEnd(RunState state, const std::string &detail);
    void log(LogLevel level, const std::string &message) { mSink->log(level, message); }
    double elapsedSeconds() const
    {
        return mSecondsBefore + std::chrono::duration<double>(ThroughputMeter::Clock::now() - mSessionStart).count();
    }

    const TrainingRequest &mRequest;
    RunControl &mControl;
    Project mProject;
    ProgressSink &mOuterSink;
    std::unique_ptr<StoreSink> mStore; // rank 0 (or a single process): the run's record
    std::unique_ptr<ProgressSink> mQuiet; // other ranks: errors only
    ProgressSink *mSink = nullptr;
    std::unique_ptr<ProcessGroup> mGroup; // data-parallel runs
    bool mCancelAgreed = false;           // a worker of the group was cancelled
    std::optional<RunLock> mLock; // held while this process trains the run

    RunConfig mConfig;
    std::int64_t mRunId = 0;
    std::int64_t mDatasetId = 0;
    std::string mDatasetName;
    std::string mModelPath;
    ModelSource mSource;
    c10::Device mDevice = c10::Device(c10::kCPU);
    std::vector<std::string> mLabels;
    RunData mData;
    ClassifierPtr mModel;
    std::unique_ptr<Distiller> mDistiller; // distill_teacher_run: the teacher beside the student
    std::unique_ptr<AdamW> mOptimizer;
    std::unique_ptr<GradientBuckets> mWorkerSums; // data-parallel runs
    std::unique_ptr<BatchSampler> mSampler;
    std::unique_ptr<GradientAccumulator> mAccumulator;
    std::optional<LossScaler> mScaler;
    std::optional<at::ScalarType> mAutocast;
    at::Tensor mClassWeights;
    TrainerState mState;
    std::int64_t mTotalSteps = 0;
    double mLastLoss = 0;
    double mLastGradNorm = 0;
    std::map<std::string, double> mEvalMetrics;
    TrainingSummary mSummary;
    ThroughputMeter::Clock::time_point mSessionStart;
    double mSecondsBefore = 0; // trained in earlier sessions of a resumed run
    ThroughputMeter mThroughput;
};

void Trainer::setUp()
{
    if (mRequest.resumeRun) {
        const RunDetails run = runDetails(mProject, *mRequest.resumeRun);
        if (run.state == RunState::Completed)
            throw Error(ErrorKind::InvalidInput, "run " + std::to_string(run.id) + " has completed; nothing to resume");
        mRunId = run.id;
        mConfig = parseRunConfig(nlohmann::json::parse(run.configJson), "run " + std::to_string(run.id));
        if (!run.datasetId || !run.modelId)
            throw Error(ErrorKind::NotFound, "run " + std::to_string(run.id) + " lost its dataset or model");
        mDatasetId = *run.datasetId;
        mDatasetName = datasetNameOf(mProject, mDatasetId);
        mModelPath = modelSourceOf(mProject, *run.modelId);
    } else {
        mConfig = mRequest.config;
        validate(mConfig);
        mDatasetName = mRequest.dataset;
        mModelPath = mRequest.model;
        if (mConfig.distillTeacherRun > 0) // the teacher's dataset and model folder unless named
            defaultToTeacher(mProject, mConfig.distillTeacherRun, mDatasetName, mModelPath);
        const auto dataset = findDataset(mProject, mDatasetName);
        if (!dataset)
            throw Error(ErrorKind::NotFound, "no dataset named '" + mDatasetName + "' in " + mProject.folder().string());
        mDatasetId = *dataset;
    }
    mSource = parseModelSource(mModelPath);
    mDevice = resolveDevice(mConfig.device);
    if (mConfig.fp16 && !mDevice.is_cuda())
        throw Error(ErrorKind::Incompatible, "fp16 needs a CUDA device and none is available (device \""
                                                 + mConfig.device + "\"); use bf16 on the CPU");
    if (mConfig.fp16 || mConfig.bf16)
        mAutocast = mConfig.fp16 ? at::kHalf : at::kBFloat16;
    setComputeThreads(resolvedThreads(mConfig, std::thread::hardware_concurrency()));
    at::manual_seed(static_cast<std::uint64_t>(mConfig.seed));
    if (mRequest.distributed.active()) {
        if (!mDevice.is_cpu())
            throw Error(ErrorKind::Incompatible, "data-parallel training runs on CPUs (Gloo) in this build; set device "
                                                 "to cpu");
        DistributedSetup setup = mRequest.distributed;
        setup.timeout = std::chrono::seconds(mConfig.ddpTimeout);
        mGroup = std::make_unique<ProcessGroup>(setup);
    }
    const bool writes = mRequest.distributed.writes();

    const bool languageModel = mConfig.task == TrainTask::CausalLm;
    if (!languageModel) // a language model learns the examples' texts, not labels
        mLabels = datasetLabels(mProject, mDatasetId, mDatasetName);
    ClassifierOptions modelOptions;
    modelOptions.labels = mLabels;
    modelOptions.causalLm = languageModel;
    modelOptions.seed = static_cast<std::uint64_t>(mConfig.seed);
    modelOptions.device = mDevice;
    if (mConfig.distillTeacherRun > 0) {
        DistillationStart distillation = startDistillation(mProject, mConfig, modelOptions, mOuterSink);
        mModel = std::move(distillation.student);
        mDistiller = std::move(distillation.distiller);
    } else if (mSource.scratch) {
        mModel = makeScratchClassifier(mSource.configFile, modelOptions);
    } else {
        LoadedClassifier loaded = loadClassifier(mSource.folder, modelOptions);
        mModel = std::move(loaded.model);
        for (const auto &name : loaded.initialised)
            mOuterSink.log(LogLevel::Info, "initialised " + name + " (not in the checkpoint)");
    }
    mData = languageModel ? prepareCausalLmData(mProject, mDatasetId, mDatasetName, *mModel, mSource.folder, mConfig)
                          : prepareRunData(mProject, mDatasetId, mDatasetName, mLabels, *mModel, mSource.folder, mConfig);
    if (const std::string method = applyRunMethod(*mModel, mConfig, mSource.folder); !method.empty())
        mOuterSink.log(LogLevel::Info, method);

    if (!mRequest.resumeRun && writes) {
        NewRun run;
        run.name = mRequest.runName.empty() ? mDatasetName + " on " + fs::path(mModelPath).filename().string()
                                            : mRequest.runName;
        run.datasetId = mDatasetId;
        Classifier &base = mDistiller ? mDistiller->teacher() : *mModel; // a student's base is its teacher's folder
        run.modelId = findOrAddModel(mProject, mModelPath, base.architecture(), base.parameterCount(),
                                     base.configJson().dump());
        run.configJson = toJson(mConfig).dump();
        run.device = mDevice.str();
        mRunId = createRunWithCapsule(mProject, run, mModelPath, mDevice.str());
    }
    if (mGroup && !mRequest.resumeRun) { // the other workers learn the new run's id
        std::vector<at::Tensor> id{at::tensor({mRunId}, at::kLong)};
        mGroup->broadcast(id);
        mRunId = id[0].item<std::int64_t>();
    }
    if (writes) {
        mLock.emplace(mProject.folder(), mRunId); // before anything is written to the run
        setRunDevice(mProject, mRunId, mDevice.str());
        mStore = std::make_unique<StoreSink>(mProject, mRunId, &mOuterSink);
        mSink = mStore.get();
        mOuterSink.runCreated(mRunId);
    } else {
        mQuiet = std::make_unique<WorkerSink>(mOuterSink, mRequest.distributed.rank);
        mSink = mQuiet.get();
    }

    std::vector<AdamW::NamedParameter> parameters;
    for (const auto &item : mModel->module().named_parameters())
        parameters.emplace_back(item.key(), item.value());
    mOptimizer = std::make_unique<AdamW>(
        parameters, AdamWOptions{mConfig.adamBeta1, mConfig.adamBeta2, mConfig.adamEpsilon, mConfig.weightDecay});

    if (mConfig.classWeights == ClassWeights::Balanced)
        mClassWeights = balancedClassWeights(mData.train->labels(), mLabels.size()).to(mDevice);

    // Resume from the newest complete checkpoint, if the run has one.
    if (mRequest.resumeRun) {
        if (const auto from = resumeFromNewestCheckpoint(mProject, mRunId, *mModel, *mOptimizer, mState)) {
            mSecondsBefore = mState.trainingSeconds;
            log(LogLevel::Info, "resumed from " + *from + " (step " + std::to_string(mState.step) + ")");
        }
        if (writes) {
            deleteMetricsAfter(mProject, mRunId, mState.step);
            pruneCheckpoints(mProject, mRunId, mConfig.saveTotalLimit);
        }
    }

    // Batches are global: each of the workers of a data-parallel run takes its slice of every one.
    RunConfig global = mConfig;
    global.perDeviceTrainBatchSize *= mRequest.distributed.worldSize;
    mTotalSteps = totalTrainingSteps(global, mData.train->size());
    const BatchOrder order = mConfig.groupByLength ? BatchOrder::LengthGrouped : BatchOrder::Shuffled;
    mSampler = std::make_unique<BatchSampler>(mData.train->lengths(), global.perDeviceTrainBatchSize, order,
                                              static_cast<std::uint64_t>(mConfig.seed), mState.position);
    GradientAccumulatorOptions accumulation;
    accumulation.microBatchRows = mState.microBatchRows;
    accumulation.rank = mRequest.distributed.rank;
    accumulation.worldSize = mRequest.distributed.worldSize;
    if (mGroup) {
        mWorkerSums = std::make_unique<GradientBuckets>(*mGroup, *mOptimizer);
        accumulation.workerSums = mWorkerSums.get();
    }
    accumulation.device = mDevice;
    accumulation.classWeights = mClassWeights;
    accumulation.distiller = mDistiller.get();
    accumulation.beforeChunk = mRequest.beforeMicroBatch;
    accumulation.onShrink = [this](std::int64_t rows) {
        mState.microBatchRows = rows;
        log(LogLevel::Warning, "out of memory at step " + std::to_string(mState.step + 1) + ": micro-batches now hold "
                                   + std::to_string(rows) + " examples, gradients accumulated over "
                                   + std::to_string(mConfig.gradientAccumulationSteps * mConfig.perDeviceTrainBatchSize)
                                   + " as before (the step is redone)");
    };
    mAccumulator = std::make_unique<GradientAccumulator>(*mData.train, std::move(accumulation));
    mScaler.emplace(mConfig.fp16, mState.lossScaler);

    mSummary.runId = mRunId;
    mSummary.device = mDevice.str();
    mSummary.totalSteps = mTotalSteps;
    log(LogLevel::Info, "run " + std::to_string(mRunId) + ": " + std::to_string(mData.train->size()) + " train, "
                            + std::to_string(mData.validation->size()) + " validation, "
                            + std::to_string(mData.test->size()) + " test examples"
                            + (mData.fromCache ? " (tokenized earlier, from the cache)" : "") + "; "
                            + std::to_string(mTotalSteps) + " steps on " + mDevice.str());
}

Error Trainer::divergence(double loss, double gradNorm, double lr) const
{
    const bool lossBad = !std::isfinite(loss);
    const double value = lossBad ? loss : gradNorm;
    return Error(ErrorKind::InvalidInput, std::string(lossBad ? "the training loss" : "the gradient norm") + " became "
                                              + (std::isnan(value) ? "NaN" : "infinite") + " at step " + std::to_string(mState.step + 1) + " (learning rate "
                                              + std::to_string(lr) + ", last gradient norm "
                                              + std::to_string(mLastGradNorm) + "); lower learning_rate or "
                                              + "check the data");
}

void Trainer::optimiserStep()
{
    const AutocastScope autocast(mAutocast, mDevice);
    mModel->module().train();
    std::vector<std::vector<std::int64_t>> batches;
    std::vector<std::int64_t> epochs;
    for (std::int64_t micro = 0; micro < mConfig.gradientAccumulationSteps; ++micro) {
        epochs.push_back(mSampler->position().epoch);
        batches.push_back(mSampler->next());
    }
    prefetchNextStep();
    const double lossScale = mScaler->scale();
    AccumulatedGradients gradients = mAccumulator->accumulate(*mModel, *mOptimizer, batches, lossScale, epochs);
    if (mGroup)
        mCancelAgreed = sumOverWorkers(*mGroup, gradients, mControl.cancel);
    const double stepLoss = gradients.loss;
    const double lr = learningRateAt(mConfig, mState.step, mTotalSteps);
    if (lossScale != 1.0)
        mOptimizer->scaleGradients(1.0 / lossScale);
    const double gradNorm = mConfig.maxGradNorm > 0 ? mOptimizer->clipGradNorm(mConfig.maxGradNorm) : mOptimizer->gradNorm();
    const bool finite = std::isfinite(stepLoss) && std::isfinite(gradNorm);
    if (mScaler->update(finite)) {
        if (!finite)
            throw divergence(stepLoss, gradNorm, lr);
        mLastGradNorm = gradNorm;
        mOptimizer->step(lr);
    } else {
        if (mScaler->state().skippedInARow >= kMaxSkippedSteps)
            throw divergence(stepLoss, gradNorm, lr);
        log(LogLevel::Warning, "fp16: gradients overflowed at step " + std::to_string(mState.step + 1)
                                   + "; step skipped, loss scale now " + std::to_string(mScaler->scale()));
    }
    mOptimizer->zeroGrad();
    mState.lossScaler = mScaler->state();
    const std::int64_t samples = gradients.samples;
    const std::int64_t tokens = gradients.tokens;

    ++mState.step;
    mState.position = mSampler->position();
    mState.lossSum += stepLoss;
    ++mState.lossCount;
    mState.samplesSeen += samples;
    mState.tokensSeen += tokens;
    mThroughput.stepDone(samples, tokens);
    mLastLoss = stepLoss;

    const double epoch = static_cast<double>(mState.position.epoch)
                         + static_cast<double>(mState.position.batch) / static_cast<double>(mSampler->batchesPerEpoch());
    if (mState.step % mConfig.loggingSteps == 0 || mState.step == mTotalSteps) {
        const double meanLoss = mState.lossSum / static_cast<double>(mState.lossCount);
        const double wall = elapsedSeconds();
        mSink->metric({mState.step, epoch, "train/loss", meanLoss, wall});
        mSink->metric({mState.step, epoch, "train/learning_rate", lr, wall});
        mSink->metric({mState.step, epoch, "train/grad_norm", mLastGradNorm, wall});
        if (mDistiller)
            mDistiller->reportParts(*mSink, mState.step, epoch, wall);
        mState.lossSum = 0;
        mState.lossCount = 0;
    }

    TrainingProgress progress;
    progress.step = mState.step;
    progress.totalSteps = mTotalSteps;
    progress.epoch = epoch;
    progress.samplesPerSecond = mThroughput.samplesPerSecond();
    progress.tokensPerSecond = mThroughput.tokensPerSecond();
    progress.etaSeconds = mThroughput.secondsPerStep() * static_cast<double>(mTotalSteps - mState.step);
    progress.learningRate = lr;
    progress.loss = stepLoss;
    progress.elapsedSeconds = elapsedSeconds();
    mSink->progress(progress);
}

// Images: the next step's batches are decoded and augmented on the
// pipeline's threads while this step computes.
void Trainer::prefetchNextStep()
{
    if (mModel->inputKind() != InputKind::Image || mState.step + 1 >= mTotalSteps)
        return;
    BatchSampler ahead = *mSampler;
    for (std::int64_t micro = 0; micro < mConfig.gradientAccumulationSteps; ++micro) {
        const std::int64_t epoch = ahead.position().epoch;
        const std::vector<std::int64_t> rows = ahead.next();
        mData.train->prefetch(workerSlice(rows, mRequest.distributed.rank, mRequest.distributed.worldSize), epoch);
    }
}

EvaluationOptions Trainer::evaluationOptions() const
{
    EvaluationOptions options;
    options.batchSize = mConfig.perDeviceEvalBatchSize;
    options.device = mDevice;
    if (mGroup) { // each worker evaluates its share of the batches
        options.worker = mRequest.distributed.rank;
        options.workers = mRequest.distributed.worldSize;
        options.sumOverWorkers = [this](std::vector<at::Tensor> &tensors) { mGroup->allReduceSum(tensors); };
    }
    return options;
}

void Trainer::evaluateValidation()
{
    if (mData.validation->size() == 0)
        return;
    const EvaluationResult result = evaluate(*mModel, *mData.validation, mLabels.size(), evaluationOptions());
    mEvalMetrics = metricMap("eval", result);
    const double epoch = static_cast<double>(mState.position.epoch)
                         + static_cast<double>(mState.position.batch) / static_cast<double>(mSampler->batchesPerEpoch());
    for (const auto &[name, value] : mEvalMetrics)
        mSink->metric({mState.step, epoch, "eval/" + name.substr(5), value, elapsedSeconds()});

    const double metric = bestMetricOf(mConfig, mEvalMetrics);
    const bool better = mState.bestStep < 0 || (greaterIsBetter(mConfig) ? metric > mState.bestMetric : metric < mState.bestMetric);
    log(LogLevel::Info, "step " + std::to_string(mState.step) + ": eval loss " + std::to_string(result.loss)
                            + ", accuracy " + std::to_string(result.metrics.accuracy) + (better ? " (best so far)" : ""));
    if (better) {
        mState.bestMetric = metric;
        mState.bestStep = mState.step;
        mState.evaluationsWithoutGain = 0;
        saveCheckpoint(true);
    } else {
        ++mState.evaluationsWithoutGain;
    }
}

// The project folder may be deleted or moved while a run trains; the run
// stops at its next write, saying what happened.
Error Trainer::projectGone() const
{
    return Error(ErrorKind::NotFound, "the project " + mProject.folder().string() + " was deleted or moved while run "
                                          + std::to_string(mRunId) + " trained; the run stopped at step "
                                          + std::to_string(mState.step));
}

void Trainer::requireProject() const
{
    if (!mProject.stillOnDisk())
        throw projectGone();
}

void Trainer::saveCheckpoint(bool best)
{
    if (!mStore)
        return; // rank 0 writes the checkpoints of a data-parallel run
    requireProject();
    const std::string relative = "runs/" + std::to_string(mRunId) + "/checkpoint-" + std::to_string(mState.step);
    const fs::path folder = mProject.folder() / relative;
    fs::create_directories(folder.parent_path());
    mState.trainingSeconds = elapsedSeconds();
    saveTrainingCheckpoint(folder, *mModel, *mOptimizer, mState);
    mStore->flush();
    addCheckpoint(mProject, mRunId, {mState.step, relative, false});
    if (best)
        markBestCheckpoint(mProject, mRunId, mState.step);
    pruneCheckpoints(mProject, mRunId, mConfig.saveTotalLimit);
}

void Trainer::loop()
{
    mThroughput.start();
    while (mState.step < mTotalSteps) {
        requireProject();
        // Workers of a data-parallel run stop together, at the step they agreed on.
        if (mGroup ? mCancelAgreed : mControl.cancel.load()) {
            mSink->stateChanged(RunState::Cancelled, "cancelled at step " + std::to_string(mState.step));
            mSummary.state = RunState::Cancelled;
            return;
        }
        if (mControl.pause && !mGroup) {
            mSink->stateChanged(RunState::Paused, "paused at step " + std::to_string(mState.step));
            while (mControl.pause && !mControl.cancel)
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
            if (!mControl.cancel)
                mSink->stateChanged(RunState::Running, "resumed");
            continue;
        }
        const std::int64_t stopAt = mControl.stopAfterStep;
        if (stopAt > 0 && mState.step >= stopAt) {
            mSink->stateChanged(RunState::Interrupted, "stopped after step " + std::to_string(mState.step));
            mSummary.state = RunState::Interrupted;
            return;
        }

        const std::int64_t epochBefore = mState.position.epoch;
        optimiserStep();
        const bool epochEnded = mState.position.epoch > epochBefore || mState.step == mTotalSteps;
        const bool evaluate = (mConfig.evalStrategy == EvalStrategy::Steps && mState.step % mConfig.evalSteps == 0)
                              || (mConfig.evalStrategy == EvalStrategy::Epoch && epochEnded);
        const bool checkpointDue = mConfig.saveSteps > 0 ? mState.step % mConfig.saveSteps == 0 : epochEnded;
        if (evaluate) {
            const std::int64_t bestBefore = mState.bestStep;
            evaluateValidation();
            if (mState.bestStep != bestBefore)
                continue; // a new best was just saved, and counts as this step's checkpoint
            if (mConfig.earlyStoppingPatience > 0 && mState.evaluationsWithoutGain >= mConfig.earlyStoppingPatience) {
                log(LogLevel::Info, "early stopping: no improvement in " + std::to_string(mState.evaluationsWithoutGain)
                                        + " evaluations");
                saveCheckpoint(false);
                break;
            }
        }
        if (checkpointDue)
            saveCheckpoint(false);
    }
    finish();
}

// The final model as a Hugging Face folder; with LoRA, the adapter beside it
// and the weights merged.
void Trainer::saveFinalModel(const fs::path &modelFolder)
{
    requireProject();
    fs::create_directories(modelFolder);
    if (hasLora(mModel->module())) {
        // The adapter beside the model folder, not in it: transformers would take an adapter_config.json
        // there for a PEFT adapter and load the base model instead of this merged one.
        mSummary.adapterFolder = modelFolder.parent_path() / "adapter";
        saveLoraAdapter(mModel->module(), loraConfigOf(mConfig, *mModel), mModelPath, mSummary.adapterFolder,
                        mModel->peftTaskType());
        mergeLora(mModel->module());
    }
    mModel->save(modelFolder);
    if (const fs::path adapter = saveRunMethodFiles(*mModel, mConfig, mModelPath, modelFolder); !adapter.empty())
        mSummary.adapterFolder = adapter;
    if (mModel->inputKind() == InputKind::Text)
        copyTokenizerFiles(mSource.folder, modelFolder);
}

void Trainer::finish()
{
    if (mConfig.loadBestModelAtEnd && mState.bestStep >= 0 && mState.bestStep != mState.step) {
        const fs::path best = mProject.folder() / ("runs/" + std::to_string(mRunId) + "/checkpoint-" + std::to_string(mState.bestStep));
        mModel->loadState(loadSafetensors(best / "model.safetensors"), (best / "model.safetensors").string());
        log(LogLevel::Info, "loaded the best model (step " + std::to_string(mState.bestStep) + ")");
    }
    const fs::path modelFolder = mProject.folder() / "runs" / std::to_string(mRunId) / "model";
    if (mStore)
        saveFinalModel(modelFolder);
    mSummary.modelFolder = modelFolder;

    if (mData.test->size() > 0) {
        mSummary.testMetrics = metricMap("test", evaluate(*mModel, *mData.test, mLabels.size(), evaluationOptions()));
        for (const auto &[name, value] : mSummary.testMetrics)
            mSink->metric({mState.step, static_cast<double>(mState.position.epoch), "test/" + name.substr(5), value,
                           elapsedSeconds()});
    }
    mSink->stateChanged(RunState::Completed, "");
    mSummary.state = RunState::Completed;
}

// Records how the run ended, unless the store is what failed (a full disk, a
// database another process holds): the caller is told the first error, not that.
void Trainer::recordEnd(RunState state, const std::string &detail)
{
    try {
        mSink->stateChanged(state, detail);
    } catch (const std::exception &e) {
        mOuterSink.log(LogLevel::Warning, "could not record that run " + std::to_string(mRunId) + " ended: " + e.what());
    }
}

TrainingSummary Trainer::run()
{
    mSessionStart = ThroughputMeter::Clock::now();
    setUp();
    try {
        mSink->stateChanged(RunState::Running, "");
        loop();
    } catch (const std::exception &e) {
        // A deleted project is the cause, whatever failed first (a checkpoint's folder, most often).
        if (!mProject.stillOnDisk()) {
            const Error gone = projectGone();
            recordEnd(RunState::Failed, gone.what());
            throw gone;
        }
        const auto *error = dynamic_cast<const Error *>(&e);
        recordEnd(error && error->kind() == ErrorKind::Cancelled ? RunState::Cancelled : RunState::Failed, e.what());
        if (error)
            throw;
        // c10::Error and friends: recorded, then reported as ours.
        throw Error(ErrorKind::Internal, std::string("training failed: ") + e.what());
    }
    mSummary.steps = mState.step;
    mSummary.epochs = static_cast<double>(mState.position.epoch)
                      + static_cast<double>(mState.position.batch) / static_cast<double>(mSampler->batchesPerEpoch());
    mSummary.samplesPerSecond = mThroughput.samplesPerSecond();
    mSummary.tokensPerSecond = mThroughput.tokensPerSecond();
    mSummary.microBatchSize = mAccumulator->microBatchRows() > 0 ? mAccumulator->microBatchRows()
                                                                 : mConfig.perDeviceTrainBatchSize;
    mSummary.firstStepSeconds = mThroughput.firstStepSeconds();
    mSummary.runtimeSeconds = std::chrono::duration<double>(ThroughputMeter::Clock::now() - mSessionStart).count();
    mSummary.finalTrainLoss = mLastLoss;
    mSummary.evalMetrics = mEvalMetrics;
    mSummary.peakRssMb = peakResidentMegabytes();
    if (mStore)
        mStore->flush();
    return mSummary;
}

} // namespace

TrainingSummary train(const TrainingRequest &request, ProgressSink &sink, RunControl &control)
{
    Trainer trainer(request, sink, control);
    return trainer.run();
}

} // namespace ft
