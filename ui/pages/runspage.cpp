// runspage.cpp
#include "pages/runspage.h"

#include "charts/metricschart.h"
#include "pages/tablepage.h"
#include "runs/comparisonview.h"
#include "runs/desktopsession.h"
#include "runs/evaluationview.h"
#include "runs/playground.h"
#include "runs/rundialog.h"
#include "runs/runqueue.h"
#include "store/catalog.h"
#include "store/project.h"
#include "store/runs.h"
#include "train/run_import.h"
#include "train/run_config.h"
#include "train/run_inputs.h"
#include "train/run_lock.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QFileDialog>
#include <QInputDialog>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QSplitter>
#include <QStackedWidget>
#include <QTableWidget>
#include <QTime>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>

#include <nlohmann/json.hpp>

namespace ft::ui {

namespace {

enum Column { IdColumn, NameColumn, StateColumn, DatasetColumn, ModelColumn, CreatedColumn, ColumnCount };
constexpr int kQueueItemRole = Qt::UserRole + 1; // on the name cell: the queue item, when there is one
constexpr int kRunIdRole = Qt::UserRole + 2;     // on the name cell: the run id, once it exists

QString stateName(RunQueue::ItemState state)
{
    switch (state) {
    case RunQueue::ItemState::Waiting: return RunsPage::tr("queued");
    case RunQueue::ItemState::Running: return RunsPage::tr("running");
    case RunQueue::ItemState::Paused: return RunsPage::tr("paused");
    case RunQueue::ItemState::Finished: break;
    }
    return {};
}

QString duration(double seconds)
{
    return QTime(0, 0).addSecs(int(seconds + 0.5)).toString(seconds >= 3600 ? QStringLiteral("h:mm:ss")
                                                                            : QStringLiteral("m:ss"));
}

QToolButton *toolButton(const QString &text, const QString &tip, QWidget *parent)
{
    auto *button = new QToolButton(parent);
    button->setText(text);
    button->setToolTip(tip);
    return button;
}

} // namespace

RunsPage::RunsPage(QWidget *parent)
    : QWidget(parent),
      mList(new QTableWidget(this)),
      mBody(new QStackedWidget(this)),
      mEmptyNote(new QLabel(tr("No fine-tuning runs in this project yet. Start one with New Run."), this)),
      mHeader(new QLabel(this)),
      mProgress(new QProgressBar(this)),
      mProgressText(new QLabel(this)),
      mLog(new QPlainTextEdit(this)),
      mNew(toolButton(tr("New Run…"), tr("Configure and launch a run"), this)),
      mPause(toolButton(tr("Pause"), tr("Pause the selected run after its current step"), this)),
      mResume(toolButton(tr("Resume"), tr("Resume the selected run"), this)),
      mCancel(toolButton(tr("Cancel"), tr("Cancel the selected run; a queued one leaves the queue"), this)),
      mUp(toolButton(tr("Up"), tr("Train the selected queued run earlier"), this)),
      mDown(toolButton(tr("Down"), tr("Train the selected queued run later"), this)),
      mEvaluate(toolButton(tr("Evaluate…"), tr("The selected run's report, confusion matrix and likely label errors"),
                           this)),
      mTry(toolButton(tr("Try…"), tr("Classify your own texts with the selected run's model"), this)),
      mExport(toolButton(tr("Export…"), tr("Export the selected run's model for other tools"), this)),
      mCompare(toolButton(tr("Compare…"), tr("Size, latency and accuracy of the selected runs side by side, with "
                                              "their int8 copies; a distilled run beside its teacher"), this)),
      mDuplicate(toolButton(tr("Run Again…"), tr("A new run from the selected one's configuration, to change"), this)),
      mDelete(toolButton(tr("Delete…"), tr("Delete the selected run with its checkpoints"), this)),
      mImport(toolButton(tr("Import Run…"),
                         tr("Bring in a run trained elsewhere, in a copy of this project (Run Elsewhere… in the run "
                            "dialog writes its launch files)"),
                         this)),
      mChart(new MetricsChart(this)),
      mDesktop(new DesktopSession(QDBusConnection::sessionBus(), this))
{
    mList->setColumnCount(ColumnCount);
    mList->setHorizontalHeaderLabels({tr("Run"), tr("Name"), tr("State"), tr("Dataset"), tr("Model"), tr("Created")});
    mList->setSelectionBehavior(QAbstractItemView::SelectRows);
    mList->setSelectionMode(QAbstractItemView::ExtendedSelection); // several runs to compare
    mList->setEditTriggers(QAbstractItemView::NoEditTriggers);
    mList->verticalHeader()->hide();
    mList->horizontalHeader()->setStretchLastSection(true);
    mEmptyNote->setAlignment(Qt::AlignCenter);
    mEmptyNote->setEnabled(false);
    mLog->setReadOnly(true);
    mLog->setMaximumBlockCount(5000);
    mLog->setPlaceholderText(tr("The selected run's log"));
    QFont header = mHeader->font();
    header.setBold(true);
    mHeader->setFont(header);

    auto *toolbar = new QHBoxLayout;
    for (QToolButton *button : {mNew, mPause, mResume, mCancel, mUp, mDown, mEvaluate, mTry, mExport, mDuplicate, mDelete})
        toolbar->addWidget(button);
    toolbar->addStretch();
    // Beside the title: the toolbar is as wide as the narrowest window already.
    auto *title = new QHBoxLayout;
    title->addWidget(makePageTitle(tr("Runs"), this));
    title->addStretch();
    title->addWidget(mCompare);
    title->addWidget(mImport);

    auto *detail = new QWidget(this);
    auto *detailLayout = new QVBoxLayout(detail);
    detailLayout->setContentsMargins(0, 0, 0, 0);
    detailLayout->addWidget(mHeader);
    detailLayout->addWidget(mProgress);
    detailLayout->addWidget(mProgressText);
    detailLayout->addWidget(mLog, 1);

    // The chart's controls may be clipped in a narrow window rather than widen it.
    mChart->setMinimumSize(240, 200);
    auto *lower = new QSplitter(Qt::Horizontal, this);
    lower->addWidget(detail);
    lower->addWidget(mChart);
    lower->setStretchFactor(1, 2);
    auto *splitter = new QSplitter(Qt::Vertical, this);
    splitter->addWidget(mList);
    splitter->addWidget(lower);
    splitter->setStretchFactor(1, 2);
    mBody->addWidget(splitter);
    mBody->addWidget(mEmptyNote);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(title);
    layout->addLayout(toolbar);
    layout->addWidget(mBody, 1);

    connect(mNew, &QToolButton::clicked, this, &RunsPage::newRun);
    connect(mPause, &QToolButton::clicked, this, &RunsPage::pauseSelected);
    connect(mResume, &QToolButton::clicked, this, &RunsPage::resumeSelected);
    connect(mCancel, &QToolButton::clicked, this, &RunsPage::cancelSelected);
    connect(mUp, &QToolButton::clicked, this, [this] { moveSelected(-1); });
    connect(mDuplicate, &QToolButton::clicked, this, &RunsPage::duplicateSelected);
    connect(mTry, &QToolButton::clicked, this, &RunsPage::trySelected);
    connect(mExport, &QToolButton::clicked, this, [this] {
        if (const auto runId = selectedRunId())
            Q_EMIT exportRequested(*runId);
    });
    connect(mEvaluate, &QToolButton::clicked, this, &RunsPage::evaluateSelected);
    connect(mCompare, &QToolButton::clicked, this, &RunsPage::compareSelected);
    connect(mDelete, &QToolButton::clicked, this, &RunsPage::deleteSelected);
    connect(mImport, &QToolButton::clicked, this, [this] {
        const QString folder = QFileDialog::getExistingDirectory(this, tr("Import Run: the project copy it trained in"));
        if (folder.isEmpty())
            return;
        QStringList choices;
        try {
            Project other = Project::open(folder.toStdString());
            for (const RunRecord &run : listRuns(other))
                choices << QStringLiteral("%1: %2 (%3)").arg(run.id).arg(QString::fromStdString(run.name),
                                                                          QString::fromStdString(run.state));
        } catch (const std::exception &e) {
            QMessageBox::warning(this, tr("Import Run"), QString::fromStdString(e.what()));
            return;
        }
        bool chosen = false;
        const QString choice = QInputDialog::getItem(this, tr("Import Run"), tr("Run of %1").arg(folder), choices, 0,
                                                     false, &chosen);
        if (chosen && !choice.isEmpty())
            importRunFrom(folder, choice.section(QLatin1Char(':'), 0, 0).toLongLong());
    });
    connect(mDown, &QToolButton::clicked, this, [this] { moveSelected(1); });
    connect(mList, &QTableWidget::itemSelectionChanged, this, &RunsPage::showSelection);
    resetQueue();
}

RunsPage::~RunsPage() = default; // the queue (a child) stops its run

void RunsPage::resetQueue()
{
    delete mQueue; // cancels a running run; it stays resumable
    mLogs.clear();
    mItemOfRun.clear();
    mCharted.clear();
    mChart->clear();
    mQueue = new RunQueue(this);
    connect(mQueue, &RunQueue::itemsChanged, this, &RunsPage::refresh);
    connect(mQueue, &RunQueue::runCreated, this, [this](int item, std::int64_t runId) {
        mItemOfRun.insert(runId, item);
        if (const auto queued = mQueue->item(item))
            mChart->setRunName(runId, tr("%1: %2").arg(runId).arg(queued->title));
        if (!mCharted.contains(runId))
            chartStoredRun(runId, {}); // a resumed run: its points so far
        mCharted.insert(runId);
    });
    connect(mQueue, &RunQueue::metricPoint, this, [this](int item, const MetricPoint &point) {
        const auto queued = mQueue->item(item);
        if (!queued || !queued->runId)
            return;
        mChart->addPoint(*queued->runId, QString::fromStdString(point.name), point.step, point.epoch, point.value,
                         point.wallSeconds);
    });
    connect(mQueue, &RunQueue::logLine, this, [this](int item, int, const QString &text) {
        const QString line = QTime::currentTime().toString(QStringLiteral("HH:mm:ss ")) + text;
        mLogs[item].append(line);
        if (selectedQueueItem() == item)
            mLog->appendPlainText(line);
    });
    connect(mQueue, &RunQueue::runStateChanged, this, [this](int item, RunState state, const QString &detail) {
        const QString line = QTime::currentTime().toString(QStringLiteral("HH:mm:ss ")) + tr("state: %1%2")
                                 .arg(QString::fromStdString(toString(state)),
                                      detail.isEmpty() ? QString() : QStringLiteral(" (") + detail + QLatin1Char(')'));
        mLogs[item].append(line);
        if (selectedQueueItem() == item)
            mLog->appendPlainText(line);
    });
    connect(mQueue, &RunQueue::progress, this, &RunsPage::showProgress);
    connect(mQueue, &RunQueue::runFinished, this, [this](int item, RunState outcome, const QString &error) {
        refresh();
        const auto finished = mQueue->item(item);
        const QString run = finished && finished->runId ? tr("Run %1").arg(*finished->runId) : tr("A run");
        if (outcome == RunState::Completed)
            mDesktop->notify(tr("%1 completed").arg(run), finished ? finished->title : QString());
        else if (outcome == RunState::Failed)
            mDesktop->notify(tr("%1 failed").arg(run), error);
    });
    // Keep the machine awake while anything trains.
    connect(mQueue, &RunQueue::itemsChanged, this, [this] { mDesktop->setTraining(!mQueue->isIdle()); });
}

void RunsPage::setDesktopSession(DesktopSession *session)
{
    delete mDesktop;
    mDesktop = session;
    mDesktop->setParent(this);
    mDesktop->setTraining(!mQueue->isIdle());
}

void RunsPage::setProject(Project *project)
{
    if (project != mProject)
        resetQueue();
    mProject = project;
    refresh();
}

void RunsPage::refresh()
{
    const auto selectedItem = selectedQueueItem();
    const auto selectedRun = selectedRunId();
    const QSignalBlocker block(mList);
    mList->setRowCount(0);
    const auto addRow = [this](const QStringList &cells, std::optional<int> item, std::optional<std::int64_t> runId) {
        const int row = mList->rowCount();
        mList->insertRow(row);
        for (int column = 0; column < ColumnCount; ++column)
            mList->setItem(row, column, new QTableWidgetItem(cells.value(column)));
        if (item)
            mList->item(row, NameColumn)->setData(kQueueItemRole, *item);
        if (runId)
            mList->item(row, NameColumn)->setData(kRunIdRole, qlonglong(*runId));
    };
    // The queue's live items first (running, then waiting in order), then every stored run, newest first.
    QSet<std::int64_t> shown;
    for (const RunQueue::Item &item : mQueue->items()) {
        if (item.state == RunQueue::ItemState::Finished)
            continue;
        addRow({item.runId ? QString::number(*item.runId) : QStringLiteral("–"), item.title, stateName(item.state),
                QString::fromStdString(item.request.dataset), QString::fromStdString(item.request.model)},
               item.id, item.runId);
        if (item.runId)
            shown.insert(*item.runId);
    }
    if (mProject) {
        auto runs = listRuns(*mProject);
        std::sort(runs.begin(), runs.end(), [](const RunRecord &a, const RunRecord &b) { return a.id > b.id; });
        for (const RunRecord &run : runs) { // newest first
            if (shown.contains(run.id))
                continue;
            // A run the store calls running that no process trains was cut off (a crash, kill -9).
            QString state = QString::fromStdString(run.state);
            if ((state == QLatin1String("running") || state == QLatin1String("paused"))
                && !isRunBeingTrained(mProject->folder(), run.id))
                state = tr("interrupted");
            addRow({QString::number(run.id), QString::fromStdString(run.name), state,
                    QString::fromStdString(run.dataset), QString::fromStdString(run.model),
                    QString::fromStdString(run.createdAt)},
                   mItemOfRun.contains(run.id) ? std::optional<int>(mItemOfRun.value(run.id)) : std::nullopt, run.id);
        }
    }
    mList->resizeColumnsToContents();
    mBody->setCurrentIndex(mList->rowCount() == 0 ? 1 : 0);
    // Keep the selection on the same run.
    for (int row = 0; row < mList->rowCount(); ++row) {
        const QTableWidgetItem *cell = mList->item(row, NameColumn);
        const bool same = (selectedItem && cell->data(kQueueItemRole).isValid() && cell->data(kQueueItemRole).toInt() == *selectedItem)
                          || (selectedRun && cell->data(kRunIdRole).isValid() && cell->data(kRunIdRole).toLongLong() == *selectedRun);
        if (same) {
            mList->selectRow(row);
            break;
        }
    }
    mNew->setEnabled(mProject != nullptr);
    showSelection();
}

bool RunsPage::showsEmptyNote() const
{
    return mBody->currentWidget() == mEmptyNote;
}

std::optional<int> RunsPage::selectedQueueItem() const
{
    const auto rows = mList->selectionModel()->selectedRows(NameColumn);
    if (rows.isEmpty())
        return std::nullopt;
    const QVariant item = rows.first().data(kQueueItemRole);
    return item.isValid() ? std::optional<int>(item.toInt()) : std::nullopt;
}

std::optional<std::int64_t> RunsPage::selectedRunId() const
{
    const auto rows = mList->selectionModel()->selectedRows(NameColumn);
    if (rows.isEmpty())
        return std::nullopt;
    const QVariant run = rows.first().data(kRunIdRole);
    return run.isValid() ? std::optional<std::int64_t>(run.toLongLong()) : std::nullopt;
}

void RunsPage::selectQueueItem(int item)
{
    for (int row = 0; row < mList->rowCount(); ++row) {
        const QVariant value = mList->item(row, NameColumn)->data(kQueueItemRole);
        if (value.isValid() && value.toInt() == item) {
            mList->selectRow(row);
            return;
        }
    }
}

void RunsPage::showSelection()
{
    const auto item = selectedQueueItem();
    const auto queued = item ? mQueue->item(*item) : std::nullopt;
    const bool live = queued && queued->state != RunQueue::ItemState::Finished;
    mPause->setEnabled(live && queued->state == RunQueue::ItemState::Running);
    mResume->setEnabled((live && queued->state == RunQueue::ItemState::Paused) || resumableStoredRun().has_value());
    mCancel->setEnabled(live);
    mUp->setEnabled(live && queued->state == RunQueue::ItemState::Waiting);
    mDown->setEnabled(live && queued->state == RunQueue::ItemState::Waiting);
    const bool stored = selectedRunId().has_value();
    mDuplicate->setEnabled(stored);
    const auto states = mList->selectionModel()->selectedRows(StateColumn);
    const bool completed = stored && !states.isEmpty() && states.first().data().toString() == QLatin1String("completed");
    mTry->setEnabled(completed);
    mExport->setEnabled(completed);
    mEvaluate->setEnabled(completed);
    mCompare->setEnabled(mProject && !ComparisonView::runsToCompare(*mProject, selectedCompletedRuns()).empty());
    mDelete->setEnabled(stored && !live);
    const auto rows = mList->selectionModel()->selectedRows(NameColumn);
    mHeader->setText(rows.isEmpty() ? QString() : rows.first().data().toString());
    mProgress->setVisible(live);
    if (!live)
        mProgressText->clear();
    mLog->setPlainText(item ? mLogs.value(*item).join(QLatin1Char('\n')) : QString());
    // A stored run joins the chart when selected, overlaid on the others.
    if (const auto runId = selectedRunId(); runId && !mCharted.contains(*runId)) {
        mCharted.insert(*runId);
        chartStoredRun(*runId, tr("%1: %2").arg(*runId).arg(rows.first().data().toString()));
    }
}

void RunsPage::chartStoredRun(std::int64_t runId, const QString &name)
{
    if (!mProject)
        return;
    if (!name.isEmpty())
        mChart->setRunName(runId, name);
    for (const MetricPoint &point : runMetrics(*mProject, runId))
        mChart->addPoint(runId, QString::fromStdString(point.name), point.step, point.epoch, point.value,
                         point.wallSeconds);
}

void RunsPage::showProgress(int item, const TrainingProgress &p)
{
    if (const auto queued = mQueue->item(item); queued && queued->runId)
        mChart->addPoint(*queued->runId, QStringLiteral("train/samples_per_s"), p.step, p.epoch, p.samplesPerSecond,
                         p.elapsedSeconds);
    if (selectedQueueItem() != item)
        return;
    mProgress->setVisible(true);
    mProgress->setRange(0, int(std::max<std::int64_t>(1, p.totalSteps)));
    mProgress->setValue(int(p.step));
    mProgressText->setText(tr("step %1 of %2 · epoch %3 · %4 samples/s · loss %5 · ETA %6")
                               .arg(p.step)
                               .arg(p.totalSteps)
                               .arg(p.epoch, 0, 'f', 2)
                               .arg(p.samplesPerSecond, 0, 'f', 1)
                               .arg(p.loss, 0, 'f', 4)
                               .arg(duration(p.etaSeconds)));
}

RunDialog *RunsPage::newRun()
{
    if (!mProject)
        return nullptr;
    auto *dialog = new RunDialog(*mProject, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &RunDialog::launchRequested, this, [this](const TrainingRequest &request, const QString &title) {
        selectQueueItem(mQueue->enqueue(request, title));
    });
    dialog->show();
    return dialog;
}

void RunsPage::pauseSelected()
{
    if (const auto item = selectedQueueItem())
        mQueue->pause(*item);
}

void RunsPage::resumeSelected()
{
    if (const auto item = selectedQueueItem(); item && mQueue->resume(*item))
        return;
    // A run that stopped (the app closed, a crash, a cancel) continues from its last checkpoint.
    if (const auto runId = resumableStoredRun()) {
        TrainingRequest request;
        request.project = mProject->folder();
        request.resumeRun = *runId;
        selectQueueItem(mQueue->enqueue(request, tr("Run %1, resumed").arg(*runId)));
    }
}

std::optional<std::int64_t> RunsPage::resumableStoredRun() const
{
    const auto runId = selectedRunId();
    if (!runId || !mProject)
        return std::nullopt;
    // Not if this studio is training it now.
    for (const RunQueue::Item &item : mQueue->items())
        if (item.runId == runId && item.state != RunQueue::ItemState::Finished)
            return std::nullopt;
    const auto rows = mList->selectionModel()->selectedRows(StateColumn);
    const QString state = rows.isEmpty() ? QString() : rows.first().data().toString();
    return state == QLatin1String("completed") || state == QLatin1String("queued") ? std::nullopt : runId;
}

void RunsPage::cancelSelected()
{
    if (const auto item = selectedQueueItem())
        mQueue->cancel(*item);
}

void RunsPage::moveSelected(int delta)
{
    if (const auto item = selectedQueueItem())
        delta < 0 ? mQueue->moveUp(*item) : mQueue->moveDown(*item);
}

EvaluationView *RunsPage::evaluateSelected()
{
    const auto runId = selectedRunId();
    if (!mProject || !runId || !mEvaluate->isEnabled())
        return nullptr;
    auto *view = new EvaluationView(*mProject, *runId, this);
    view->setWindowFlag(Qt::Window);
    view->setAttribute(Qt::WA_DeleteOnClose);
    view->resize(980, 720);
    view->show();
    return view;
}

std::vector<std::int64_t> RunsPage::selectedCompletedRuns() const
{
    std::vector<std::int64_t> runs;
    for (const QModelIndex &index : mList->selectionModel()->selectedRows(NameColumn))
        if (index.data(kRunIdRole).isValid() && mList->item(index.row(), StateColumn)->text() == "completed")
            runs.push_back(index.data(kRunIdRole).toLongLong());
    return runs;
}

ComparisonView *RunsPage::compareSelected()
{
    const std::vector<std::int64_t> runs =
        mProject ? ComparisonView::runsToCompare(*mProject, selectedCompletedRuns()) : std::vector<std::int64_t>{};
    if (runs.empty())
        return nullptr;
    auto *view = new ComparisonView(mProject->folder(), runs, this);
    view->setWindowFlag(Qt::Window);
    view->setAttribute(Qt::WA_DeleteOnClose);
    view->resize(1080, 420);
    view->show();
    view->start();
    return view;
}

Playground *RunsPage::trySelected()
{
    const auto runId = selectedRunId();
    if (!mProject || !runId || !mTry->isEnabled())
        return nullptr;
    auto *playground = new Playground(this);
    playground->setWindowFlag(Qt::Window);
    playground->setAttribute(Qt::WA_DeleteOnClose);
    playground->setWindowTitle(tr("Playground: run %1").arg(*runId));
    playground->resize(720, 560);
    playground->setModelFolder(mProject->folder() / "runs" / std::to_string(*runId) / "model", tr("run %1").arg(*runId));
    playground->show();
    return playground;
}

RunDialog *RunsPage::duplicateSelected()
{
    const auto runId = selectedRunId();
    if (!mProject || !runId)
        return nullptr;
    const RunDetails run = runDetails(*mProject, *runId);
    RunDialog *dialog = newRun();
    try {
        const QString dataset = run.datasetId ? QString::fromStdString(datasetNameOf(*mProject, *run.datasetId)) : QString();
        const QString model = run.modelId ? QString::fromStdString(modelSourceOf(*mProject, *run.modelId)) : QString();
        dialog->setRequest(dataset, model, parseRunConfig(nlohmann::json::parse(run.configJson)));
    } catch (const std::exception &e) {
        dialog->problemLabel()->setText(tr("Run %1's settings could not all be taken over: %2")
                                            .arg(*runId)
                                            .arg(QString::fromStdString(e.what())));
    }
    dialog->setWindowTitle(tr("New Run from Run %1").arg(*runId));
    return dialog;
}

bool RunsPage::importRunFrom(const QString &projectFolder, std::int64_t runId)
{
    if (!mProject)
        return false;
    try {
        const ImportedRun imported = importRun(*mProject, projectFolder.toStdString(), runId);
        refresh();
        for (int row = 0; row < mList->rowCount(); ++row)
            if (mList->item(row, NameColumn)->data(kRunIdRole).toLongLong() == imported.runId)
                mList->selectRow(row);
        return true;
    } catch (const std::exception &e) {
        mHeader->setText(tr("Cannot import run %1 of %2: %3")
                             .arg(runId)
                             .arg(projectFolder, QString::fromStdString(e.what())));
        return false;
    }
}

QMessageBox *RunsPage::deleteSelected()
{
    const auto runId = selectedRunId();
    if (!mProject || !runId || mDelete->isEnabled() == false)
        return nullptr;
    const auto checkpoints = runCheckpoints(*mProject, *runId);
    const QString name = mList->selectionModel()->selectedRows(NameColumn).first().data().toString();
    auto *box = new QMessageBox(QMessageBox::Warning, tr("Delete Run"),
                                tr("Delete run %1, \"%2\"? Its metrics, %n checkpoint(s) and its final model are "
                                   "removed from the project; this cannot be undone.",
                                   nullptr, int(checkpoints.size()))
                                    .arg(*runId)
                                    .arg(name),
                                QMessageBox::Cancel, this);
    QPushButton *remove = box->addButton(tr("Delete"), QMessageBox::DestructiveRole);
    box->setDefaultButton(QMessageBox::Cancel);
    box->setAttribute(Qt::WA_DeleteOnClose);
    const std::int64_t id = *runId;
    connect(box, &QMessageBox::finished, this, [this, box, remove, id] {
        if (box->clickedButton() != remove || !mProject)
            return;
        deleteRun(*mProject, id);
        mCharted.remove(id);
        mChart->removeRun(id);
        refresh();
    });
    box->open(); // window-modal, not blocking: the studio keeps running
    return box;
}

} // namespace ft::ui
