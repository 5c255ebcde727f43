// tst_comparisonview.cpp: a teacher and a student distilled from it on the sample project, put
// side by side: four rows (each run as float32 and int8) whose accuracy is the runs' own, the
// relative columns against the teacher, Cancel stopping a comparison that is timing, a run
// without a model reported in the view, and Compare… on the Runs page opening it teacher first.
#include "data/sample_dataset.h"
#include "nullsink.h"
#include "pages/runspage.h"
#include "runs/comparisonview.h"
#include "store/project.h"
#include "store/runs.h"
#include "tempproject.h"
#include "testregistry.h"
#include "train/trainer.h"
#include "uitesthelpers.h"

#include <QItemSelectionModel>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QToolButton>

using namespace ft;
using namespace ft::ui;

namespace {

QString cellText(const ComparisonView &view, int row, int column)
{
    const QTableWidgetItem *item = view.table()->item(row, column);
    return item ? item->text() : QString();
}

} // namespace

class ComparisonViewTest : public QObject {
    Q_OBJECT

private:
    QTemporaryDir mDir;
    std::filesystem::path mFolder;
    std::int64_t mTeacher = 0;
    std::int64_t mStudent = 0;

private Q_SLOTS:
    void initTestCase()
    {
        mFolder = ft::test::toPath(mDir.filePath(QStringLiteral("sample")));
        QVERIFY(ensureSampleProject(mFolder));
        TrainingRequest teach;
        teach.project = mFolder;
        teach.dataset = "product-reviews";
        teach.model = "scratch:" + (mFolder / "scratch-model" / "config.json").string();
        teach.config = loadRunConfig(mFolder / "scratch-model" / "run.json");
        teach.config.maxSteps = 30;
        ft::test::NullSink sink;
        RunControl control;
        mTeacher = train(teach, sink, control).runId;
        // The student: one of the teacher's two layers; dataset and model are the teacher's.
        TrainingRequest distil;
        distil.project = mFolder;
        distil.config = teach.config;
        distil.config.maxSteps = 10;
        distil.config.distillTeacherRun = mTeacher;
        distil.config.studentLayers = 1;
        distil.runName = "student";
        mStudent = train(distil, sink, control).runId;
    }

    void comparesTeacherAndStudent()
    {
        ComparisonView view(mFolder, {mTeacher, mStudent});
        view.resize(1080, 360);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        QSignalSpy finished(&view, &ComparisonView::finished);
        view.start();
        QVERIFY(view.isRunning());
        QVERIFY(view.progressBar()->isVisible());
        QVERIFY(view.cancelButton()->isEnabled());
        QVERIFY(!view.againButton()->isEnabled());
        QVERIFY(finished.wait(180000));
        QVERIFY(!view.isRunning());
        QVERIFY2(!view.statusLabel()->text().contains(QStringLiteral("cannot be compared")),
                 qPrintable(view.statusLabel()->text()));

        QCOMPARE(view.table()->rowCount(), 4);
        const QStringList variants{QStringLiteral("float32"), QStringLiteral("int8"), QStringLiteral("float32"),
                                   QStringLiteral("int8")};
        const std::int64_t runs[] = {mTeacher, mTeacher, mStudent, mStudent};
        Project project = Project::open(mFolder);
        for (int row = 0; row < 4; ++row) {
            const ComparedModel &m = view.comparison().models[std::size_t(row)];
            QCOMPARE(m.runId, runs[row]);
            QCOMPARE(cellText(view, row, ComparisonView::VariantColumn), variants[row]);
            QCOMPARE(cellText(view, row, ComparisonView::LayersColumn), QString::number(row < 2 ? 2 : 1));
            QCOMPARE(cellText(view, row, ComparisonView::AccuracyColumn),
                     QStringLiteral("%1 %").arg(m.accuracy * 100, 0, 'f', 1));
            QCOMPARE(cellText(view, row, ComparisonView::LatencyColumn), QString::number(m.latencyMs, 'f', 2));
            QVERIFY(m.latencyMs > 0 && m.latencyP90Ms >= m.latencyMs);
            // float32 rows: the accuracy the run measured on its test split when it finished.
            if (row % 2 == 0) {
                const auto tested = runMetrics(project, runs[row], "test/accuracy");
                QVERIFY(!tested.empty());
                QVERIFY2(std::abs(tested.back().value - m.accuracy) < 1e-6,
                         qPrintable(QStringLiteral("run %1: %2 against %3")
                                        .arg(runs[row])
                                        .arg(tested.back().value)
                                        .arg(m.accuracy)));
            }
        }
        QVERIFY(cellText(view, 0, ComparisonView::RunColumn).endsWith(QStringLiteral("(teacher)")));
        QCOMPARE(cellText(view, 2, ComparisonView::RunColumn),
                 QStringLiteral("#%1 student (student of #%2)").arg(mStudent).arg(mTeacher));
        QCOMPARE(cellText(view, 0, ComparisonView::SpeedUpColumn), QStringLiteral("reference"));
        const auto &models = view.comparison().models;
        QCOMPARE(cellText(view, 2, ComparisonView::SpeedUpColumn),
                 QStringLiteral("%1×").arg(models[0].latencyMs / models[2].latencyMs, 0, 'f', 2));
        const double points = (models[2].accuracy - models[0].accuracy) * 100;
        QVERIFY2(cellText(view, 2, ComparisonView::AccuracyChangeColumn)
                     .endsWith(QStringLiteral("%1 pts").arg(std::abs(points), 0, 'f', 1)),
                 qPrintable(cellText(view, 2, ComparisonView::AccuracyChangeColumn)));
        // int8 copies are smaller than their float32 models.
        QVERIFY(models[1].bytes < models[0].bytes && models[3].bytes < models[2].bytes);
        QVERIFY(view.statusLabel()->text().contains(QStringLiteral("latency over 30 single-example predictions")));
        QVERIFY(view.againButton()->isEnabled());
        QVERIFY(!view.progressBar()->isVisible());
        QTest::qWait(50); // the status label's new height laid out
        view.grab().save(ft::test::artifactPath(QStringLiteral("comparison.png")));
    }

    void cancelStopsARunningComparison()
    {
        ComparisonView view(mFolder, {mTeacher, mStudent});
        view.request().latencyRuns = 1000000; // far longer than the test waits
        view.show();
        QSignalSpy finished(&view, &ComparisonView::finished);
        view.start();
        QTRY_VERIFY_WITH_TIMEOUT(view.progressBar()->value() > 600, 120000); // timing predictions
        QTest::mouseClick(view.cancelButton(), Qt::LeftButton);
        QVERIFY(finished.wait(30000));
        QVERIFY(!view.isRunning());
        QCOMPARE(view.table()->rowCount(), 0);
        QVERIFY2(view.statusLabel()->text().startsWith(QStringLiteral("Comparison cancelled")),
                 qPrintable(view.statusLabel()->text()));
        QVERIFY(view.againButton()->isEnabled());
    }

    void failuresShowInTheView()
    {
        Project project = Project::open(mFolder);
        NewRun queued;
        queued.name = "never trained";
        queued.configJson = "{}";
        const std::int64_t unfinished = createRun(project, queued);
        ComparisonView view(mFolder, {mTeacher, unfinished});
        view.show();
        QSignalSpy finished(&view, &ComparisonView::finished);
        view.start();
        QVERIFY(finished.wait(60000));
        QCOMPARE(view.table()->rowCount(), 0);
        QVERIFY2(view.statusLabel()->text().contains(
                     QStringLiteral("These runs cannot be compared: run %1 has no finished model").arg(unfinished)),
                 qPrintable(view.statusLabel()->text()));
        deleteRun(project, unfinished);
    }

    void runsPageComparesADistilledRun()
    {
        Project project = Project::open(mFolder);
        QCOMPARE(ComparisonView::runsToCompare(project, {mStudent}), (std::vector<std::int64_t>{mTeacher, mStudent}));
        QCOMPARE(ComparisonView::runsToCompare(project, {mStudent, mTeacher}),
                 (std::vector<std::int64_t>{mTeacher, mStudent}));
        QVERIFY(ComparisonView::runsToCompare(project, {mTeacher}).empty());

        RunsPage page;
        page.resize(1100, 700);
        page.setProject(&project);
        page.show();
        QVERIFY(QTest::qWaitForWindowExposed(&page));
        QToolButton *compare = nullptr;
        for (QToolButton *button : page.findChildren<QToolButton *>())
            if (button->text() == QStringLiteral("Compare…"))
                compare = button;
        QVERIFY(compare);
        // Newest first: the student, then the teacher.
        QTableWidget *list = page.runList();
        QCOMPARE(list->item(0, 0)->text(), QString::number(mStudent));
        QCOMPARE(list->item(1, 0)->text(), QString::number(mTeacher));
        const auto clickRow = [list](int row, Qt::KeyboardModifiers modifiers) {
            const QRect cell = list->visualItemRect(list->item(row, 1));
            QTest::mouseClick(list->viewport(), Qt::LeftButton, modifiers, cell.center());
        };
        clickRow(1, Qt::NoModifier); // the teacher alone has nothing to compare with
        QVERIFY(!compare->isEnabled());
        clickRow(0, Qt::NoModifier); // the distilled run: with its teacher
        QVERIFY(compare->isEnabled());
        clickRow(1, Qt::ControlModifier); // both
        QCOMPARE(list->selectionModel()->selectedRows().size(), 2);
        QVERIFY(compare->isEnabled());

        QTest::mouseClick(compare, Qt::LeftButton);
        auto *view = page.findChild<ComparisonView *>();
        QVERIFY(view);
        QVERIFY(view->isWindow());
        QCOMPARE(view->request().runs, (std::vector<std::int64_t>{mTeacher, mStudent}));
        QVERIFY(view->request().quantized);
        QVERIFY(view->isRunning());
        view->cancel();
        QTRY_VERIFY_WITH_TIMEOUT(!view->isRunning(), 60000);
        view->close();
    }
};

FT_REGISTER_TEST(ComparisonViewTest);

#include "tst_comparisonview.moc"
