// tst_trainer.cpp: the training engine end to end on a small project: an
// interrupted and resumed run ends with the same weights and metrics as an
// uninterrupted one; cancel, pause, NaN losses, checkpoint rotation and
// out-of-memory recovery.
#include "common/error.h"
#include "data/sample_dataset.h"
#include "models/safetensors.h"
#include "store/datasets.h"
#include "store/project.h"
#include "store/runs.h"
#include "tempproject.h"
#include "testhelpers.h"
#include "testregistry.h"
#include "train/run_lock.h"
#include "train/time_estimate.h"
#include "train/trainer.h"
#include "train/training_checkpoint.h"

#include <ATen/ATen.h>
#include <c10/util/Exception.h>
#include <nlohmann/json.hpp>

#include <QTemporaryDir>

#include <QTest>

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <fstream>
#include <functional>
#include <thread>

namespace fs = std::filesystem;
using namespace ft;

namespace {

const fs::path kTinyModel = fs::path(FT_SHARED_DIR) / "golden" / "tiny-bert-uncased";

class RecordingSink : public ProgressSink {
public:
    void metric(const MetricPoint &) override {}
    void progress(const TrainingProgress &p) override
    {
        lastStep = p.step;
        if (onStep)
            onStep(p.step);
        if (cancelAtStep > 0 && p.step >= cancelAtStep && control)
            control->cancel = true;
    }
    void log(LogLevel, const std::string &message) override { logs.push_back(message); }
    void stateChanged(RunState state, const std::string &) override { states.push_back(state); }

    std::vector<RunState> states;
    std::vector<std::string> logs;
    std::atomic<std::int64_t> lastStep{0};
    std::int64_t cancelAtStep = 0;
    std::function<void(std::int64_t step)> onStep;
    RunControl *control = nullptr;
};

fs::path makeProject(const QTemporaryDir &dir)
{
    const fs::path folder = ft::test::toPath(dir.filePath(QStringLiteral("project")));
    Project project = Project::create(folder);
    const auto dataset = createDataset(project, "reviews", "generated");
    addExamples(project, dataset, generateSampleReviews(200, 11));
    return folder;
}

RunConfig smallConfig()
{
    RunConfig config;
    config.maxSteps = 16;
    config.perDeviceTrainBatchSize = 8;
    config.learningRate = 5e-4;
    config.warmupSteps = 2;
    config.weightDecay = 0.01;
    config.saveSteps = 5;
    config.saveTotalLimit = 0;
    config.loggingSteps = 1;
    config.evalStrategy = EvalStrategy::Steps;
    config.evalSteps = 8;
    config.seed = 7;
    config.threads = 1;
    config.maxLength = 32;
    return config;
}

// The tiny model with dropout off, so that results depend on the rows alone.
fs::path withoutDropout(const QTemporaryDir &dir)
{
    const fs::path folder = ft::test::toPath(dir.filePath(QStringLiteral("tiny-no-dropout")));
    fs::create_directories(folder);
    for (const auto &entry : fs::directory_iterator(kTinyModel))
        fs::copy_file(entry.path(), folder / entry.path().filename());
    nlohmann::json config = test::readJsonFile(folder / "config.json");
    config["hidden_dropout_prob"] = 0.0;
    config["attention_probs_dropout_prob"] = 0.0;
    std::ofstream(folder / "config.json") << config.dump(2);
    return folder;
}

TrainingRequest requestFor(const fs::path &project, const RunConfig &config)
{
    TrainingRequest request;
    request.project = project;
    request.dataset = "reviews";
    request.model = kTinyModel.string();
    request.config = config;
    return request;
}

} // namespace

class TrainerTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void resumedRunEqualsUninterruptedRun()
    {
        QTemporaryDir dir;
        const fs::path project = makeProject(dir);

        RecordingSink sinkA;
        RunControl controlA;
        const TrainingSummary a = train(requestFor(project, smallConfig()), sinkA, controlA);
        QCOMPARE(int(a.state), int(RunState::Completed));
        QCOMPARE(a.steps, std::int64_t{16});

        // The same run, stopped after step 12 (the last checkpoint is at 10), then resumed.
        RecordingSink sinkB;
        RunControl controlB;
        controlB.stopAfterStep = 12;
        const TrainingSummary stopped = train(requestFor(project, smallConfig()), sinkB, controlB);
        QCOMPARE(int(stopped.state), int(RunState::Interrupted));
        QCOMPARE(stopped.steps, std::int64_t{12});
        {
            Project opened = Project::open(project);
            QCOMPARE(int(runDetails(opened, stopped.runId).state), int(RunState::Interrupted));
            QCOMPARE(runMetrics(opened, stopped.runId, "train/loss").size(), size_t{12});
        }

        TrainingRequest resume;
        resume.project = project;
        resume.resumeRun = stopped.runId;
        RecordingSink sinkC;
        RunControl controlC;
        const TrainingSummary b = train(resume, sinkC, controlC);
        QCOMPARE(int(b.state), int(RunState::Completed));
        QCOMPARE(b.runId, stopped.runId);
        QVERIFY(std::any_of(sinkC.logs.begin(), sinkC.logs.end(),
                            [](const std::string &l) { return l.find("resumed from runs/") != std::string::npos; }));

        // Bit-identical weights.
        const TensorMap weightsA = loadSafetensors(a.modelFolder / "model.safetensors");
        const TensorMap weightsB = loadSafetensors(b.modelFolder / "model.safetensors");
        QCOMPARE(weightsA.size(), weightsB.size());
        for (const auto &[name, tensor] : weightsA)
            QVERIFY2(at::equal(tensor, weightsB.at(name)), name.c_str());

        // The same metric points, none duplicated or missing.
        Project opened = Project::open(project);
        const auto lossA = runMetrics(opened, a.runId, "train/loss");
        const auto lossB = runMetrics(opened, b.runId, "train/loss");
        QCOMPARE(lossB.size(), size_t{16});
        for (size_t i = 0; i < lossA.size(); ++i) {
            QCOMPARE(lossB[i].step, lossA[i].step);
            QCOMPARE(lossB[i].value, lossA[i].value);
        }
        QCOMPARE(runMetrics(opened, b.runId, "eval/accuracy").size(), size_t{2});

        // Wall time goes on from the checkpoint's, over both sessions: never back to 0.
        QVERIFY(lossB.front().wallSeconds > 0);
        for (size_t i = 1; i < lossB.size(); ++i)
            QVERIFY2(lossB[i].wallSeconds >= lossB[i - 1].wallSeconds, qPrintable(QString::number(lossB[i].step)));
        QCOMPARE(a.testMetrics.at("test_accuracy"), b.testMetrics.at("test_accuracy"));
    }

    void checkpointsRotateAndKeepTheBest()
    {
        QTemporaryDir dir;
        const fs::path project = makeProject(dir);
        RunConfig config = smallConfig();
        config.saveSteps = 2;
        config.saveTotalLimit = 2;
        RecordingSink sink;
        RunControl control;
        const TrainingSummary summary = train(requestFor(project, config), sink, control);
        Project opened = Project::open(project);
        const auto checkpoints = runCheckpoints(opened, summary.runId);
        int best = 0;
        for (const auto &checkpoint : checkpoints) {
            QVERIFY(isTrainingCheckpoint(project / checkpoint.path));
            best += checkpoint.isBest ? 1 : 0;
        }
        QCOMPARE(best, 1);
        QVERIFY2(checkpoints.size() <= 3, "two newest plus the best");
        QCOMPARE(checkpoints.back().step, std::int64_t{16});
        // Folders of rotated checkpoints are gone too.
        int folders = 0;
        for (const auto &entry : fs::directory_iterator(project / "runs" / std::to_string(summary.runId)))
            folders += entry.path().filename().string().rfind("checkpoint-", 0) == 0 ? 1 : 0;
        QCOMPARE(folders, int(checkpoints.size()));
    }

    void cancelIsRecorded()
    {
        QTemporaryDir dir;
        const fs::path project = makeProject(dir);
        RecordingSink sink;
        RunControl control;
        sink.control = &control;
        sink.cancelAtStep = 3;
        const TrainingSummary summary = train(requestFor(project, smallConfig()), sink, control);
        QCOMPARE(int(summary.state), int(RunState::Cancelled));
        QCOMPARE(sink.lastStep.load(), std::int64_t{3});
        Project opened = Project::open(project);
        QCOMPARE(int(runDetails(opened, summary.runId).state), int(RunState::Cancelled));
    }

    void divergingLossStopsTheRunWithItsStep()
    {
        QTemporaryDir dir;
        const fs::path project = makeProject(dir);
        RunConfig config = smallConfig();
        config.learningRate = 1e12;
        config.warmupSteps = 0;
        config.maxGradNorm = 0;
        RecordingSink sink;
        RunControl control;
        try {
            train(requestFor(project, config), sink, control);
            QFAIL("a learning rate of 1e12 should make the loss diverge");
        } catch (const Error &e) {
            const QString message = QString::fromStdString(e.what());
            QVERIFY2(message.contains(QStringLiteral("training loss became")), e.what());
            QVERIFY2(message.contains(QStringLiteral("at step")), e.what());
        }
        Project opened = Project::open(project);
        const RunDetails run = runDetails(opened, 1);
        QCOMPARE(int(run.state), int(RunState::Failed));
        QVERIFY(QString::fromStdString(run.error).contains(QStringLiteral("training loss became")));
    }

    void bf16AutocastTrainsAndSavesFloat32()
    {
        QTemporaryDir dir;
        const fs::path project = makeProject(dir);
        RunConfig config = smallConfig();
        config.bf16 = true;
        config.maxSteps = 6;
        RecordingSink sink;
        RunControl control;
        const TrainingSummary summary = train(requestFor(project, config), sink, control);
        QCOMPARE(int(summary.state), int(RunState::Completed));
        QVERIFY(std::isfinite(summary.finalTrainLoss));
        for (const auto &[name, tensor] : loadSafetensors(summary.modelFolder / "model.safetensors"))
            QVERIFY2(tensor.scalar_type() == at::kFloat, name.c_str());
    }

    // An out-of-memory step is redone in smaller micro-batches; the recipe,
    // and so the result, stay those of the configured batch.
    void outOfMemoryShrinksMicroBatchesAndKeepsTheResult()
    {
        QTemporaryDir dir;
        const fs::path project = makeProject(dir);
        const fs::path model = withoutDropout(dir);
        RunConfig config = smallConfig();
        config.maxSteps = 6;
        config.evalStrategy = EvalStrategy::No;
        config.saveSteps = 3;

        RecordingSink sinkA;
        RunControl controlA;
        TrainingRequest request = requestFor(project, config);
        request.model = model.string();
        const TrainingSummary a = train(request, sinkA, controlA);
        QCOMPARE(a.microBatchSize, std::int64_t{8});

        std::int64_t failures = 0;
        request.beforeMicroBatch = [&failures](std::int64_t rows) {
            if (rows > 2) {
                ++failures;
                throw c10::OutOfMemoryError({__func__, __FILE__, static_cast<std::uint32_t>(__LINE__)},
                                            "CUDA out of memory (simulated)");
            }
        };
        RecordingSink sinkB;
        RunControl controlB;
        const TrainingSummary b = train(request, sinkB, controlB);
        QCOMPARE(int(b.state), int(RunState::Completed));
        QCOMPARE(b.steps, std::int64_t{6});
        QCOMPARE(b.microBatchSize, std::int64_t{2});
        QCOMPARE(failures, std::int64_t{2}); // 8 then 4 rows, at the first step only
        QVERIFY(std::any_of(sinkB.logs.begin(), sinkB.logs.end(), [](const std::string &l) {
            return l.find("out of memory at step 1: micro-batches now hold 2 examples") != std::string::npos;
        }));
        const TensorMap weightsA = loadSafetensors(a.modelFolder / "model.safetensors");
        const TensorMap weightsB = loadSafetensors(b.modelFolder / "model.safetensors");
        for (const auto &[name, tensor] : weightsA) {
            // The key biases' gradient is zero but for rounding (softmax ignores a constant added to every
            // score), and AdamW turns that noise into full-size steps; the two runs' noise differs.
            if (name.find("attention.self.key.bias") != std::string::npos)
                continue;
            QVERIFY2(at::allclose(tensor, weightsB.at(name), 1e-4, 1e-5), name.c_str());
        }
        QVERIFY(std::abs(a.finalTrainLoss - b.finalTrainLoss) < 1e-4);

        // A resumed run keeps the size that fits.
        const auto state = test::readJsonFile(project / "runs" / std::to_string(b.runId) / "checkpoint-6" / "trainer_state.json");
        QCOMPARE(state.at("micro_batch_rows").get<std::int64_t>(), std::int64_t{2});
    }

    void pauseWaitsBetweenStepsAndResumes()
    {
        QTemporaryDir dir;
        const fs::path project = makeProject(dir);
        RunConfig config = smallConfig();
        config.maxSteps = 6;
        RecordingSink sink;
        RunControl control;
        sink.onStep = [&](std::int64_t step) {
            if (step == 2)
                control.pause = true;
        };
        std::int64_t stepAfterPause = -1;
        std::thread resumer([&] {
            while (!control.pause)
                std::this_thread::sleep_for(std::chrono::milliseconds(5));
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
            stepAfterPause = sink.lastStep;
            control.pause = false;
        });
        const TrainingSummary summary = train(requestFor(project, config), sink, control);
        resumer.join();
        QCOMPARE(stepAfterPause, std::int64_t{2}); // no step while paused
        QCOMPARE(int(summary.state), int(RunState::Completed));
        QCOMPARE(summary.steps, std::int64_t{6});
        const std::vector<RunState> expected{RunState::Running, RunState::Paused, RunState::Running, RunState::Completed};
        QCOMPARE(sink.states, expected);
    }

    void fp16NeedsCuda()
    {
        QTemporaryDir dir;
        const fs::path project = makeProject(dir);
        RunConfig config = smallConfig();
        config.fp16 = true;
        config.device = "auto"; // resolves to the CPU on a machine without CUDA
        RecordingSink sink;
        RunControl control;
        if (at::hasCUDA())
            QSKIP("this machine has CUDA; fp16 trains there");
        FT_VERIFY_ERROR(train(requestFor(project, config), sink, control), ErrorKind::Incompatible,
                        QStringLiteral("fp16 needs a CUDA device"), QStringLiteral("use bf16 on the CPU"));
    }

    // The run dialog's time estimate: a few real steps on a sample, scaled to
    // the run, leaving the project as it was and no scratch files behind.
    void timeEstimateFromAFewSteps()
    {
        QTemporaryDir dir;
        const fs::path project = makeProject(dir);
        const auto scratchFolders = [] {
            int count = 0;
            for (const auto &entry : fs::directory_iterator(fs::temp_directory_path()))
                count += entry.path().filename().string().rfind("finetune-estimate-", 0) == 0 ? 1 : 0;
            return count;
        };
        const int before = scratchFolders();
        const RunConfig config = smallConfig();
        const TimeEstimate estimate = estimateTrainingTime(requestFor(project, config), 3);
        QCOMPARE(estimate.measuredSteps, std::int64_t{2});
        QVERIFY(estimate.samplesPerSecond > 0);
        QCOMPARE(estimate.totalSteps, std::int64_t{16});
        QVERIFY(std::abs(estimate.trainingSeconds - 16.0 * 8.0 / estimate.samplesPerSecond) < 1e-9);
        QVERIFY(estimate.evaluationSeconds > 0); // two evaluations (eval_steps 8) and the test split
        QCOMPARE(scratchFolders(), before);
        Project opened = Project::open(project);
        QCOMPARE(opened.summary().runs, std::int64_t{0});
    }

    // A run's lock is held while a process trains it and dropped when that
    // process dies, however it dies; a locked run cannot be trained twice.
    void runLockFollowsTheTrainingProcess()
    {
        QTemporaryDir dir;
        const fs::path project = makeProject(dir);
        QVERIFY(!isRunBeingTrained(project, 7));
        {
            RunLock lock(project, 7);
            QVERIFY(isRunBeingTrained(project, 7));
            FT_VERIFY_ERROR(RunLock(project, 7), ErrorKind::InvalidInput,
                            QStringLiteral("run 7 is being trained by another process"));
        }
        QVERIFY(!isRunBeingTrained(project, 7));

        // Another process takes the lock and is killed with SIGKILL.
        int ready[2];
        QCOMPARE(::pipe(ready), 0);
        const std::string file = (project / "runs" / "7" / ".lock").string();
        const pid_t child = ::fork();
        if (child == 0) {
            const int fd = ::open(file.c_str(), O_RDWR | O_CREAT, 0644);
            ::flock(fd, LOCK_EX);
            const char byte = 1;
            (void)!::write(ready[1], &byte, 1);
            for (;;)
                ::pause();
        }
        char byte = 0;
        QCOMPARE(::read(ready[0], &byte, 1), ssize_t{1});
        QVERIFY(isRunBeingTrained(project, 7));
        ::kill(child, SIGKILL);
        ::waitpid(child, nullptr, 0);
        QVERIFY(!isRunBeingTrained(project, 7));
        ::close(ready[0]);
        ::close(ready[1]);

        // Resuming a run another process trains is refused before anything changes.
        RecordingSink sink;
        RunControl control;
        control.stopAfterStep = 2;
        const TrainingSummary stopped = train(requestFor(project, smallConfig()), sink, control);
        RunLock other(project, stopped.runId);
        TrainingRequest resume;
        resume.project = project;
        resume.resumeRun = stopped.runId;
        RunControl resumeControl;
        FT_VERIFY_ERROR(train(resume, sink, resumeControl), ErrorKind::InvalidInput,
                        QStringLiteral("is being trained by another process"));
        Project opened = Project::open(project);
        QCOMPARE(int(runDetails(opened, stopped.runId).state), int(RunState::Interrupted));
    }

    void badRequestsAreRefusedBeforeARunExists()
    {
        QTemporaryDir dir;
        const fs::path project = makeProject(dir);
        RecordingSink sink;
        RunControl control;
        TrainingRequest request = requestFor(project, smallConfig());
        request.dataset = "nope";
        QVERIFY_THROWS_EXCEPTION(Error, train(request, sink, control));
        request = requestFor(project, smallConfig());
        request.model = "/nonexistent/model";
        QVERIFY_THROWS_EXCEPTION(Error, train(request, sink, control));
        Project opened = Project::open(project);
        QCOMPARE(opened.summary().runs, std::int64_t{0});
    }
};

FT_REGISTER_TEST(TrainerTest);

#include "tst_trainer.moc"
