// datasetspage.cpp
#include "pages/datasetspage.h"

#include "data/splits.h"
#include "labelling/labellingview.h"
#include "models/examplesmodel.h"
#include "models/recordtablemodel.h"
#include "pages/tablepage.h"
#include "infer/label_suggestions.h"
#include "store/catalog.h"
#include "store/datasets.h"
#include "store/labels.h"
#include "store/project.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QMenu>
#include <QSplitter>
#include <QStackedWidget>
#include <QStyledItemDelegate>
#include <QTableView>
#include <QThread>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>

namespace fs = std::filesystem;

namespace ft::ui {

namespace {

enum DatasetColumn { NameColumn, ExamplesColumn, TrainColumn, ValidationColumn, TestColumn, LabelsColumn, SourceColumn };

// Label filter entries beyond the labels themselves.
constexpr std::int64_t kAnyLabel = -1;
constexpr std::int64_t kUnlabelled = -2;

// Grid cells of one fixed size whether or not the thumbnail has arrived, so
// the grid lays out a million items without measuring them (uniform sizes).
class ThumbnailDelegate : public QStyledItemDelegate {
public:
    using QStyledItemDelegate::QStyledItemDelegate;
    QSize sizeHint(const QStyleOptionViewItem &option, const QModelIndex &) const override
    {
        return {112, 96 + option.fontMetrics.height() + 12};
    }
};

void setUpTable(QTableView *table)
{
    table->setSelectionBehavior(QAbstractItemView::SelectRows);
    table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table->verticalHeader()->hide();
    table->horizontalHeader()->setStretchLastSection(true);
    table->setAlternatingRowColors(true);
}

} // namespace

DatasetsPage::DatasetsPage(QWidget *parent)
    : QWidget(parent),
      mDatasetsModel(new RecordTableModel(
          {tr("Name"), tr("Examples"), tr("Train"), tr("Validation"), tr("Test"), tr("Labels"), tr("Source")}, this)),
      mExamplesModel(new ExamplesModel(this)),
      mDatasets(new QTableView(this)),
      mExamples(new QTableView(this)),
      mLabelSummary(new QLabel(this)),
      mEmptyNote(new QLabel(tr("This project has no datasets yet."), this)),
      mSearch(new QLineEdit(this)),
      mLabelFilter(new QComboBox(this)),
      mSplitFilter(new QComboBox(this)),
      mMatchCount(new QLabel(this)),
      mRelabel(new QToolButton(this)),
      mMoveSplit(new QToolButton(this)),
      mLabelButton(new QToolButton(this)),
      mSuggest(new QToolButton(this)),
      mSuggestStatus(new QLabel(this)),
      mSearchDelay(new QTimer(this)),
      mStack(new QStackedWidget(this)),
      mViews(new QStackedWidget(this)),
      mGrid(new QListView(this)),
      mGridToggle(new QToolButton(this)),
      mLabelling(new LabellingView(this))
{
    mDatasets->setModel(mDatasetsModel);
    mExamples->setModel(mExamplesModel);
    setUpTable(mDatasets);
    setUpTable(mExamples);
    mDatasets->setSelectionMode(QAbstractItemView::SingleSelection);
    mExamples->setSelectionMode(QAbstractItemView::ExtendedSelection);
    // Rows are all the same height, so the view need not measure a million of them.
    mExamples->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    mExamples->verticalHeader()->setDefaultSectionSize(mExamples->fontMetrics().height() + 8);
    mExamples->setWordWrap(false);
    mExamples->horizontalHeader()->setSectionResizeMode(ExamplesModel::TextColumn, QHeaderView::Stretch);
    mExamples->horizontalHeader()->setStretchLastSection(false);
    mExamples->horizontalHeader()->setSortIndicator(-1, Qt::AscendingOrder); // import order until a header is clicked
    mExamples->setSortingEnabled(true);
    // The grid shows the same rows and selection as the table, as thumbnails with their label.
    mGrid->setModel(mExamplesModel);
    mGrid->setModelColumn(ExamplesModel::LabelColumn);
    mGrid->setSelectionModel(mExamples->selectionModel());
    mGrid->setSelectionMode(QAbstractItemView::ExtendedSelection);
    mGrid->setViewMode(QListView::IconMode);
    mGrid->setResizeMode(QListView::Adjust);
    mGrid->setMovement(QListView::Static);
    mGrid->setUniformItemSizes(true); // a million items are laid out without asking each
    mGrid->setIconSize(QSize(96, 96));
    mGrid->setItemDelegate(new ThumbnailDelegate(mGrid));
    mGrid->setSpacing(6);
    mGrid->setEditTriggers(QAbstractItemView::NoEditTriggers);
    mViews->addWidget(mExamples);
    mViews->addWidget(mGrid);
    mGridToggle->setText(tr("Grid"));
    mGridToggle->setToolTip(tr("Show the images as thumbnails, or the table"));
    mGridToggle->setCheckable(true);
    mGridToggle->setVisible(false);
    connect(mGridToggle, &QToolButton::toggled, this, &DatasetsPage::setShowGrid);
    mLabelSummary->setWordWrap(true);
    mLabelSummary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    mEmptyNote->setEnabled(false);

    mSearch->setPlaceholderText(tr("Search text"));
    mSearch->setClearButtonEnabled(true);
    mSplitFilter->addItem(tr("All splits"), QString());
    for (const char *split : {"train", "validation", "test", "unassigned"})
        mSplitFilter->addItem(QString::fromLatin1(split), QString::fromLatin1(split));
    mRelabel->setText(tr("Relabel"));
    mRelabel->setToolTip(tr("Give the selected examples a label"));
    mRelabel->setPopupMode(QToolButton::InstantPopup);
    mRelabel->setMenu(new QMenu(mRelabel));
    mMoveSplit->setText(tr("Move to split"));
    mMoveSplit->setToolTip(tr("Move the selected examples to another split"));
    mMoveSplit->setPopupMode(QToolButton::InstantPopup);
    auto *splitMenu = new QMenu(mMoveSplit);
    for (const char *split : {"train", "validation", "test", "unassigned"}) {
        const QString name = QString::fromLatin1(split);
        splitMenu->addAction(name, this, [this, name] { moveSelectionToSplit(name); });
    }
    mMoveSplit->setMenu(splitMenu);
    mLabelButton->setText(tr("Label…"));
    mLabelButton->setToolTip(tr("Label the unlabelled examples one by one with the keyboard"));
    mSuggest->setText(tr("Suggest"));
    mSuggest->setToolTip(tr("Let a trained run's model suggest labels for the unlabelled examples"));
    mSuggest->setPopupMode(QToolButton::InstantPopup);
    mSuggest->setMenu(new QMenu(mSuggest));
    connect(mSuggest->menu(), &QMenu::aboutToShow, this, &DatasetsPage::fillRunMenu);
    mSuggestStatus->setEnabled(false);
    mSearchDelay->setSingleShot(true);
    mSearchDelay->setInterval(250); // a search reads every text: wait for a pause in typing

    auto *filters = new QHBoxLayout;
    filters->addWidget(mSearch, 2);
    filters->addWidget(mLabelFilter, 1);
    filters->addWidget(mSplitFilter, 1);
    filters->addWidget(mMatchCount);
    filters->addWidget(mGridToggle);
    filters->addStretch();
    filters->addWidget(mRelabel);
    filters->addWidget(mMoveSplit);
    filters->addWidget(mSuggest);
    filters->addWidget(mLabelButton);

    auto *browse = new QWidget(this);
    auto *browseLayout = new QVBoxLayout(browse);
    browseLayout->setContentsMargins(0, 0, 0, 0);
    browseLayout->addWidget(mLabelSummary);
    browseLayout->addLayout(filters);
    browseLayout->addWidget(mViews, 1);
    browseLayout->addWidget(mSuggestStatus);
    mStack->addWidget(browse);
    mStack->addWidget(mLabelling);

    auto *splitter = new QSplitter(Qt::Vertical, this);
    splitter->addWidget(mDatasets);
    splitter->addWidget(mStack);
    splitter->setStretchFactor(0, 1);
    splitter->setStretchFactor(1, 3);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(makePageTitle(tr("Datasets"), this));
    layout->addWidget(mEmptyNote);
    layout->addWidget(splitter, 1);

    connect(mDatasets->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            [this](const QModelIndex &current) { showDataset(current.row()); });
    connect(mSearch, &QLineEdit::textChanged, mSearchDelay, qOverload<>(&QTimer::start));
    connect(mSearchDelay, &QTimer::timeout, this, &DatasetsPage::applyFilter);
    connect(mLabelFilter, &QComboBox::activated, this, &DatasetsPage::applyFilter);
    connect(mSplitFilter, &QComboBox::activated, this, &DatasetsPage::applyFilter);
    connect(mLabelButton, &QToolButton::clicked, this, &DatasetsPage::startLabelling);
    connect(mLabelling, &LabellingView::closeRequested, this, &DatasetsPage::stopLabelling);
    connect(mLabelling, &LabellingView::examplesRelabelled, this, [this](const std::vector<std::int64_t> &ids) {
        mExamplesModel->rowsChanged(ids);
    });
}

DatasetsPage::~DatasetsPage()
{
    if (mSuggestThread) {
        *mSuggestCancel = true;
        mSuggestThread->wait();
    }
}

void DatasetsPage::setProject(Project *project)
{
    stopLabelling();
    mProject = project;
    refresh();
}

void DatasetsPage::refresh()
{
    QVector<RecordTableModel::Row> rows;
    if (mProject) {
        for (const DatasetSummary &d : listDatasets(*mProject)) {
            rows.push_back({QString::fromStdString(d.name), qlonglong(d.examples), qlonglong(d.train),
                            qlonglong(d.validation), qlonglong(d.test), qlonglong(d.labels),
                            QString::fromStdString(d.source), qlonglong(d.id)});
        }
    }
    mDatasetsModel->setRows(rows);
    mEmptyNote->setVisible(mProject && rows.isEmpty());
    mDatasets->resizeColumnsToContents();
    if (rows.isEmpty())
        showDataset(-1);
    else
        mDatasets->selectRow(0);
}

void DatasetsPage::showDataset(int row)
{
    stopLabelling();
    const bool valid = mProject && row >= 0 && row < mDatasetsModel->rowCount();
    // The id rides in a column past the headers, which the view never shows.
    mDatasetId = valid ? mDatasetsModel->row(row).value(SourceColumn + 1).toLongLong() : 0;
    for (QWidget *w : {static_cast<QWidget *>(mSearch), static_cast<QWidget *>(mLabelFilter),
                       static_cast<QWidget *>(mSplitFilter), static_cast<QWidget *>(mRelabel),
                       static_cast<QWidget *>(mMoveSplit), static_cast<QWidget *>(mLabelButton),
                       static_cast<QWidget *>(mSuggest)})
        w->setEnabled(valid);
    if (mSuggestThread)
        *mSuggestCancel = true; // suggestions for the dataset that was shown
    mExamplesModel->setSuggestions({});
    mExamples->setColumnHidden(ExamplesModel::SuggestionColumn, true);
    mSuggestStatus->clear();
    mSearch->clear();
    mSplitFilter->setCurrentIndex(0);
    // An image dataset's paths are relative to the folder it was imported from
    // (or that data file's folder; sources inside the project are stored relative to it).
    mExamplesModel->setImageFolder(
        valid ? QString::fromStdString(datasetImageFolder(*mProject, mDatasetId).string()) : QString());
    fillLabelMenus();
    applyFilter();
    updateLabelSummary();
    const bool images = mExamplesModel->hasImages();
    mGridToggle->setVisible(images);
    setShowGrid(images);
}

void DatasetsPage::fillLabelMenus()
{
    mLabelFilter->clear();
    mLabelFilter->addItem(tr("All labels"), qlonglong(kAnyLabel));
    mLabelFilter->addItem(tr("Unlabelled"), qlonglong(kUnlabelled));
    QMenu *menu = mRelabel->menu();
    menu->clear();
    if (!mProject || mDatasetId == 0)
        return;
    for (const Label &label : listLabels(*mProject, mDatasetId)) {
        const QString name = QString::fromStdString(label.name);
        mLabelFilter->addItem(name, qlonglong(label.id));
        menu->addAction(name, this, [this, name] { relabelSelection(name); });
    }
    menu->addSeparator();
    menu->addAction(tr("Remove the label"), this, [this] { relabelSelection({}); });
}

void DatasetsPage::applyFilter()
{
    if (!mProject || mDatasetId == 0) {
        mExamplesModel->setQuery(nullptr, {});
        mMatchCount->clear();
        return;
    }
    ExampleFilter filter;
    filter.datasetId = mDatasetId;
    filter.text = mSearch->text().toStdString();
    const std::int64_t label = mLabelFilter->currentData().toLongLong();
    if (label == kUnlabelled)
        filter.includeUnlabelled = true;
    else if (label != kAnyLabel)
        filter.labelIds = {label};
    if (const auto split = parseSplit(mSplitFilter->currentData().toString().toStdString()))
        filter.splits = {*split};
    mExamplesModel->setQuery(mProject, filter);
    mMatchCount->setText(tr("%n example(s)", nullptr, mExamplesModel->rowCount()));
}

void DatasetsPage::updateLabelSummary()
{
    if (!mProject || mDatasetId == 0) {
        mLabelSummary->clear();
        return;
    }
    QStringList parts;
    const LabelBreakdown breakdown = labelBreakdown(*mProject, mDatasetId);
    for (const LabelSplitCounts &label : breakdown.labels) {
        parts << tr("<b>%1</b> %2 / %3 / %4")
                     .arg(QString::fromStdString(label.label.name).toHtmlEscaped())
                     .arg(label.counts.train)
                     .arg(label.counts.validation)
                     .arg(label.counts.test);
    }
    QString text = parts.isEmpty() ? tr("No labels yet.")
                                   : tr("Labels (train / validation / test): ") + parts.join(QStringLiteral(" · "));
    if (breakdown.unlabelled.total() > 0)
        text += tr(" · <i>%n unlabelled</i>", nullptr, int(breakdown.unlabelled.total()));
    mLabelSummary->setText(text);
}

std::vector<std::int64_t> DatasetsPage::selectedExamples() const
{
    std::vector<std::int64_t> ids;
    for (const QModelIndex &index : mExamples->selectionModel()->selectedRows())
        ids.push_back(mExamplesModel->exampleId(index.row()));
    std::sort(ids.begin(), ids.end());
    return ids;
}

void DatasetsPage::relabelSelection(const QString &label)
{
    const auto ids = selectedExamples();
    if (!mProject || ids.empty())
        return;
    std::optional<std::int64_t> labelId;
    if (!label.isEmpty())
        labelId = requireLabel(*mProject, mDatasetId, label.toStdString()).id;
    setLabel(*mProject, ids, labelId);
    mExamplesModel->rowsChanged(ids);
    updateLabelSummary();
}

void DatasetsPage::moveSelectionToSplit(const QString &split)
{
    const auto ids = selectedExamples();
    if (!mProject || ids.empty())
        return;
    setSplit(*mProject, ids, split.toStdString());
    mExamplesModel->rowsChanged(ids);
    updateLabelSummary();
}

bool DatasetsPage::isLabelling() const
{
    return mStack->currentWidget() == mLabelling;
}

void DatasetsPage::startLabelling()
{
    if (!mProject || mDatasetId == 0)
        return;
    mLabelling->setImageFolder(mExamplesModel->imageFolder());
    mLabelling->setDataset(mProject, mDatasetId);
    if (!mExamplesModel->suggestions().isEmpty()) {
        mLabelling->setSuggestions(mExamplesModel->suggestions());
        mLabelling->setOrder(LabellingView::Order::SmallestMargin);
    }
    mStack->setCurrentWidget(mLabelling);
    mLabelling->setFocus();
}

void DatasetsPage::stopLabelling()
{
    if (!isLabelling())
        return;
    mStack->setCurrentIndex(0);
    mLabelling->setDataset(nullptr, 0);
    updateLabelSummary();
    applyFilter();
}

void DatasetsPage::fillRunMenu()
{
    QMenu *menu = mSuggest->menu();
    menu->clear();
    if (!mProject || mDatasetId == 0)
        return;
    const QString dataset = mDatasetsModel->rowCount() > 0 && mDatasets->currentIndex().isValid()
                                ? mDatasetsModel->row(mDatasets->currentIndex().row()).value(NameColumn).toString()
                                : QString();
    for (const RunRecord &run : listRuns(*mProject)) {
        if (run.state != "completed" || QString::fromStdString(run.dataset) != dataset)
            continue;
        const std::int64_t id = run.id;
        menu->addAction(tr("Run %1: %2").arg(id).arg(QString::fromStdString(run.name)), this,
                        [this, id] { suggestWithRun(id); });
    }
    if (menu->isEmpty())
        menu->addAction(tr("No completed run on this dataset yet"))->setEnabled(false);
}

void DatasetsPage::suggestWithRun(std::int64_t runId)
{
    if (!mProject || mDatasetId == 0 || mSuggestThread)
        return;
    const fs::path project = mProject->folder();
    const fs::path model = project / "runs" / std::to_string(runId) / "model";
    const std::int64_t dataset = mDatasetId;
    mSuggestCancel = std::make_shared<std::atomic<bool>>(false);
    const auto cancel = mSuggestCancel;
    mSuggest->setEnabled(false);
    mSuggestStatus->setText(tr("Suggesting labels with run %1…").arg(runId));
    // The worker has its own connection; results come back as queued calls.
    mSuggestThread = QThread::create([this, project, model, dataset, runId, cancel] {
        Suggestions suggestions;
        QString failure;
        try {
            Project connection = Project::open(project);
            const auto progress = [this, cancel, runId](std::int64_t done, std::int64_t total) {
                QMetaObject::invokeMethod(
                    this,
                    [this, runId, done, total] {
                        mSuggestStatus->setText(tr("Suggesting labels with run %1: %2 of %3").arg(runId).arg(done).arg(total));
                    },
                    Qt::QueuedConnection);
                return !*cancel;
            };
            for (const LabelSuggestion &s : suggestLabels(connection, dataset, model, {}, progress))
                if (s.labelId)
                    suggestions.insert(s.exampleId, {*s.labelId, QString::fromStdString(s.label), s.confidence, s.margin,
                                                     s.entropy});
        } catch (const std::exception &e) {
            failure = QString::fromStdString(e.what());
        }
        QMetaObject::invokeMethod(
            this,
            [this, runId, suggestions, failure, cancel] {
                mSuggestThread->wait();
                mSuggestThread = nullptr;
                mSuggest->setEnabled(mDatasetId != 0);
                if (*cancel) {
                    mSuggestStatus->clear();
                    return;
                }
                if (!failure.isEmpty()) {
                    mSuggestStatus->setText(tr("No suggestions: %1").arg(failure));
                    return;
                }
                showSuggestions(runId, suggestions);
            },
            Qt::QueuedConnection);
    });
    connect(mSuggestThread, &QThread::finished, mSuggestThread, &QObject::deleteLater);
    mSuggestThread->start();
}

void DatasetsPage::showSuggestions(std::int64_t runId, const Suggestions &suggestions)
{
    mExamplesModel->setSuggestions(suggestions);
    mExamples->setColumnHidden(ExamplesModel::SuggestionColumn, false);
    mSuggestStatus->setText(tr("Run %1 suggests labels for %n unlabelled example(s); labelling shows the most "
                               "uncertain first.", nullptr, int(suggestions.size()))
                                .arg(runId));
    if (isLabelling()) {
        mLabelling->setSuggestions(suggestions);
        mLabelling->setOrder(LabellingView::Order::SmallestMargin);
    }
}

bool DatasetsPage::showsGrid() const
{
    return mViews->currentWidget() == mGrid;
}

void DatasetsPage::setShowGrid(bool grid)
{
    mViews->setCurrentWidget(grid ? static_cast<QWidget *>(mGrid) : mExamples);
    const QSignalBlocker block(mGridToggle);
    mGridToggle->setChecked(grid);
}

} // namespace ft::ui
