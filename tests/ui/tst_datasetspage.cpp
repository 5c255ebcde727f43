// tst_datasetspage.cpp: the Datasets page as a person uses it: searching and
// filtering the examples, sorting by a column, relabelling a selection, and
// labelling mode by keyboard with undo, checked in the project store and on
// the class-balance chart; a trained run's suggestions, most uncertain first;
// screenshots of each.
#include "data/dataset_import.h"
#include "data/sample_dataset.h"
#include "infer/label_suggestions.h"
#include "labelling/balancechart.h"
#include "labelling/labellingview.h"
#include "models/examplesmodel.h"
#include "models/thumbnailloader.h"
#include "pages/datasetspage.h"
#include "store/datasets.h"
#include "store/labels.h"
#include "store/project.h"
#include "tempproject.h"
#include "nullsink.h"
#include "testregistry.h"
#include "train/trainer.h"
#include "uitesthelpers.h"

#include <QComboBox>
#include <QDir>
#include <QHeaderView>
#include <QImage>
#include <QListView>
#include <QPixmap>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QPushButton>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QToolButton>
#include <QUndoStack>

namespace fs = std::filesystem;
using namespace ft;
using namespace ft::ui;

namespace {

using ft::test::artifactPath;

using QuietSink = ft::test::NullSink;

// 90 generated reviews; the last 30 without their label.
struct Fixture {
    QTemporaryDir dir;
    Project project = Project::create(ft::test::toPath(dir.filePath(QStringLiteral("project"))));
    std::int64_t dataset = createDataset(project, "reviews", "generated");

    Fixture()
    {
        auto rows = generateSampleReviews(90, 21);
        for (size_t i = 60; i < rows.size(); ++i)
            rows[i].label.reset();
        addExamples(project, dataset, rows);
    }
    std::int64_t labelId(const char *name) { return requireLabel(project, dataset, name).id; }
};

QStringList column(QTableView *table, int column)
{
    QStringList values;
    for (int row = 0; row < table->model()->rowCount(); ++row)
        values << table->model()->index(row, column).data().toString();
    return values;
}

} // namespace

class DatasetsPageTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void searchFilterAndSort()
    {
        Fixture f;
        DatasetsPage page;
        page.resize(1000, 700);
        page.setProject(&f.project);
        page.show();
        QVERIFY(QTest::qWaitForWindowExposed(&page));
        QTableView *examples = page.examplesTable();
        QCOMPARE(examples->model()->rowCount(), 90);
        QVERIFY(page.labelSummary()->text().contains(QStringLiteral("30 unlabelled")));

        // Typing in the search field narrows the table once typing pauses.
        QTest::keyClicks(page.searchField(), QStringLiteral("KETTLE"));
        QTRY_VERIFY(examples->model()->rowCount() < 90);
        const int kettles = examples->model()->rowCount();
        QVERIFY(kettles > 0);
        for (const QString &text : column(examples, ExamplesModel::TextColumn))
            QVERIFY2(text.contains(QStringLiteral("kettle")), qPrintable(text));
        QCOMPARE(page.matchCount()->text(), QStringLiteral("%1 example(s)").arg(kettles));
        page.searchField()->clear();
        QTRY_COMPARE(examples->model()->rowCount(), 90);

        // The label filter, by keyboard: "All labels", then "Unlabelled".
        page.labelFilter()->setFocus();
        QTest::keyClick(page.labelFilter(), Qt::Key_Down);
        QCOMPARE(page.labelFilter()->currentText(), QStringLiteral("Unlabelled"));
        QCOMPARE(examples->model()->rowCount(), 30);
        QVERIFY(column(examples, ExamplesModel::LabelColumn).count(QStringLiteral("(unlabelled)")) == 30);
        QTest::keyClick(page.labelFilter(), Qt::Key_Down); // the first label
        const QString first = page.labelFilter()->currentText();
        QVERIFY(column(examples, ExamplesModel::LabelColumn).count(first) == examples->model()->rowCount());
        QTest::keyClick(page.labelFilter(), Qt::Key_Home);
        QCOMPARE(examples->model()->rowCount(), 90);

        // A click on the Label header sorts by label; unlabelled rows first.
        QHeaderView *header = examples->horizontalHeader();
        QTest::mouseClick(header->viewport(), Qt::LeftButton, {},
                          QPoint(header->sectionViewportPosition(ExamplesModel::LabelColumn) + 5, header->height() / 2));
        const QStringList labels = column(examples, ExamplesModel::LabelColumn);
        QCOMPARE(labels.mid(0, 30), QStringList(30, QStringLiteral("(unlabelled)")));
        QStringList labelled = labels.mid(30);
        QStringList sorted = labelled;
        std::sort(sorted.begin(), sorted.end());
        QCOMPARE(labelled, sorted);
        page.grab().save(artifactPath(QStringLiteral("datasets-page.png")));
    }

    void relabelAndMoveSelection()
    {
        Fixture f;
        DatasetsPage page;
        page.resize(1000, 700);
        page.setProject(&f.project);
        page.show();
        QVERIFY(QTest::qWaitForWindowExposed(&page));
        QTableView *examples = page.examplesTable();
        // Click the first row, shift-click the fourth: four examples selected.
        const auto rowCentre = [&](int row) { return examples->visualRect(examples->model()->index(row, 0)).center(); };
        QTest::mouseClick(examples->viewport(), Qt::LeftButton, {}, rowCentre(0));
        QTest::mouseClick(examples->viewport(), Qt::LeftButton, Qt::ShiftModifier, rowCentre(3));
        QCOMPARE(examples->selectionModel()->selectedRows().size(), 4);
        std::vector<std::int64_t> ids;
        for (int row = 0; row < 4; ++row)
            ids.push_back(page.examplesModel()->exampleId(row));

        page.relabelSelection(QStringLiteral("neutral"));
        for (const auto label : labelIdsOf(f.project, ids))
            QCOMPARE(label, std::optional<std::int64_t>(f.labelId("neutral")));
        for (int row = 0; row < 4; ++row)
            QCOMPARE(examples->model()->index(row, ExamplesModel::LabelColumn).data().toString(), QStringLiteral("neutral"));

        page.moveSelectionToSplit(QStringLiteral("test"));
        for (int row = 0; row < 4; ++row)
            QCOMPARE(examples->model()->index(row, ExamplesModel::SplitColumn).data().toString(), QStringLiteral("test"));
    }

    void labelTwentyByKeyboardThenUndoFive()
    {
        Fixture f;
        DatasetsPage page;
        page.resize(1000, 760);
        page.setProject(&f.project);
        page.show();
        QVERIFY(QTest::qWaitForWindowExposed(&page));
        page.startLabelling();
        QVERIFY(page.isLabelling());
        LabellingView *view = page.labellingView();
        QCOMPARE(view->queueSize(), 30); // the unlabelled examples
        QCOMPARE(view->progressText()->text(), QStringLiteral("60 of 90 labelled"));
        QCOMPARE(view->labelButtons().size(), 3);
        const QVector<double> before = view->balanceChart()->counts();
        QCOMPARE(before[0] + before[1] + before[2], 60.0);

        // Keys 1, 2, 3 in turn for 20 examples.
        std::vector<std::int64_t> labelled;
        for (int i = 0; i < 20; ++i) {
            labelled.push_back(*view->currentExample());
            QTest::keyClick(view, Qt::Key(Qt::Key_1 + i % 3));
        }
        QCOMPARE(view->progressText()->text(), QStringLiteral("80 of 90 labelled"));
        QCOMPARE(view->position(), 20);
        const std::vector<std::int64_t> order = {listLabels(f.project, f.dataset)[0].id, listLabels(f.project, f.dataset)[1].id,
                                                 listLabels(f.project, f.dataset)[2].id};
        auto stored = labelIdsOf(f.project, labelled);
        for (int i = 0; i < 20; ++i)
            QCOMPARE(stored[i], std::optional<std::int64_t>(order[i % 3]));
        const QVector<double> after = view->balanceChart()->counts();
        QCOMPARE(after, (QVector<double>{before[0] + 7, before[1] + 7, before[2] + 6}));

        // Undo the last five: their labels are gone from the store and the chart, and the view is back at the 16th.
        for (int i = 0; i < 5; ++i)
            QTest::keyClick(view, Qt::Key_Z, Qt::ControlModifier);
        stored = labelIdsOf(f.project, labelled);
        for (int i = 0; i < 20; ++i)
            QCOMPARE(stored[i], i < 15 ? std::optional<std::int64_t>(order[i % 3]) : std::nullopt);
        QCOMPARE(view->position(), 15);
        QCOMPARE(*view->currentExample(), labelled[15]);
        QCOMPARE(view->progressText()->text(), QStringLiteral("75 of 90 labelled"));
        QCOMPARE(view->balanceChart()->counts(), (QVector<double>{before[0] + 5, before[1] + 5, before[2] + 5}));

        // Redo one, then Backspace goes back without changing anything.
        QTest::keyClick(view, Qt::Key_Z, Qt::ControlModifier | Qt::ShiftModifier);
        QCOMPARE(labelIdsOf(f.project, std::vector<std::int64_t>{labelled[15]}).front(), std::optional<std::int64_t>(order[0]));
        QTest::keyClick(view, Qt::Key_Backspace);
        QCOMPARE(view->position(), 15);
        QCOMPARE(view->progressText()->text(), QStringLiteral("76 of 90 labelled"));
        page.grab().save(artifactPath(QStringLiteral("labelling-mode.png")));

        // Esc leaves labelling mode; the table shows the new labels.
        QTest::keyClick(view, Qt::Key_Escape);
        QVERIFY(!page.isLabelling());
        QVERIFY(page.labelSummary()->text().contains(QStringLiteral("14 unlabelled")));
    }

    void suggestionsFromATrainedRun()
    {
        Fixture f;
        TrainingRequest request;
        request.project = f.project.folder();
        request.dataset = "reviews";
        request.model = (fs::path(FT_SHARED_DIR) / "golden" / "tiny-bert-uncased").string();
        request.config.maxSteps = 8;
        request.config.perDeviceTrainBatchSize = 8;
        request.config.evalStrategy = EvalStrategy::No;
        request.config.threads = 1;
        request.config.maxLength = 32;
        QuietSink sink;
        RunControl control;
        const TrainingSummary run = train(request, sink, control);

        DatasetsPage page;
        page.resize(1000, 700);
        page.setProject(&f.project);
        page.show();
        QVERIFY(QTest::qWaitForWindowExposed(&page));
        QTableView *examples = page.examplesTable();
        QVERIFY(examples->isColumnHidden(ExamplesModel::SuggestionColumn));
        QMenu *runs = page.suggestButton()->menu();
        Q_EMIT runs->aboutToShow();
        QCOMPARE(runs->actions().size(), 1);
        QVERIFY(runs->actions().first()->text().startsWith(QStringLiteral("Run %1").arg(run.runId)));
        runs->actions().first()->trigger();
        QVERIFY(page.isSuggesting());
        QTRY_VERIFY_WITH_TIMEOUT(!page.isSuggesting(), 30000);
        QVERIFY2(page.suggestStatus()->text().contains(QStringLiteral("suggests labels for 30 unlabelled")),
                 qPrintable(page.suggestStatus()->text()));
        QVERIFY(!examples->isColumnHidden(ExamplesModel::SuggestionColumn));
        const QString cell = examples->model()->index(89, ExamplesModel::SuggestionColumn).data().toString();
        QVERIFY2(cell.contains(QStringLiteral(" %)")), qPrintable(cell));
        QVERIFY(examples->model()->index(0, ExamplesModel::SuggestionColumn).data().toString().isEmpty()); // labelled
        page.grab().save(artifactPath(QStringLiteral("datasets-suggestions.png")));

        // Labelling starts with the example the model is least sure of; Enter takes its suggestion.
        const std::vector<LabelSuggestion> expected = suggestLabels(f.project, f.dataset, run.modelFolder);
        page.startLabelling();
        LabellingView *view = page.labellingView();
        QCOMPARE(view->orderBox()->currentIndex(), int(LabellingView::Order::SmallestMargin));
        const std::int64_t first = mostUncertainFirst(expected).front();
        QCOMPARE(*view->currentExample(), first);
        const auto suggested = std::find_if(expected.begin(), expected.end(),
                                            [first](const LabelSuggestion &s) { return s.exampleId == first; });
        QTest::keyClick(view, Qt::Key_Return);
        QCOMPARE(labelIdsOf(f.project, std::vector<std::int64_t>{first}).front(), suggested->labelId);
        page.grab().save(artifactPath(QStringLiteral("labelling-suggestion.png")));
    }

    void imageDatasetShowsThumbnailsInAGrid()
    {
        QTemporaryDir dir;
        const QString folder = dir.filePath(QStringLiteral("shapes"));
        for (int i = 0; i < 6; ++i) {
            const QString label = i % 2 ? QStringLiteral("squares") : QStringLiteral("circles");
            QVERIFY(QDir().mkpath(folder + QLatin1Char('/') + label));
            QImage image(300, 200, QImage::Format_RGB32);
            image.fill(QColor::fromHsv(i * 60, 200, 220));
            QVERIFY(image.save(QStringLiteral("%1/%2/%3.png").arg(folder, label).arg(i)));
        }
        Project project = Project::create(ft::test::toPath(dir.filePath(QStringLiteral("project"))));
        ImportOptions options;
        options.file = ft::test::toPath(folder);
        options.datasetName = "shapes";
        QCOMPARE(importDataset(project, options).rows, std::int64_t{6});

        DatasetsPage page;
        page.resize(900, 600);
        page.setProject(&project);
        page.show();
        QVERIFY(QTest::qWaitForWindowExposed(&page));
        QVERIFY(page.showsGrid());
        QListView *grid = page.examplesGrid();
        QCOMPARE(grid->model()->rowCount(), 6);
        const QModelIndex first = grid->model()->index(0, ExamplesModel::LabelColumn);
        QCOMPARE(first.data().toString(), QStringLiteral("circles"));
        // Decoded off the UI thread, then shown: scaled to fit 96 x 96.
        QTRY_VERIFY(!first.data(Qt::DecorationRole).value<QPixmap>().isNull());
        const QPixmap thumbnail = first.data(Qt::DecorationRole).value<QPixmap>();
        QCOMPARE(thumbnail.size(), QSize(96, 64));
        QCOMPARE(thumbnail.toImage().pixel(10, 10), QColor::fromHsv(0, 200, 220).rgb());
        QVERIFY(page.examplesModel()->thumbnails()->decodes() >= 6);
        QCOMPARE(page.examplesModel()->thumbnails()->decodesOnUiThread(), 0);
        QTRY_VERIFY(!grid->model()->index(5, ExamplesModel::LabelColumn).data(Qt::DecorationRole).value<QPixmap>().isNull());
        page.grab().save(artifactPath(QStringLiteral("datasets-image-grid.png")));

        // Select two in the grid: the same selection relabels them.
        grid->selectionModel()->select(grid->model()->index(0, 0), QItemSelectionModel::Select | QItemSelectionModel::Rows);
        grid->selectionModel()->select(grid->model()->index(2, 0), QItemSelectionModel::Select | QItemSelectionModel::Rows);
        page.relabelSelection(QStringLiteral("squares"));
        QCOMPARE(grid->model()->index(0, ExamplesModel::LabelColumn).data().toString(), QStringLiteral("squares"));
        QCOMPARE(grid->model()->index(2, ExamplesModel::LabelColumn).data().toString(), QStringLiteral("squares"));

        // Labelling an image dataset shows the image itself.
        page.startLabelling();
        const QPixmap shown = page.labellingView()->exampleText()->pixmap();
        QVERIFY(!shown.isNull());
        QCOMPARE(shown.toImage().pixel(shown.width() / 2, shown.height() / 2), QColor::fromHsv(0, 200, 220).rgb());
        page.stopLabelling();

        page.setShowGrid(false);
        QVERIFY(!page.showsGrid());
        QCOMPARE(page.examplesTable()->model()->index(0, ExamplesModel::TextColumn).data().toString(),
                 QStringLiteral("circles/0.png"));
    }

    void suggestionIsAcceptedWithEnter()
    {
        Fixture f;
        LabellingView view;
        view.setDataset(&f.project, f.dataset);
        view.show();
        const std::int64_t example = *view.currentExample();
        const std::int64_t positive = f.labelId("positive");
        view.setSuggestions({{example, {positive, QStringLiteral("positive"), 0.93, 0.9, 0.3}}});
        QTest::keyClick(&view, Qt::Key_Return);
        QCOMPARE(labelIdsOf(f.project, std::vector<std::int64_t>{example}).front(), std::optional<std::int64_t>(positive));
        QCOMPARE(view.position(), 1);
        QTest::keyClick(&view, Qt::Key_Return); // no suggestion and no label: Enter does nothing
        QCOMPARE(view.position(), 1);
    }
};

FT_REGISTER_TEST(DatasetsPageTest);

#include "tst_datasetspage.moc"
