// evaluationview.cpp
#include "runs/evaluationview.h"

#include "models/thumbnailloader.h"
#include "store/datasets.h"
#include "store/labels.h"
#include "store/project.h"
#include "store/runs.h"

#include <qcustomplot.h>

#include <QComboBox>
#include <QDir>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QMenu>
#include <QSplitter>
#include <QTableWidget>
#include <QThreadPool>
#include <QToolButton>
#include <QVBoxLayout>

#include <cmath>

namespace ft::ui {

namespace {

enum ListColumn { TextColumn, TruthColumn, PredictedColumn, ConfidenceColumn, LossColumn, ListColumns };
constexpr int kExampleIdRole = Qt::UserRole + 1;
constexpr int kImageFileRole = Qt::UserRole + 2;
constexpr int kThumbnailSize = 64;

QTableWidgetItem *number(double value, int decimals)
{
    auto *item = new QTableWidgetItem(QString::number(value, 'f', decimals));
    item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    return item;
}

} // namespace

EvaluationView::EvaluationView(Project &project, std::int64_t runId, QWidget *parent)
    : QWidget(parent),
      mProject(project),
      mRunId(runId),
      mSplit(new QComboBox(this)),
      mStatus(new QLabel(this)),
      mReport(new QTableWidget(this)),
      mPlot(new QCustomPlot(this)),
      mListTitle(new QLabel(tr("Click a cell of the confusion matrix to see its examples."), this)),
      mExamples(new QTableWidget(this)),
      mRelabel(new QToolButton(this)),
      mThumbnails(new ThumbnailLoader(kThumbnailSize, this))
{
    setWindowTitle(tr("Evaluation of run %1").arg(runId));
    mDatasetId = runDetails(project, runId).datasetId.value_or(0);
    mSplit->addItem(tr("Validation"), int(Split::Validation));
    mSplit->addItem(tr("Test"), int(Split::Test));
    mSplit->addItem(tr("Train"), int(Split::Train));
    mReport->setColumnCount(4);
    mReport->setHorizontalHeaderLabels({tr("precision"), tr("recall"), tr("F1"), tr("support")});
    mReport->setEditTriggers(QAbstractItemView::NoEditTriggers);
    mExamples->setColumnCount(ListColumns);
    mExamples->setHorizontalHeaderLabels({tr("Text"), tr("Label"), tr("Predicted"), tr("Confidence"), tr("Loss")});
    mExamples->setEditTriggers(QAbstractItemView::NoEditTriggers);
    mExamples->setSelectionBehavior(QAbstractItemView::SelectRows);
    mExamples->verticalHeader()->hide();
    mExamples->horizontalHeader()->setSectionResizeMode(TextColumn, QHeaderView::Stretch);
    mExamples->setIconSize(QSize(kThumbnailSize, kThumbnailSize));
    mRelabel->setText(tr("Relabel as"));
    mRelabel->setPopupMode(QToolButton::InstantPopup);
    mRelabel->setMenu(new QMenu(mRelabel));
    auto *errors = new QToolButton(this);
    errors->setText(tr("Likely label errors"));
    errors->setToolTip(tr("Examples the model confidently predicts as another class: their label may be wrong"));
    mPlot->setMinimumSize(320, 280);
    mPlot->setInteraction(QCP::iSelectPlottables, false);

    auto *top = new QHBoxLayout;
    top->addWidget(new QLabel(tr("Split"), this));
    top->addWidget(mSplit);
    top->addWidget(mStatus, 1);
    top->addWidget(errors);
    auto *upper = new QSplitter(Qt::Horizontal, this);
    upper->addWidget(mReport);
    upper->addWidget(mPlot);
    auto *listBar = new QHBoxLayout;
    listBar->addWidget(mListTitle, 1);
    listBar->addWidget(mRelabel);
    auto *lower = new QWidget(this);
    auto *lowerLayout = new QVBoxLayout(lower);
    lowerLayout->setContentsMargins(0, 0, 0, 0);
    lowerLayout->addLayout(listBar);
    lowerLayout->addWidget(mExamples);
    auto *splitter = new QSplitter(Qt::Vertical, this);
    splitter->addWidget(upper);
    splitter->addWidget(lower);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(splitter, 1);

    if (mDatasetId)
        for (const Label &label : listLabels(project, mDatasetId)) {
            const QString name = QString::fromStdString(label.name);
            mRelabel->menu()->addAction(name, this, [this, name] { relabelSelected(name); });
        }
    connect(mSplit, &QComboBox::activated, this, [this] { evaluate(Split(mSplit->currentData().toInt())); });
    connect(errors, &QToolButton::clicked, this, &EvaluationView::showLikelyLabelErrors);
    connect(mThumbnails, &ThumbnailLoader::ready, this, &EvaluationView::showThumbnail);
    connect(mPlot, &QCustomPlot::mousePress, this, [this](QMouseEvent *event) {
        if (!isReady())
            return;
        const double x = mPlot->xAxis->pixelToCoord(event->position().x());
        const double y = mPlot->yAxis->pixelToCoord(event->position().y());
        const long predicted = std::lround(x), truth = std::lround(y);
        const long k = long(mEvaluation->labels.size());
        if (predicted >= 0 && predicted < k && truth >= 0 && truth < k)
            showCell(std::size_t(truth), std::size_t(predicted));
    });
    evaluate(Split::Validation);
}

EvaluationView::~EvaluationView()
{
    QThreadPool::globalInstance()->waitForDone(60000);
}

void EvaluationView::evaluate(Split split)
{
    if (mBusy || !mDatasetId)
        return;
    mBusy = true;
    mSplit->setCurrentIndex(mSplit->findData(int(split)));
    mStatus->setText(tr("Evaluating…"));
    const auto folder = mProject.folder();
    const auto model = folder / "runs" / std::to_string(mRunId) / "model";
    const std::int64_t dataset = mDatasetId;
    QThreadPool::globalInstance()->start([this, folder, model, dataset, split] {
        std::optional<SplitEvaluation> result;
        QString failure;
        try {
            Project connection = Project::open(folder);
            result = evaluateSplit(connection, dataset, model, split);
        } catch (const std::exception &e) {
            failure = QString::fromStdString(e.what());
        }
        QMetaObject::invokeMethod(
            this,
            [this, result, failure] {
                mBusy = false;
                if (!result) {
                    mStatus->setText(tr("Cannot evaluate: %1").arg(failure));
                    return;
                }
                mEvaluation = result;
                showEvaluation();
                Q_EMIT evaluated();
            },
            Qt::QueuedConnection);
    });
}

void EvaluationView::showEvaluation()
{
    const SplitEvaluation &e = *mEvaluation;
    const ClassificationMetrics &m = e.metrics;
    if (m.total == 0) {
        mStatus->setText(e.unreadable ? tr("None of the split's images could be read: %1")
                                            .arg(QString::fromStdString(e.unreadableReasons.front()))
                                      : tr("This split has no labelled example the model can be checked on."));
        mReport->setRowCount(0);
        mPlot->clearPlottables();
        mPlot->clearItems();
        mPlot->replot();
        return;
    }
    mStatus->setText(tr("%n example(s), accuracy %1 %", nullptr, int(m.total)).arg(m.accuracy * 100, 0, 'f', 1)
                     + (e.skipped ? tr("; %1 skipped (labels the model does not know)").arg(e.skipped) : QString())
                     + (e.unreadable ? tr("; %n image(s) could not be read, left out", nullptr, int(e.unreadable))
                                     : QString()));
    // Which images, and why: the first few, each naming its file.
    QStringList reasons;
    for (const std::string &reason : e.unreadableReasons)
        reasons << QString::fromStdString(reason);
    if (e.unreadable > std::int64_t(reasons.size()))
        reasons << tr("… and %1 more").arg(e.unreadable - std::int64_t(reasons.size()));
    mStatus->setToolTip(reasons.join(QLatin1Char('\n')));
    // The report, as scikit-learn's classification_report lays it out.
    const int k = int(e.labels.size());
    mReport->setRowCount(k + 2);
    QStringList rows;
    const auto fill = [this](int row, const ClassScores &scores) {
        mReport->setItem(row, 0, number(scores.precision, 2));
        mReport->setItem(row, 1, number(scores.recall, 2));
        mReport->setItem(row, 2, number(scores.f1, 2));
        mReport->setItem(row, 3, number(double(scores.support), 0));
    };
    for (int c = 0; c < k; ++c) {
        rows << QString::fromStdString(e.labels[size_t(c)]);
        fill(c, m.perClass[size_t(c)]);
    }
    rows << tr("macro avg") << tr("weighted avg");
    fill(k, m.macro);
    fill(k + 1, m.weighted);
    mReport->setVerticalHeaderLabels(rows);
    mReport->resizeColumnsToContents();

    // The confusion matrix: true classes down, predicted across, counts in the cells.
    mPlot->clearPlottables();
    mPlot->clearItems();
    auto *map = new QCPColorMap(mPlot->xAxis, mPlot->yAxis);
    map->data()->setSize(k, k);
    map->data()->setRange(QCPRange(0, k - 1), QCPRange(0, k - 1));
    std::int64_t largest = 1;
    for (int t = 0; t < k; ++t)
        for (int p = 0; p < k; ++p) {
            const std::int64_t count = m.confusion[size_t(t)][size_t(p)];
            largest = std::max(largest, count);
            map->data()->setCell(p, t, double(count));
        }
    QCPColorGradient gradient;
    gradient.setColorStopAt(0, QColor(247, 251, 255));
    gradient.setColorStopAt(1, QColor(8, 81, 156));
    map->setGradient(gradient);
    map->setDataRange(QCPRange(0, double(largest)));
    map->setInterpolate(false);
    for (int t = 0; t < k; ++t)
        for (int p = 0; p < k; ++p) {
            const std::int64_t count = m.confusion[size_t(t)][size_t(p)];
            auto *text = new QCPItemText(mPlot);
            text->position->setCoords(p, t);
            text->setText(QString::number(count));
            text->setColor(count * 2 > largest ? Qt::white : Qt::black);
        }
    QSharedPointer<QCPAxisTickerText> classes(new QCPAxisTickerText);
    for (int c = 0; c < k; ++c)
        classes->addTick(c, QString::fromStdString(e.labels[size_t(c)]));
    mPlot->xAxis->setTicker(classes);
    mPlot->yAxis->setTicker(classes);
    mPlot->xAxis->setLabel(tr("predicted"));
    mPlot->yAxis->setLabel(tr("true"));
    mPlot->xAxis->setRange(-0.5, k - 0.5);
    mPlot->yAxis->setRange(-0.5, k - 0.5);
    mPlot->yAxis->setRangeReversed(true);
    mPlot->xAxis->grid()->setVisible(false);
    mPlot->yAxis->grid()->setVisible(false);
    mPlot->replot();
}

void EvaluationView::showCell(std::size_t truth, std::size_t predicted)
{
    const auto &labels = mEvaluation->labels;
    mListTitle->setText(tr("True %1, predicted %2: highest loss first")
                            .arg(QString::fromStdString(labels[truth]), QString::fromStdString(labels[predicted])));
    listExamples(mEvaluation->cell(truth, predicted));
}

void EvaluationView::showLikelyLabelErrors()
{
    if (!isReady())
        return;
    const auto flagged = likelyLabelErrors(*mEvaluation);
    mListTitle->setText(tr("%n likely label error(s): predicted as another class with at least 80 % confidence",
                           nullptr, int(flagged.size())));
    listExamples(flagged);
}

void EvaluationView::listExamples(const std::vector<ExamplePrediction> &examples)
{
    std::vector<std::int64_t> ids;
    for (const ExamplePrediction &e : examples)
        ids.push_back(e.exampleId);
    const std::vector<Example> rows = examplesById(mProject, ids);
    const QDir imageFolder(QString::fromStdString(mEvaluation->imageFolder.string()));
    bool anyImage = false;
    mExamples->setRowCount(0);
    for (size_t i = 0; i < examples.size() && i < rows.size(); ++i) {
        const ExamplePrediction &e = examples[i];
        const int row = mExamples->rowCount();
        mExamples->insertRow(row);
        auto *text = new QTableWidgetItem(QString::fromStdString(rows[i].text));
        text->setData(kExampleIdRole, qlonglong(e.exampleId));
        if (rows[i].imagePath) {
            // The image's path beside its thumbnail; the thumbnail follows when decoded.
            const QString path = imageFolder.filePath(QString::fromStdString(*rows[i].imagePath));
            text->setText(QString::fromStdString(*rows[i].imagePath));
            text->setData(kImageFileRole, path);
            const QPixmap thumbnail = mThumbnails->thumbnail(path);
            if (!thumbnail.isNull())
                text->setIcon(QIcon(thumbnail));
            anyImage = true;
        }
        text->setToolTip(text->text());
        mExamples->setItem(row, TextColumn, text);
        mExamples->setItem(row, TruthColumn,
                           new QTableWidgetItem(QString::fromStdString(rows[i].label.value_or(std::string()))));
        mExamples->setItem(row, PredictedColumn,
                           new QTableWidgetItem(QString::fromStdString(mEvaluation->labels[e.predicted])));
        mExamples->setItem(row, ConfidenceColumn, number(e.confidence, 3));
        mExamples->setItem(row, LossColumn, number(e.loss, 3));
    }
    mExamples->horizontalHeaderItem(TextColumn)->setText(anyImage ? tr("Image") : tr("Text"));
    if (anyImage)
        mExamples->verticalHeader()->setDefaultSectionSize(kThumbnailSize + 6);
    else
        mExamples->verticalHeader()->resetDefaultSectionSize();
}

void EvaluationView::showThumbnail(const QString &path)
{
    const QPixmap thumbnail = mThumbnails->thumbnail(path);
    for (int row = 0; row < mExamples->rowCount(); ++row) {
        QTableWidgetItem *item = mExamples->item(row, TextColumn);
        if (item && item->data(kImageFileRole).toString() == path)
            item->setIcon(QIcon(thumbnail));
    }
}

void EvaluationView::relabelSelected(const QString &label)
{
    std::vector<std::int64_t> ids;
    std::vector<int> rows;
    for (const QModelIndex &index : mExamples->selectionModel()->selectedRows(TextColumn)) {
        ids.push_back(index.data(kExampleIdRole).toLongLong());
        rows.push_back(index.row());
    }
    if (ids.empty() || !mDatasetId)
        return;
    setLabel(mProject, ids, requireLabel(mProject, mDatasetId, label.toStdString()).id);
    for (const int row : rows)
        mExamples->item(row, TruthColumn)->setText(label);
    Q_EMIT examplesRelabelled(ids);
}

} // namespace ft::ui
