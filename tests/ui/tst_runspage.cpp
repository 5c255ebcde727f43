// tst_runspage.cpp: the Runs page as a person uses it on the sample project:
// New Run through the dialog, the run training while its progress and log
// update, Pause and Resume from the toolbar, a second run queued and then
// cancelled before it starts, and the finished run listed from the store.
#include "data/sample_dataset.h"
#include "charts/metricschart.h"
#include "pages/runspage.h"
#include "labelling/balancechart.h"
#include "runs/playground.h"
#include "runs/rundialog.h"
#include "runs/runqueue.h"
#include "store/project.h"
#include "store/runs.h"
#include "nullsink.h"
#include "tempproject.h"
#include "train/run_inputs.h"
#include "train/trainer.h"
#include "testregistry.h"
#include "uitesthelpers.h"

#include <QComboBox>
#include <QLabel>
#include <QMessageBox>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QToolButton>

using namespace ft;
using namespace ft::ui;

namespace {

void launch(RunsPage &page, int maxSteps)
{
    RunDialog *dialog = page.newRun();
    QVERIFY(dialog);
    auto *steps = qobject_cast<QLineEdit *>(dialog->field(QStringLiteral("max_steps")));
    steps->setText(QString::number(maxSteps));
    QVERIFY(dialog->launchButton()->isEnabled());
    QTest::mouseClick(dialog->launchButton(), Qt::LeftButton);
}

QString stateOf(const RunsPage &page, int row)
{
    return page.runList()->item(row, 2)->text();
}

QToolButton *button(RunsPage &page, const QString &text)
{
    for (QToolButton *b : page.findChildren<QToolButton *>())
        if (b->text() == text)
            return b;
    return nullptr;
}

} // namespace

class RunsPageTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void launchWatchPauseQueueAndCancel()
    {
        QTemporaryDir dir;
        const auto folder = ft::test::toPath(dir.filePath(QStringLiteral("sample")));
        QVERIFY(ensureSampleProject(folder));
        Project project = Project::open(folder);
        RunsPage page;
        page.resize(1000, 700);
        page.setProject(&project);
        page.show();
        QVERIFY(QTest::qWaitForWindowExposed(&page));
        QVERIFY(page.showsEmptyNote());

        launch(page, 3000);
        QCOMPARE(page.runList()->rowCount(), 1);
        QTRY_COMPARE(stateOf(page, 0), QStringLiteral("running"));
        QTRY_VERIFY(page.progressBar()->value() > 0);
        QVERIFY(page.progressBar()->isVisible());
        QVERIFY2(page.progressText()->text().contains(QStringLiteral(" of 3000 · epoch ")),
                 qPrintable(page.progressText()->text()));
        QVERIFY(page.progressText()->text().contains(QStringLiteral("ETA")));
        QTRY_VERIFY(page.logView()->toPlainText().contains(QStringLiteral("state: running")));
        // Points arrive on the chart as the run trains.
        // (samples/s comes every step; the loss every logging_steps, then it is the metric shown)
        QTRY_COMPARE(page.chart()->metric(), QStringLiteral("train/loss"));
        QTRY_VERIFY(page.chart()->rawGraph(1) && page.chart()->rawGraph(1)->dataCount() >= 2);

        QTest::mouseClick(button(page, QStringLiteral("Pause")), Qt::LeftButton);
        QTRY_COMPARE(stateOf(page, 0), QStringLiteral("paused"));
        const int pausedAt = page.progressBar()->value();
        QTest::qWait(200);
        QCOMPARE(page.progressBar()->value(), pausedAt);
        page.grab().save(ft::test::artifactPath(QStringLiteral("runs-page-paused.png")));
        QTest::mouseClick(button(page, QStringLiteral("Resume")), Qt::LeftButton);
        QTRY_COMPARE(stateOf(page, 0), QStringLiteral("running"));

        // A second run waits behind it; cancelled, it leaves without ever starting.
        launch(page, 10);
        QCOMPARE(page.runList()->rowCount(), 2);
        QCOMPARE(stateOf(page, 1), QStringLiteral("queued"));
        QVERIFY(page.runList()->selectionModel()->isRowSelected(1, {}));
        QTest::mouseClick(button(page, QStringLiteral("Cancel")), Qt::LeftButton);
        QCOMPARE(page.runList()->rowCount(), 1);

        // Cancel the first too: it ends as cancelled in the store, listed with its id.
        page.runList()->selectRow(0);
        QTest::mouseClick(button(page, QStringLiteral("Cancel")), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(page.queue()->isIdle(), 30000);
        QTRY_COMPARE(stateOf(page, 0), QStringLiteral("cancelled"));
        QCOMPARE(page.runList()->item(0, 0)->text(), QStringLiteral("1"));
        QVERIFY(page.logView()->toPlainText().contains(QStringLiteral("state: cancelled")));

        // And one that runs to its end.
        launch(page, 15);
        QTRY_VERIFY_WITH_TIMEOUT(page.queue()->isIdle(), 60000);
        QTRY_COMPARE(stateOf(page, 0), QStringLiteral("completed"));
        // The chart holds exactly the run's stored loss points (the live ones, as they came).
        const auto storedLoss = runMetrics(project, 2, "train/loss");
        QCOMPARE(page.chart()->rawGraph(2)->dataCount(), int(storedLoss.size()));
        // On the wall-time axis the points sit at the training seconds the store keeps with them.
        page.chart()->setXAxis(MetricsChart::XAxis::WallTime);
        QVERIFY(storedLoss.back().wallSeconds > 0);
        QCOMPARE(page.chart()->rawGraph(2)->data()->at(page.chart()->rawGraph(2)->dataCount() - 1)->key,
                 storedLoss.back().wallSeconds);
        page.chart()->setXAxis(MetricsChart::XAxis::Step);
        page.grab().save(ft::test::artifactPath(QStringLiteral("runs-page.png")));

        // Try the finished run's model in the playground.
        page.runList()->selectRow(0);
        QTest::mouseClick(button(page, QStringLiteral("Try…")), Qt::LeftButton);
        auto *playground = page.findChild<Playground *>();
        QVERIFY(playground);
        QTRY_VERIFY(playground->isReady());
        QSignalSpy explained(playground, &Playground::explained);
        QTest::keyClicks(playground->input(), QStringLiteral("the kettle is excellent"));
        QTRY_COMPARE(explained.count(), 1);
        QCOMPARE(playground->chart()->counts().size(), 3);
        playground->close();

        // Run again with changes: the dialog starts from run 1's settings.
        page.runList()->selectRow(1);
        QCOMPARE(page.runList()->item(1, 0)->text(), QStringLiteral("1"));
        QTest::mouseClick(button(page, QStringLiteral("Run Again…")), Qt::LeftButton);
        auto *again = page.findChild<RunDialog *>();
        QVERIFY(again && again->isVisible());
        QCOMPARE(again->config().maxSteps, std::int64_t{3000});
        QCOMPARE(again->datasetBox()->currentText(), QStringLiteral("product-reviews"));
        again->close();

        // Delete asks first; Cancel keeps the run, Delete removes it with its folder.
        QTest::mouseClick(button(page, QStringLiteral("Delete…")), Qt::LeftButton);
        auto *box = page.findChild<QMessageBox *>();
        QVERIFY(box && box->text().contains(QStringLiteral("Delete run 1")));
        QTest::mouseClick(box->button(QMessageBox::Cancel), Qt::LeftButton);
        QCOMPARE(page.runList()->rowCount(), 2);
        page.runList()->selectRow(1);
        QTest::mouseClick(button(page, QStringLiteral("Delete…")), Qt::LeftButton);
        box = page.findChild<QMessageBox *>();
        QPushButton *remove = nullptr;
        for (QAbstractButton *b : box->buttons())
            if (b->text() == QStringLiteral("Delete"))
                remove = qobject_cast<QPushButton *>(b);
        QVERIFY(remove);
        QTest::mouseClick(remove, Qt::LeftButton);
        QTRY_COMPARE(page.runList()->rowCount(), 1);
        QCOMPARE(page.runList()->item(0, 0)->text(), QStringLiteral("2"));
        QVERIFY(!std::filesystem::exists(folder / "runs" / "1"));
    }

    // Closing the studio interrupts a training run; the next studio lists it
    // as interrupted and Resume continues it to its end, as the same run.
    void interruptedRunResumesWithOneClick()
    {
        QTemporaryDir dir;
        const auto folder = ft::test::toPath(dir.filePath(QStringLiteral("sample")));
        QVERIFY(ensureSampleProject(folder));
        Project project = Project::open(folder);
        {
            RunsPage first;
            first.setProject(&project);
            launch(first, 400);
            QTRY_VERIFY(first.progressBar()->value() > 5);
        } // the window closes
        RunsPage page;
        page.setProject(&project);
        page.show();
        QCOMPARE(page.runList()->rowCount(), 1);
        QCOMPARE(stateOf(page, 0), QStringLiteral("interrupted"));
        page.runList()->selectRow(0);
        QToolButton *resume = button(page, QStringLiteral("Resume"));
        QVERIFY(resume->isEnabled());
        QTest::mouseClick(resume, Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(page.queue()->isIdle(), 60000);
        QTRY_COMPARE(stateOf(page, 0), QStringLiteral("completed"));
        QCOMPARE(page.runList()->rowCount(), 1);
        QCOMPARE(page.runList()->item(0, 0)->text(), QStringLiteral("1"));
        QVERIFY(!resume->isEnabled());
    }

    // A run the store still calls running, but that no process trains (the
    // studio was killed), is listed as interrupted and can be resumed.
    void crashedRunIsShownInterrupted()
    {
        QTemporaryDir dir;
        const auto folder = ft::test::toPath(dir.filePath(QStringLiteral("sample")));
        QVERIFY(ensureSampleProject(folder));
        Project project = Project::open(folder);
        const std::int64_t runId = createRun(project, {"crashed", std::nullopt, std::nullopt, "{}", "cpu"});
        setRunState(project, runId, RunState::Running);
        RunsPage page;
        page.setProject(&project);
        QCOMPARE(stateOf(page, 0), QStringLiteral("interrupted"));
        page.runList()->selectRow(0);
        QVERIFY(button(page, QStringLiteral("Resume"))->isEnabled());
    }

    // A run trained in a copy of the project (elsewhere) comes in, listed and selected.
    void importRunFromACopy()
    {
        QTemporaryDir dir;
        const auto folder = ft::test::toPath(dir.filePath(QStringLiteral("sample")));
        QVERIFY(ensureSampleProject(folder));
        const auto copy = ft::test::toPath(dir.filePath(QStringLiteral("copy")));
        std::filesystem::copy(folder, copy, std::filesystem::copy_options::recursive);
        {
            TrainingRequest request;
            request.project = copy;
            request.dataset = "product-reviews";
            request.model = kScratchModelPrefix + (copy / "scratch-model" / "config.json").string();
            request.config.maxSteps = 2;
            request.config.threads = 1;
            request.config.evalStrategy = EvalStrategy::No;
            ft::test::NullSink sink;
            RunControl control;
            QCOMPARE(int(train(request, sink, control).state), int(RunState::Completed));
        }
        Project project = Project::open(folder);
        RunsPage page;
        page.setProject(&project);
        QCOMPARE(page.runList()->rowCount(), 0);
        QVERIFY(page.importButton()->isEnabled());
        QVERIFY(page.importRunFrom(QString::fromStdString(copy.string()), 1));
        QCOMPARE(page.runList()->rowCount(), 1);
        QCOMPARE(stateOf(page, 0), QStringLiteral("completed"));
        QVERIFY(page.runList()->item(0, 1)->text().endsWith(QStringLiteral("(imported)")));
        QVERIFY(page.runList()->selectionModel()->isRowSelected(0, {}));
        QVERIFY(std::filesystem::is_regular_file(folder / "runs" / "1" / "model" / "model.safetensors"));

        QVERIFY(!page.importRunFrom(QString::fromStdString(copy.string()), 9));
        QCOMPARE(page.runList()->rowCount(), 1);
    }
};

FT_REGISTER_TEST(RunsPageTest);

#include "tst_runspage.moc"
