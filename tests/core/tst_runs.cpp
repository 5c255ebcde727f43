// tst_runs.cpp: run records, state changes, metrics and checkpoints.
#include "common/error.h"
#include "store/catalog.h"
#include "store/datasets.h"
#include "store/project.h"
#include "store/runs.h"
#include "store/sqlite.h"
#include "tempproject.h"
#include "testhelpers.h"
#include "testregistry.h"

#include <QTemporaryDir>
#include <QTest>

using namespace ft;
using ft::test::expectError;

class RunStoreTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void lifecycleSetsTimestamps()
    {
        QTemporaryDir dir;
        Project project = Project::create(ft::test::toPath(dir.path()));
        const auto dataset = createDataset(project, "d", "");
        const auto id = createRun(project, {"first", dataset, std::nullopt, R"({"seed":42})", "cpu"});
        RunDetails run = runDetails(project, id);
        QCOMPARE(int(run.state), int(RunState::Queued));
        QVERIFY(run.startedAt.empty());
        QCOMPARE(QString::fromStdString(run.configJson), QStringLiteral(R"({"seed":42})"));

        setRunState(project, id, RunState::Running);
        run = runDetails(project, id);
        QVERIFY(!run.startedAt.empty());
        QVERIFY(run.finishedAt.empty());
        const std::string started = run.startedAt;

        setRunState(project, id, RunState::Paused);
        setRunState(project, id, RunState::Running);
        QCOMPARE(runDetails(project, id).startedAt, started); // the first start is kept

        setRunState(project, id, RunState::Failed, "loss became NaN at step 12");
        run = runDetails(project, id);
        QCOMPARE(int(run.state), int(RunState::Failed));
        QVERIFY(!run.finishedAt.empty());
        QCOMPARE(QString::fromStdString(run.error), QStringLiteral("loss became NaN at step 12"));
        QCOMPARE(QString::fromStdString(listRuns(project).at(0).state), QStringLiteral("failed"));

        QVERIFY_THROWS_EXCEPTION(Error, runDetails(project, 999));
        QVERIFY_THROWS_EXCEPTION(Error, setRunState(project, 999, RunState::Running));
        for (auto state : {RunState::Queued, RunState::Running, RunState::Paused, RunState::Completed,
                           RunState::Failed, RunState::Cancelled, RunState::Interrupted})
            QCOMPARE(int(runStateFromString(toString(state))), int(state));
    }

    void metricsNeverDuplicateAcrossAResume()
    {
        QTemporaryDir dir;
        Project project = Project::create(ft::test::toPath(dir.path()));
        const auto id = createRun(project, {"r", std::nullopt, std::nullopt, "{}", "cpu"});
        std::vector<MetricPoint> points;
        for (int step = 1; step <= 10; ++step)
            points.push_back({step, step / 5.0, "train/loss", 1.0 / step});
        addMetrics(project, id, points);

        // Resumed from the checkpoint at step 6: steps 7-10 are redone.
        deleteMetricsAfter(project, id, 6);
        QCOMPARE(runMetrics(project, id, "train/loss").size(), size_t{6});
        std::vector<MetricPoint> redone;
        for (int step = 6; step <= 10; ++step)
            redone.push_back({step, step / 5.0, "train/loss", 2.0 / step});
        addMetrics(project, id, redone);

        const auto loss = runMetrics(project, id, "train/loss");
        QCOMPARE(loss.size(), size_t{10});
        for (int i = 0; i < 10; ++i)
            QCOMPARE(loss[i].step, std::int64_t{i + 1});
        QCOMPARE(loss[5].value, 2.0 / 6); // replaced, not duplicated
        addMetrics(project, id, std::vector<MetricPoint>{{10, 2.0, "eval/accuracy", 0.9, 12.5}});
        QCOMPARE(runMetrics(project, id).size(), size_t{11});
        QCOMPARE(runMetrics(project, id, "eval/accuracy").front().wallSeconds, 12.5);
    }

    void checkpointsAndTheBestOne()
    {
        QTemporaryDir dir;
        Project project = Project::create(ft::test::toPath(dir.path()));
        const auto id = createRun(project, {"r", std::nullopt, std::nullopt, "{}", "cpu"});
        for (int step : {100, 200, 300})
            addCheckpoint(project, id, {step, "runs/1/checkpoint-" + std::to_string(step), false});
        markBestCheckpoint(project, id, 200);
        removeCheckpoint(project, id, 100);
        const auto checkpoints = runCheckpoints(project, id);
        QCOMPARE(checkpoints.size(), size_t{2});
        QCOMPARE(checkpoints[0].step, std::int64_t{200});
        QVERIFY(checkpoints[0].isBest);
        QVERIFY(!checkpoints[1].isBest);

        // Deleting the run takes its metrics, checkpoints and folder along; other runs stay.
        addMetrics(project, id, std::vector<MetricPoint>{{1, 0, "train/loss", 1}});
        const auto other = createRun(project, {"other", std::nullopt, std::nullopt, "{}", "cpu"});
        addMetrics(project, other, std::vector<MetricPoint>{{1, 0, "train/loss", 2}});
        const auto folder = project.folder() / "runs" / std::to_string(id);
        std::filesystem::create_directories(folder / "checkpoint-200");
        deleteRun(project, id);
        QVERIFY(!std::filesystem::exists(folder));
        QCOMPARE(project.database().queryInt("SELECT count(*) FROM checkpoints"), std::int64_t{0});
        QCOMPARE(project.database().queryInt("SELECT count(*) FROM metrics"), std::int64_t{1});
        QCOMPARE(runDetails(project, other).name, std::string("other"));
        expectError([&] { deleteRun(project, id); }, ErrorKind::NotFound, QStringLiteral("run"));
    }
};

FT_REGISTER_TEST(RunStoreTest);

#include "tst_runs.moc"
