// tst_evaluationview.cpp: reviewing a trained run: the classification report
// agrees with the examples, the confusion matrix shows every cell's count,
// clicking a cell lists exactly its examples (highest loss first), a listed
// example is relabelled right there, and likely label errors are listed.
// For an image classifier on an image dataset, the listed examples show
// thumbnails decoded off the UI thread, and unreadable images are reported.
#include "data/dataset_import.h"
#include "data/sample_dataset.h"
#include "models/thumbnailloader.h"
#include "runs/evaluationview.h"
#include "store/datasets.h"
#include "store/labels.h"
#include "store/project.h"
#include "store/runs.h"
#include "tempproject.h"
#include "nullsink.h"
#include "testregistry.h"
#include "train/run_config.h"
#include "train/trainer.h"
#include "uitesthelpers.h"

#include <qcustomplot.h>

#include <QComboBox>
#include <QHeaderView>
#include <QLabel>
#include <QPainter>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>

using namespace ft;
using namespace ft::ui;

namespace {

using QuietSink = ft::test::NullSink;

// The colour of each generated image's background, by class and number.
QColor backgroundOf(int cls, int i)
{
    return QColor::fromHsv((cls * 120 + i * 25) % 360, 150, 235);
}

// val/<class>/<n>.png for the tiny classifiers' classes, and one of each in
// train: a coloured square with a dark shape, different for every file.
std::filesystem::path writeImageFolder(const std::filesystem::path &root)
{
    const char *classes[] = {"ant", "bee", "wasp"};
    for (int cls = 0; cls < 3; ++cls)
        for (int i = 0; i < 5; ++i) {
            const auto folder = root / (i == 4 ? "train" : "val") / classes[cls];
            std::filesystem::create_directories(folder);
            QImage image(120, 90, QImage::Format_RGB32);
            image.fill(backgroundOf(cls, i));
            QPainter painter(&image);
            painter.setRenderHint(QPainter::Antialiasing);
            painter.setBrush(QColor(40, 30, 20));
            painter.setPen(Qt::NoPen);
            painter.drawEllipse(QPointF(30 + i * 15, 45), 14 + cls * 4, 10 + i * 2);
            painter.end();
            image.save(QString::fromStdString((folder / (std::to_string(i) + ".png")).string()));
        }
    return root;
}

} // namespace

class EvaluationViewTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void reportMatrixCellsAndRelabel()
    {
        QTemporaryDir dir;
        const auto folder = ft::test::toPath(dir.filePath(QStringLiteral("sample")));
        QVERIFY(ensureSampleProject(folder));
        TrainingRequest request;
        request.project = folder;
        request.dataset = "product-reviews";
        request.model = "scratch:" + (folder / "scratch-model" / "config.json").string();
        request.config = loadRunConfig(folder / "scratch-model" / "run.json");
        request.config.maxSteps = 60;
        QuietSink sink;
        RunControl control;
        const TrainingSummary run = train(request, sink, control);

        Project project = Project::open(folder);
        EvaluationView view(project, run.runId);
        view.resize(980, 720);
        view.show();
        QTRY_VERIFY_WITH_TIMEOUT(view.isReady(), 30000);
        const SplitEvaluation &e = view.evaluation();
        const int k = int(e.labels.size());
        QCOMPARE(k, 3);
        QVERIFY(e.metrics.total > 0);
        QCOMPARE(view.report()->rowCount(), k + 2);
        double support = 0;
        for (int c = 0; c < k; ++c)
            support += view.report()->item(c, 3)->text().toDouble();
        QCOMPARE(std::int64_t(support), e.metrics.total);
        QCOMPARE(view.report()->item(k, 2)->text(), QString::number(e.metrics.macro.f1, 'f', 2));
        QCOMPARE(view.confusionPlot()->plottableCount(), 1);
        QCOMPARE(view.confusionPlot()->itemCount(), k * k);

        // Click the cell of the largest off-diagonal count (or the diagonal if none).
        std::size_t truth = 0, predicted = 0;
        std::int64_t best = -1;
        for (int t = 0; t < k; ++t)
            for (int p = 0; p < k; ++p)
                if (e.metrics.confusion[t][p] > best && (t != p || best < 0)) {
                    best = e.metrics.confusion[t][p];
                    truth = std::size_t(t);
                    predicted = std::size_t(p);
                }
        QCustomPlot *plot = view.confusionPlot();
        const QPoint at(int(plot->xAxis->coordToPixel(double(predicted))), int(plot->yAxis->coordToPixel(double(truth))));
        QTest::mouseClick(plot, Qt::LeftButton, {}, at);
        QCOMPARE(view.examplesList()->rowCount(), int(e.metrics.confusion[truth][predicted]));
        QVERIFY(view.listTitle()->text().startsWith(
            QStringLiteral("True %1, predicted %2").arg(QString::fromStdString(e.labels[truth]),
                                                           QString::fromStdString(e.labels[predicted]))));
        view.grab().save(ft::test::artifactPath(QStringLiteral("evaluation.png")));

        if (view.examplesList()->rowCount() > 0) {
            view.examplesList()->selectRow(0);
            const std::int64_t id = view.examplesList()->item(0, 0)->data(Qt::UserRole + 1).toLongLong();
            view.relabelSelected(QString::fromStdString(e.labels[predicted]));
            const auto label = labelIdsOf(project, std::vector<std::int64_t>{id}).front();
            QCOMPARE(label, std::optional<std::int64_t>(
                                requireLabel(project, *findDataset(project, "product-reviews"), e.labels[predicted]).id));
            QCOMPARE(view.examplesList()->item(0, 1)->text(), QString::fromStdString(e.labels[predicted]));
        }

        view.showLikelyLabelErrors();
        QCOMPARE(view.examplesList()->rowCount(), int(likelyLabelErrors(e).size()));
        QVERIFY(view.listTitle()->text().contains(QStringLiteral("likely label error")));

        // Another split.
        view.evaluate(Split::Test);
        QTRY_VERIFY_WITH_TIMEOUT(view.isReady(), 30000);
        QCOMPARE(view.splitBox()->currentText(), QStringLiteral("Test"));
    }

    void imageExamplesShowThumbnails()
    {
        QTemporaryDir dir;
        const auto pictures = writeImageFolder(ft::test::toPath(dir.filePath(QStringLiteral("insects"))));
        Project project = Project::create(ft::test::toPath(dir.filePath(QStringLiteral("project"))));
        ImportOptions options;
        options.file = pictures;
        const ImportResult imported = importDataset(project, options);
        QCOMPARE(imported.rows, std::int64_t{15});
        // A run whose model is the tiny ViT, as a finished run leaves it.
        NewRun record;
        record.name = "vit-tiny";
        record.datasetId = imported.datasetId;
        record.configJson = "{}";
        const std::int64_t runId = createRun(project, record);
        const auto model = project.folder() / "runs" / std::to_string(runId) / "model";
        std::filesystem::create_directories(model.parent_path());
        std::filesystem::copy(ft::test::visionGolden() / "vit-tiny", model, std::filesystem::copy_options::recursive);
        setRunState(project, runId, RunState::Completed);
        // An image that went bad after the import.
        const auto broken = pictures / "val" / "bee" / "2.png";
        ft::test::writeBytes(broken, "no longer a picture");

        EvaluationView view(project, runId);
        view.resize(980, 760);
        view.show();
        QTRY_VERIFY_WITH_TIMEOUT(view.isReady(), 30000);
        const SplitEvaluation &e = view.evaluation();
        QCOMPARE(e.metrics.total, std::int64_t{11});
        QCOMPARE(e.unreadable, std::int64_t{1});
        QVERIFY2(view.status()->text().contains(QStringLiteral("1 image(s) could not be read")),
                 qPrintable(view.status()->text()));
        QVERIFY(view.status()->toolTip().contains(QString::fromStdString(broken.string())));

        // The predicted column of the tiny model: list every example of its largest cell.
        std::size_t truth = 0, predicted = 0;
        for (std::size_t t = 0; t < 3; ++t)
            for (std::size_t p = 0; p < 3; ++p)
                if (e.metrics.confusion[t][p] > e.metrics.confusion[truth][predicted]) {
                    truth = t;
                    predicted = p;
                }
        view.showCell(truth, predicted);
        QTableWidget *list = view.examplesList();
        const int rows = list->rowCount();
        QCOMPARE(rows, int(e.metrics.confusion[truth][predicted]));
        QVERIFY(rows >= 2);
        QCOMPARE(list->horizontalHeaderItem(0)->text(), QStringLiteral("Image"));
        const auto allThumbnails = [&] {
            for (int row = 0; row < rows; ++row)
                if (list->item(row, 0)->icon().isNull())
                    return false;
            return true;
        };
        QTRY_VERIFY(allThumbnails());
        const std::vector<Example> shown =
            examplesById(project, std::vector<std::int64_t>{e.cell(truth, predicted).front().exampleId});
        QCOMPARE(list->item(0, 0)->text(), QString::fromStdString(*shown.front().imagePath));
        for (int row = 0; row < rows; ++row) {
            // The thumbnail is the file's: 64 pixels wide, its corner the file's background.
            const QString relative = list->item(row, 0)->text();
            const QImage file(QString::fromStdString((pictures / relative.toStdString()).string()));
            const QImage thumbnail = list->item(row, 0)->icon().pixmap(QSize(64, 64)).toImage();
            QCOMPARE(thumbnail.width(), 64);
            const QColor want = file.pixelColor(2, 2), got = thumbnail.pixelColor(1, 1);
            QVERIFY2(std::abs(want.red() - got.red()) + std::abs(want.green() - got.green())
                             + std::abs(want.blue() - got.blue()) < 24,
                     qPrintable(relative));
        }
        QVERIFY(view.thumbnails()->decodes() >= rows);
        QCOMPARE(view.thumbnails()->decodesOnUiThread(), 0);
        QVERIFY(list->rowHeight(0) >= 64);
        view.grab().save(ft::test::artifactPath(QStringLiteral("evaluation-images.png")));
    }
};

FT_REGISTER_TEST(EvaluationViewTest);

#include "tst_evaluationview.moc"
