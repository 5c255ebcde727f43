// tst_exportpage.cpp: the Exports page as a person uses it: pick a finished
// run and a format, export, watch it finish with the check's figures, open
// the folder, see the export listed; the adapter formats only for LoRA runs;
// a refused export (the folder exists) says why and keeps the folder; Export…
// on the Runs page lands here with that run chosen.
#include "data/sample_dataset.h"
#include "mainwindow.h"
#include "nullsink.h"
#include "pages/exportpage.h"
#include "pages/runspage.h"
#include "pages/tablepage.h"
#include "store/catalog.h"
#include "store/project.h"
#include "tempproject.h"
#include "testregistry.h"
#include "train/run_config.h"
#include "train/trainer.h"
#include "uitesthelpers.h"

#include <QComboBox>
#include <QDir>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableView>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QToolButton>

using namespace ft;
using namespace ft::ui;

namespace {

std::int64_t trainSampleRun(const std::filesystem::path &folder)
{
    TrainingRequest request;
    request.project = folder;
    request.dataset = "product-reviews";
    request.model = "scratch:" + (folder / "scratch-model" / "config.json").string();
    request.config = loadRunConfig(folder / "scratch-model" / "run.json");
    request.config.maxSteps = 20;
    ft::test::NullSink sink;
    RunControl control;
    return train(request, sink, control).runId;
}

} // namespace

class ExportPageTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void exportsARunAndListsIt()
    {
        QTemporaryDir dir;
        const auto folder = ft::test::toPath(dir.filePath(QStringLiteral("sample")));
        QVERIFY(ensureSampleProject(folder));
        const std::int64_t runId = trainSampleRun(folder);
        Project project = Project::open(folder);

        ExportPage page;
        page.resize(1100, 760);
        page.setProject(&project);
        page.show();
        QVERIFY(page.showsEmptyNote());
        QCOMPARE(page.runChoice()->count(), 1);
        QCOMPARE(page.runChoice()->currentData().toLongLong(), qlonglong(runId));
        // A run trained without LoRA has no adapter to export.
        QVERIFY(page.formatEnabled(ExportFormat::HuggingFace));
        QVERIFY(!page.formatEnabled(ExportFormat::Peft));
        QVERIFY(!page.formatEnabled(ExportFormat::Merged));
        // The suggested folder follows the format.
        QVERIFY(page.outputField()->text().endsWith(QStringLiteral("exports/run-1-hf")));
        auto *int8 = page.findChild<QAbstractButton *>(QStringLiteral("format-onnx-int8"));
        QTest::mouseClick(int8, Qt::LeftButton, {}, QPoint(8, int8->height() / 2)); // on its indicator
        QVERIFY(page.outputField()->text().endsWith(QStringLiteral("exports/run-1-onnx-int8")));

        QSignalSpy finished(&page, &ExportPage::exportFinished);
        QTest::mouseClick(page.exportButton(), Qt::LeftButton);
        QVERIFY(page.isExporting());
        QVERIFY(!page.exportButton()->isEnabled());
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 60000);
        QCOMPARE(finished.front().front().toBool(), true);
        const QString said = page.resultText()->text();
        for (const char *part : {"Exported", "smaller than float32", "Checked on 104 test examples", "ms at batch 32"})
            QVERIFY2(said.contains(QLatin1String(part)), qPrintable(said));
        QVERIFY(std::filesystem::exists(folder / "exports/run-1-onnx-int8/model.onnx"));
        QVERIFY(page.exportButton()->isEnabled());

        // Listed with its check's figures; Show in folder opens the export.
        QVERIFY(!page.showsEmptyNote());
        const QAbstractItemModel *history = page.history()->table()->model();
        QCOMPARE(history->rowCount(), 1);
        QCOMPARE(history->index(0, 2).data().toString(), QStringLiteral("onnx-int8"));
        QVERIFY(history->index(0, 4).data().toDouble() > 0); // accuracy
        QVERIFY(history->index(0, 7).data().toDouble() > 0); // ms/example at batch 1
        QString opened;
        page.setFolderOpener([&opened](const QString &f) { opened = f; });
        QVERIFY(page.showFolderButton()->isVisible());
        QTest::mouseClick(page.showFolderButton(), Qt::LeftButton);
        QVERIFY2(opened.endsWith(QStringLiteral("exports/run-1-onnx-int8")), qPrintable(opened));
        // The next suggestion does not clash with the export just made.
        QVERIFY(page.outputField()->text().endsWith(QStringLiteral("exports/run-1-onnx-int8-2")));
        page.grab().save(ft::test::artifactPath(QStringLiteral("export-page.png")));

        // A folder that exists is refused, named, and left as it was.
        QDir().mkpath(dir.filePath(QStringLiteral("taken")));
        page.outputField()->setText(dir.filePath(QStringLiteral("taken")));
        QTest::mouseClick(page.exportButton(), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 2, 60000);
        QCOMPARE(finished.back().front().toBool(), false);
        QVERIFY2(page.resultText()->text().contains(QStringLiteral("already exists")), qPrintable(page.resultText()->text()));
        QVERIFY(QDir(dir.filePath(QStringLiteral("taken"))).isEmpty());
        QCOMPARE(listExports(project).size(), size_t{1});
    }

    void cancelLeavesNothing()
    {
        QTemporaryDir dir;
        const auto folder = ft::test::toPath(dir.filePath(QStringLiteral("sample")));
        QVERIFY(ensureSampleProject(folder));
        trainSampleRun(folder);
        Project project = Project::open(folder);
        ExportPage page;
        page.setProject(&project);
        page.show();
        QSignalSpy finished(&page, &ExportPage::exportFinished);
        QTest::mouseClick(page.exportButton(), Qt::LeftButton);
        QTest::mouseClick(page.cancelButton(), Qt::LeftButton); // at once: the first progress report stops it
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 60000);
        QCOMPARE(finished.front().front().toBool(), false);
        QCOMPARE(page.resultText()->text(), QStringLiteral("Export cancelled; nothing was written."));
        QVERIFY(QDir(QString::fromStdString((folder / "exports").string()))
                    .entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot)
                    .isEmpty());
        QVERIFY(listExports(project).empty());
    }

    void runsPageExportLandsHere()
    {
        QTemporaryDir dir;
        const auto folder = ft::test::toPath(dir.filePath(QStringLiteral("sample")));
        QVERIFY(ensureSampleProject(folder));
        trainSampleRun(folder);
        const std::int64_t second = trainSampleRun(folder);
        MainWindow window;
        window.show();
        QVERIFY(window.openProject(QString::fromStdString(folder.string())));
        auto *runs = qobject_cast<RunsPage *>(window.page(MainWindow::RunsPageIndex));
        runs->refresh();
        runs->runList()->selectRow(runs->runList()->rowCount() - 1); // newest first: the first run
        QVERIFY(runs->exportButton()->isEnabled());
        runs->runList()->selectRow(0);
        QTest::mouseClick(runs->exportButton(), Qt::LeftButton);
        QCOMPARE(window.currentPage(), int(MainWindow::ExportsPageIndex));
        auto *exports = qobject_cast<ExportPage *>(window.page(MainWindow::ExportsPageIndex));
        QCOMPARE(exports->runChoice()->currentData().toLongLong(), qlonglong(second));
    }
};

FT_REGISTER_TEST(ExportPageTest);

#include "tst_exportpage.moc"
