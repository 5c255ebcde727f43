// tst_evaluationview.cpp: reviewing a trained run: the classification report
// agrees with the examples, the confusion matrix shows every cell's count,
// clicking a cell lists exactly its examples (highest loss first), a listed
// example is relabelled right there, and likely label errors are listed.
#include "data/sample_dataset.h"
#include "runs/evaluationview.h"
#include "store/labels.h"
#include "store/project.h"
#include "tempproject.h"
#include "nullsink.h"
#include "testregistry.h"
#include "train/run_config.h"
#include "train/trainer.h"
#include "uitesthelpers.h"

#include <qcustomplot.h>

#include <QComboBox>
#include <QLabel>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>

using namespace ft;
using namespace ft::ui;

namespace {

using QuietSink = ft::test::NullSink;

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
};

FT_REGISTER_TEST(EvaluationViewTest);

#include "tst_evaluationview.moc"
