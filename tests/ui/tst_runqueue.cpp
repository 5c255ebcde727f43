// tst_runqueue.cpp: runs on a worker thread, one at a time: reports arrive
// on the GUI thread while it keeps running, the waiting order can change,
// a run pauses (no step while paused) and resumes, a waiting run is
// cancelled without starting, a running one is cancelled between steps, and
// the next one starts when one ends.
#include "data/sample_dataset.h"
#include "runs/runqueue.h"
#include "store/datasets.h"
#include "store/project.h"
#include "store/runs.h"
#include "tempproject.h"
#include "testregistry.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

namespace fs = std::filesystem;
using namespace ft;
using namespace ft::ui;

namespace {

const fs::path kTinyModel = fs::path(FT_SHARED_DIR) / "golden" / "tiny-bert-uncased";

TrainingRequest requestFor(const fs::path &project, std::int64_t steps)
{
    TrainingRequest request;
    request.project = project;
    request.dataset = "reviews";
    request.model = kTinyModel.string();
    request.config.maxSteps = steps;
    request.config.perDeviceTrainBatchSize = 8;
    request.config.loggingSteps = 1;
    request.config.evalStrategy = EvalStrategy::No;
    request.config.saveSteps = 1000;
    request.config.threads = 1;
    request.config.maxLength = 32;
    return request;
}

QList<int> order(const RunQueue &queue)
{
    QList<int> ids;
    for (const auto &item : queue.items())
        ids << item.id;
    return ids;
}

} // namespace

class RunQueueTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void runsOneAtATimeWithPauseCancelAndReorder()
    {
        QTemporaryDir dir;
        const fs::path folder = ft::test::toPath(dir.filePath(QStringLiteral("project")));
        {
            Project project = Project::create(folder);
            addExamples(project, createDataset(project, "reviews", "generated"), generateSampleReviews(200, 3));
        }
        RunQueue queue;
        QSignalSpy points(&queue, &RunQueue::metricPoint);
        QSignalSpy finished(&queue, &RunQueue::runFinished);
        bool reportsOnGuiThread = true;
        connect(&queue, &RunQueue::metricPoint, this,
                [&] { reportsOnGuiThread = reportsOnGuiThread && QThread::currentThread() == thread(); });

        const int a = queue.enqueue(requestFor(folder, 40), QStringLiteral("A"));
        const int b = queue.enqueue(requestFor(folder, 5), QStringLiteral("B"));
        const int c = queue.enqueue(requestFor(folder, 400), QStringLiteral("C"));
        QCOMPARE(order(queue), (QList<int>{a, b, c}));
        QCOMPARE(queue.runningItem(), std::optional<int>(a));
        QVERIFY(!queue.moveUp(a));   // the running one stays first
        QVERIFY(queue.moveDown(b));  // C will run before B
        QCOMPARE(order(queue), (QList<int>{a, c, b}));

        QTRY_VERIFY_WITH_TIMEOUT(points.count() > 6, 30000);
        QVERIFY(queue.item(a)->runId.has_value());
        QVERIFY(queue.pause(a));
        QTRY_COMPARE(int(queue.item(a)->state), int(RunQueue::ItemState::Paused));
        const auto pausedAt = points.count();
        QTest::qWait(300);
        QCOMPARE(points.count(), pausedAt); // no step while paused
        QVERIFY(queue.resume(a));
        QTRY_COMPARE(int(queue.item(a)->state), int(RunQueue::ItemState::Running));

        QVERIFY(queue.cancel(b)); // waiting: leaves the queue without running
        QCOMPARE(int(queue.item(b)->outcome), int(RunState::Cancelled));
        QCOMPARE(finished.count(), 1);

        QTRY_VERIFY_WITH_TIMEOUT(queue.item(a)->state == RunQueue::ItemState::Finished, 60000);
        QCOMPARE(int(queue.item(a)->outcome), int(RunState::Completed));
        QTRY_COMPARE(queue.runningItem(), std::optional<int>(c)); // the next one started
        QTRY_VERIFY_WITH_TIMEOUT(queue.item(c)->runId.has_value(), 30000);
        QVERIFY(queue.cancel(c));
        QTRY_VERIFY_WITH_TIMEOUT(queue.isIdle(), 30000);
        QCOMPARE(int(queue.item(c)->outcome), int(RunState::Cancelled));
        QCOMPARE(finished.count(), 3);
        QVERIFY(reportsOnGuiThread);

        // The store agrees: A completed with a point per step, C cancelled, B never created.
        Project project = Project::open(folder);
        QCOMPARE(int(runDetails(project, *queue.item(a)->runId).state), int(RunState::Completed));
        QCOMPARE(runMetrics(project, *queue.item(a)->runId, "train/loss").size(), size_t{40});
        QCOMPARE(int(runDetails(project, *queue.item(c)->runId).state), int(RunState::Cancelled));
        QVERIFY(!queue.item(b)->runId);
    }

    void destroyingTheQueueStopsItsRun()
    {
        QTemporaryDir dir;
        const fs::path folder = ft::test::toPath(dir.filePath(QStringLiteral("project")));
        {
            Project project = Project::create(folder);
            addExamples(project, createDataset(project, "reviews", "generated"), generateSampleReviews(100, 5));
        }
        std::int64_t runId = 0;
        {
            RunQueue queue;
            const int a = queue.enqueue(requestFor(folder, 100000), QStringLiteral("long"));
            QTRY_VERIFY_WITH_TIMEOUT(queue.item(a)->runId.has_value(), 30000);
            runId = *queue.item(a)->runId;
        } // must not hang
        Project project = Project::open(folder);
        QCOMPARE(int(runDetails(project, runId).state), int(RunState::Interrupted));
    }
};

FT_REGISTER_TEST(RunQueueTest);

#include "tst_runqueue.moc"
