// datasetspage.cpp
#include "pages/datasetspage.h"

#include "models/examplesmodel.h"
#include "models/recordtablemodel.h"
#include "pages/tablepage.h"
#include "store/datasets.h"
#include "store/project.h"

#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

namespace ft::ui {

namespace {

enum DatasetColumn { NameColumn, ExamplesColumn, TrainColumn, ValidationColumn, TestColumn, LabelsColumn, SourceColumn };

void setUpTable(QTableView *table)
{
    table->setSelectionBehavior(QAbstractItemView::SelectRows);
    table->setSelectionMode(QAbstractItemView::SingleSelection);
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
      mEmptyNote(new QLabel(tr("This project has no datasets yet."), this))
{
    mDatasets->setModel(mDatasetsModel);
    mExamples->setModel(mExamplesModel);
    setUpTable(mDatasets);
    setUpTable(mExamples);
    mExamples->horizontalHeader()->setSectionResizeMode(ExamplesModel::TextColumn, QHeaderView::Stretch);
    mExamples->horizontalHeader()->setStretchLastSection(false);
    mLabelSummary->setWordWrap(true);
    mLabelSummary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    mEmptyNote->setEnabled(false);

    auto *lower = new QWidget(this);
    auto *lowerLayout = new QVBoxLayout(lower);
    lowerLayout->setContentsMargins(0, 0, 0, 0);
    lowerLayout->addWidget(mLabelSummary);
    lowerLayout->addWidget(mExamples, 1);

    auto *splitter = new QSplitter(Qt::Vertical, this);
    splitter->addWidget(mDatasets);
    splitter->addWidget(lower);
    splitter->setStretchFactor(0, 1);
    splitter->setStretchFactor(1, 3);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(makePageTitle(tr("Datasets"), this));
    layout->addWidget(mEmptyNote);
    layout->addWidget(splitter, 1);

    connect(mDatasets->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            [this](const QModelIndex &current) { showDataset(current.row()); });
}

void DatasetsPage::setProject(Project *project)
{
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
                            QString::fromStdString(d.source), qlonglong(d.id), qlonglong(d.withTextPair)});
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
    if (!mProject || row < 0 || row >= mDatasetsModel->rowCount()) {
        mExamplesModel->setDataset(nullptr, 0, 0);
        mLabelSummary->clear();
        return;
    }
    const auto &record = mDatasetsModel->row(row);
    // The id and pair count ride in columns past the headers, which the view never shows.
    const std::int64_t id = record.value(SourceColumn + 1).toLongLong();
    mExamples->setColumnHidden(ExamplesModel::TextPairColumn, record.value(SourceColumn + 2).toLongLong() == 0);
    mExamplesModel->setDataset(mProject, id, record.value(ExamplesColumn).toLongLong());
    if (mExamplesModel->canFetchMore({}))
        mExamplesModel->fetchMore({});

    QStringList parts;
    for (const LabelCount &label : labelCounts(*mProject, id)) {
        parts << tr("<b>%1</b> %2 / %3 / %4")
                     .arg(QString::fromStdString(label.name).toHtmlEscaped())
                     .arg(label.train)
                     .arg(label.validation)
                     .arg(label.test);
    }
    mLabelSummary->setText(parts.isEmpty() ? tr("No labels yet.")
                                           : tr("Labels (train / validation / test): ") + parts.join(QStringLiteral(" · ")));
}

} // namespace ft::ui
