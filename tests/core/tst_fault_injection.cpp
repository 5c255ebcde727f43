// tst_fault_injection.cpp: faults from outside end a run or an export with a
// clear error and lose nothing: a full disk while a checkpoint or an export is
// written, a read-only project folder, a project deleted while it trains, and
// a database another process holds. Each time the previous checkpoint or
// export stays intact and this process goes on working.
#include "common/error.h"
#include "data/sample_dataset.h"
#include "export/run_export.h"
#include "models/atomic_file.h"
#include "store/catalog.h"
#include "store/datasets.h"
#include "store/project.h"
#include "store/runs.h"
#include "tempproject.h"
#include "testhelpers.h"
#include "testregistry.h"
#include "without_dac_override.h"
#include "train/trainer.h"
#include "train/training_checkpoint.h"

#include <QElapsedTimer>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <linux/capability.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <functional>
#include <map>
#include <thread>

namespace fs = std::filesystem;
using namespace ft;

namespace {

const fs::path kTinyModel = fs::path(FT_SHARED_DIR) / "golden" / "tiny-bert-uncased";

class LogSink : public ProgressSink {
public:
    void metric(const MetricPoint &) override {}
    void progress(const TrainingProgress &p) override
    {
        lastStep = p.step;
        if (onStep)
            onStep(p.step);
    }
    void log(LogLevel, const std::string &message) override { logs.push_back(message); }
    void stateChanged(RunState, const std::string &) override {}
    void runCreated(std::int64_t id) override { runId = id; }

    bool logged(const std::string &text) const
    {
        return std::any_of(logs.begin(), logs.end(), [&](const std::string &l) { return l.find(text) != std::string::npos; });
    }

    std::vector<std::string> logs;
    std::atomic<std::int64_t> lastStep{0};
    std::atomic<std::int64_t> runId{0};
    std::function<void(std::int64_t step)> onStep;
};

fs::path makeProject(const fs::path &folder)
{
    Project project = Project::create(folder);
    addExamples(project, createDataset(project, "reviews", "generated"), generateSampleReviews(120, 11));
    return folder;
}

RunConfig quickConfig(std::int64_t steps)
{
    RunConfig config;
    config.maxSteps = steps;
    config.perDeviceTrainBatchSize = 8;
    config.learningRate = 5e-4;
    config.saveSteps = 4;
    config.saveTotalLimit = 0;
    config.loggingSteps = 1;
    config.evalStrategy = EvalStrategy::No;
    config.seed = 7;
    config.threads = 1;
    config.maxLength = 32;
    return config;
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

std::int64_t trainQuickRun(const fs::path &project, std::int64_t steps = 4)
{
    LogSink sink;
    RunControl control;
    const TrainingSummary summary = train(requestFor(project, quickConfig(steps)), sink, control);
    if (summary.state != RunState::Completed)
        throw std::runtime_error("the run did not complete");
    return summary.runId;
}

// Every file below `folder` with its bytes: to show a folder is exactly as it was.
std::map<std::string, QByteArray> snapshot(const fs::path &folder)
{
    std::map<std::string, QByteArray> files;
    for (const auto &entry : fs::recursive_directory_iterator(folder))
        if (entry.is_regular_file())
            files[fs::relative(entry.path(), folder).string()] = test::readBytes(entry.path());
    return files;
}

// Turns the simulated full disk off however the test ends.
struct DiskFullOff {
    ~DiskFullOff() { simulateDiskFullForTesting(std::nullopt); }
};

using ft::test::WithoutDacOverride;

void setWritable(const fs::path &folder, bool writable)
{
    const auto write = fs::perms::owner_write | fs::perms::group_write | fs::perms::others_write;
    const auto options = writable ? fs::perm_options::add : fs::perm_options::remove;
    fs::permissions(folder, write, options);
    for (const auto &entry : fs::recursive_directory_iterator(folder))
        fs::permissions(entry.path(), write, options);
}

} // namespace

class FaultInjectionTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    // The disk fills up while checkpoint-8 is written: the run fails saying
    // so, the half-written copy is gone, checkpoint-4 is whole, and the run
    // resumes from it to the very weights of a run that never failed.
    void fullDiskWhileCheckpointing()
    {
        QTemporaryDir dir;
        const fs::path project = makeProject(test::toPath(dir.filePath(QStringLiteral("project"))));
        const RunConfig config = quickConfig(12);
        LogSink referenceSink;
        RunControl referenceControl;
        const TrainingSummary reference = train(requestFor(project, config), referenceSink, referenceControl);

        DiskFullOff off;
        LogSink sink;
        RunControl control;
        sink.onStep = [](std::int64_t step) {
            if (step == 5) // checkpoint-4 is written; 4 KiB more and the disk is full
                simulateDiskFullForTesting(4096);
        };
        FT_VERIFY_ERROR(train(requestFor(project, config), sink, control), ErrorKind::Io,
                        QStringLiteral("checkpoint-8.partial/model.safetensors"), QStringLiteral("the disk is full"));
        simulateDiskFullForTesting(std::nullopt);

        const std::int64_t runId = sink.runId;
        const fs::path runFolder = project / "runs" / std::to_string(runId);
        QVERIFY(!fs::exists(runFolder / "checkpoint-8.partial"));
        QVERIFY(!fs::exists(runFolder / "checkpoint-8"));
        QVERIFY(isTrainingCheckpoint(runFolder / "checkpoint-4"));
        {
            Project opened = Project::open(project);
            const RunDetails run = runDetails(opened, runId);
            QCOMPARE(int(run.state), int(RunState::Failed));
            QVERIFY2(QString::fromStdString(run.error).contains(QStringLiteral("the disk is full")), run.error.c_str());
        }

        TrainingRequest resume;
        resume.project = project;
        resume.resumeRun = runId;
        LogSink resumedSink;
        RunControl resumedControl;
        const TrainingSummary resumed = train(resume, resumedSink, resumedControl);
        QCOMPARE(int(resumed.state), int(RunState::Completed));
        QVERIFY(resumedSink.logged("resumed from runs/" + std::to_string(runId) + "/checkpoint-4 (step 4)"));
        QVERIFY(test::readBytes(resumed.modelFolder / "model.safetensors")
                == test::readBytes(reference.modelFolder / "model.safetensors"));
    }

    // Where this process may mount (root, outside most containers): a real
    // full disk, a small tmpfs holding the project, where SQLite's writes may
    // fail too, not only the checkpoint's. Then the disk grows and the run
    // resumes from its newest whole checkpoint.
    void realFullDiskOnTmpfs()
    {
        QTemporaryDir dir;
        const fs::path disk = test::toPath(dir.filePath(QStringLiteral("disk")));
        fs::create_directory(disk);
        if (::mount("tmpfs", disk.c_str(), "tmpfs", 0, "size=3m") != 0)
            QSKIP("cannot mount a tmpfs here (this needs root outside a container); the simulated full disk is tested");
        struct Unmount {
            const fs::path &disk;
            ~Unmount() { ::umount2(disk.c_str(), MNT_DETACH); }
        } unmount{disk};

        const fs::path project = makeProject(disk / "project");
        RunConfig config = quickConfig(40);
        config.saveSteps = 2; // 20 checkpoints of about 650 kB: 3 MB are full after a few, 64 MB are not
        LogSink sink;
        RunControl control;
        FT_VERIFY_ERROR(train(requestFor(project, config), sink, control), ErrorKind::Io, QStringLiteral("disk is full"));
        const fs::path runFolder = project / "runs" / std::to_string(sink.runId);
        for (const auto &entry : fs::directory_iterator(runFolder))
            QVERIFY2(entry.path().extension() != ".partial", entry.path().c_str());

        QCOMPARE(::mount("tmpfs", disk.c_str(), "tmpfs", MS_REMOUNT, "size=64m"), 0);
        std::int64_t newest = 0; // the newest checkpoint recorded whole
        {
            Project opened = Project::open(project);
            for (const CheckpointRecord &checkpoint : runCheckpoints(opened, sink.runId))
                if (isTrainingCheckpoint(project / checkpoint.path))
                    newest = checkpoint.step;
        }
        QVERIFY(newest > 0);
        TrainingRequest resume;
        resume.project = project;
        resume.resumeRun = sink.runId.load();
        LogSink resumedSink;
        RunControl resumedControl;
        const TrainingSummary resumed = train(resume, resumedSink, resumedControl);
        QCOMPARE(int(resumed.state), int(RunState::Completed));
        QVERIFY(resumedSink.logged("(step " + std::to_string(newest) + ")"));
        Project opened = Project::open(project);
        QCOMPARE(opened.integrityCheck(), std::string("ok"));
    }

    // The disk fills up while an export is written, over an earlier export
    // and into a new folder: the earlier export stays byte for byte, and
    // nothing else is left behind, in the folder or in the store.
    void fullDiskWhileExporting_data()
    {
        QTest::addColumn<int>("format");
        QTest::addColumn<int>("bytes");
        QTest::newRow("hf, at the first file written") << int(ExportFormat::HuggingFace) << 0;
        QTest::newRow("torchscript, inside model.pt") << int(ExportFormat::TorchScript) << 100000;
    }
    void fullDiskWhileExporting()
    {
        QFETCH(int, format);
        QFETCH(int, bytes);
        QTemporaryDir dir;
        const fs::path project = makeProject(test::toPath(dir.filePath(QStringLiteral("project"))));
        ExportRequest request;
        request.project = project;
        request.runId = trainQuickRun(project);
        request.format = ExportFormat(format);
        request.output = project / "exports" / "model";
        request.check = false;
        exportRun(request);
        const auto before = snapshot(request.output);

        DiskFullOff off;
        simulateDiskFullForTesting(std::uint64_t(bytes));
        request.overwrite = true;
        FT_VERIFY_ERROR(exportRun(request), ErrorKind::Io, QStringLiteral("the disk is full"));
        request.output = project / "exports" / "new";
        FT_VERIFY_ERROR(exportRun(request), ErrorKind::Io, QStringLiteral("the disk is full"));
        simulateDiskFullForTesting(std::nullopt);

        QVERIFY(snapshot(project / "exports" / "model") == before);
        QCOMPARE(test::folderListing(project / "exports"), QStringList{QStringLiteral("model")}); // no staging folder
        Project opened = Project::open(project);
        QCOMPARE(opened.summary().exports, std::int64_t{1});
    }

    // A project whose folder (or database) cannot be written: opening it,
    // training in it and exporting from it fail at once, naming the folder.
    void readOnlyProject()
    {
        QTemporaryDir dir;
        const fs::path project = makeProject(test::toPath(dir.filePath(QStringLiteral("project"))));
        ExportRequest request;
        request.project = project;
        request.runId = trainQuickRun(project);
        request.output = test::toPath(dir.filePath(QStringLiteral("export")));
        request.check = false;
        const auto before = snapshot(project);

        setWritable(project, false);
        {
            WithoutDacOverride honourModeBits;
            if (std::ofstream(project / "probe"))
                QSKIP("the folder could not be made read-only for this user");
            const QString folder = QString::fromStdString(project.string());
            FT_VERIFY_ERROR(Project::open(project), ErrorKind::Io, folder, QStringLiteral("read-only"));
            LogSink sink;
            RunControl control;
            FT_VERIFY_ERROR(train(requestFor(project, quickConfig(4)), sink, control), ErrorKind::Io, folder,
                            QStringLiteral("read-only"));
            FT_VERIFY_ERROR(exportRun(request), ErrorKind::Io, folder, QStringLiteral("read-only"));
            QVERIFY(!fs::exists(request.output));

            // The folder writable, the database alone read-only.
            fs::permissions(project, fs::perms::owner_write, fs::perm_options::add);
            FT_VERIFY_ERROR(Project::open(project), ErrorKind::Io, QStringLiteral("project.sqlite"),
                            QStringLiteral("read-only"));
        }
        setWritable(project, true);
        QVERIFY(snapshot(project) == before);
        Project opened = Project::open(project);
        QCOMPARE(opened.summary().runs, std::int64_t{1});
    }

    // The project folder is deleted (rm -rf) while a run trains in it: the
    // run fails saying so, and this process trains in another project after.
    void projectDeletedWhileTraining()
    {
        QTemporaryDir dir;
        const fs::path project = makeProject(test::toPath(dir.filePath(QStringLiteral("project"))));
        RunConfig config = quickConfig(100000);
        config.saveSteps = 2; // checkpoints are written often, and the deletion may meet one
        LogSink sink;
        RunControl control;
        QString error;
        ErrorKind kind = ErrorKind::Internal;
        std::atomic<bool> done{false};
        std::thread trainer([&] {
            try {
                train(requestFor(project, config), sink, control);
            } catch (const Error &e) {
                error = QString::fromStdString(e.what());
                kind = e.kind();
            } catch (const std::exception &e) {
                error = QStringLiteral("not an ft::Error: ") + QString::fromStdString(e.what());
            }
            done = true;
        });
        // Plain waits, not QTRY: a failed check must not leave the thread running.
        const auto waitFor = [](const std::function<bool()> &condition, int seconds) {
            for (int i = 0; i < seconds * 20 && !condition(); ++i)
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
            return condition();
        };
        const bool started = waitFor([&] { return sink.lastStep >= 5 || done; }, 60);
        std::error_code ec;
        for (int attempt = 0; attempt < 5 && fs::exists(project / Project::kDatabaseName); ++attempt)
            fs::remove_all(project, ec); // may meet a checkpoint folder being made; again, as rm -rf would be
        const bool stopped = waitFor([&] { return done.load(); }, 30);
        control.cancel = true; // ends a run that went on regardless
        trainer.join();
        QVERIFY2(started, qPrintable(error));
        QVERIFY2(stopped, "the run went on training in a deleted project");
        QCOMPARE(int(kind), int(ErrorKind::NotFound));
        QVERIFY2(error.contains(QString::fromStdString(project.string())), qPrintable(error));
        QVERIFY2(error.contains(QStringLiteral("was deleted or moved")), qPrintable(error));
        QVERIFY(!fs::exists(project / Project::kDatabaseName));

        const fs::path other = makeProject(test::toPath(dir.filePath(QStringLiteral("other"))));
        const std::int64_t runId = trainQuickRun(other);
        Project opened = Project::open(other);
        QCOMPARE(int(runDetails(opened, runId).state), int(RunState::Completed));
    }

    // Another process holds the database's write lock (sqlite3 in BEGIN
    // EXCLUSIVE): training and exporting wait for it, then fail saying the
    // project is in use, leaving the earlier export as it was; once the lock
    // is released both succeed.
    void databaseLockedByAnotherProcess()
    {
        const QString sqlite3 = QStandardPaths::findExecutable(QStringLiteral("sqlite3"));
        if (sqlite3.isEmpty())
            QSKIP("the sqlite3 command-line shell is not installed");
        QTemporaryDir dir;
        const fs::path project = makeProject(test::toPath(dir.filePath(QStringLiteral("project"))));
        ExportRequest request;
        request.project = project;
        request.runId = trainQuickRun(project);
        request.output = project / "exports" / "model";
        request.check = false;
        exportRun(request);
        request.overwrite = true;
        const auto before = snapshot(request.output);

        QProcess holder;
        holder.start(sqlite3, {QString::fromStdString((project / Project::kDatabaseName).string())});
        QVERIFY(holder.waitForStarted());
        holder.write("BEGIN EXCLUSIVE;\nSELECT 'locked';\n");
        QByteArray said;
        while (!said.contains("locked") && holder.waitForReadyRead(10000))
            said += holder.readAllStandardOutput();
        QVERIFY2(said.contains("locked"), said.constData());

        QElapsedTimer waited;
        waited.start();
        LogSink sink;
        RunControl control;
        FT_VERIFY_ERROR(train(requestFor(project, quickConfig(4)), sink, control), ErrorKind::Io,
                        QStringLiteral("project.sqlite"), QStringLiteral("in use by another process"));
        QVERIFY2(waited.elapsed() >= 4500, "it should wait for the lock before failing");
        FT_VERIFY_ERROR(exportRun(request), ErrorKind::Io, QStringLiteral("in use by another process"));
        QVERIFY(snapshot(request.output) == before);
        QCOMPARE(test::folderListing(project / "exports"), QStringList{QStringLiteral("model")});

        holder.write("COMMIT;\n");
        holder.closeWriteChannel();
        QVERIFY(holder.waitForFinished());
        const std::int64_t runId = trainQuickRun(project);
        exportRun(request);
        Project opened = Project::open(project);
        QCOMPARE(opened.summary().runs, std::int64_t{2}); // the refused attempt left no run behind
        QCOMPARE(int(runDetails(opened, runId).state), int(RunState::Completed));
        QCOMPARE(opened.summary().exports, std::int64_t{2});
    }
};

FT_REGISTER_TEST(FaultInjectionTest);

#include "tst_fault_injection.moc"
