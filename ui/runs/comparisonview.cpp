// comparisonview.cpp: compareRuns on the view's own one-thread pool; results and progress come back queued.
#include "runs/comparisonview.h"

#include "common/error.h"
#include "store/project.h"
#include "store/runs.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QProgressBar>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <set>

namespace ft::ui {

namespace {

constexpr int kProgressSteps = 1000;

// The share of the whole each stage of compareRuns takes: loading (and quantising), accuracy, latency.
double overallFraction(const std::string &stage, double fraction)
{
    if (stage == "loading")
        return 0.4 * fraction;
    if (stage == "accuracy")
        return 0.4 + 0.2 * fraction;
    return 0.6 + 0.4 * fraction;
}

QString stageText(const QString &stage)
{
    if (stage == QLatin1String("loading"))
        return ComparisonView::tr("Loading the models and making their int8 copies…");
    if (stage == QLatin1String("accuracy"))
        return ComparisonView::tr("Measuring accuracy…");
    return ComparisonView::tr("Timing single-example predictions…");
}

QTableWidgetItem *cell(const QString &text, bool number)
{
    auto *item = new QTableWidgetItem(text);
    item->setTextAlignment(number ? Qt::AlignRight | Qt::AlignVCenter : Qt::AlignLeft | Qt::AlignVCenter);
    return item;
}

} // namespace

ComparisonView::ComparisonView(const std::filesystem::path &projectFolder, std::vector<std::int64_t> runs,
                               QWidget *parent)
    : QWidget(parent),
      mTitle(new QLabel(this)),
      mProgress(new QProgressBar(this)),
      mStage(new QLabel(this)),
      mCancel(new QPushButton(tr("Cancel"), this)),
      mAgain(new QPushButton(tr("Compare Again"), this)),
      mTable(new QTableWidget(this)),
      mStatus(new QLabel(this))
{
    mRequest.project = projectFolder;
    mRequest.runs = std::move(runs);
    mRequest.quantized = true;
    mRequest.latencyRuns = 30; // enough for a stable median, short enough to wait for
    mRequest.warmupRuns = 5;
    mPool.setMaxThreadCount(1);
    mCancel->setToolTip(tr("Stop the comparison"));
    mAgain->setToolTip(tr("Measure again, for instance once the machine is less busy"));
    QStringList names;
    for (const std::int64_t run : mRequest.runs)
        names << QStringLiteral("#%1").arg(run);
    setWindowTitle(tr("Compare Runs %1").arg(names.join(QStringLiteral(", "))));
    QFont title = mTitle->font();
    title.setBold(true);
    mTitle->setFont(title);
    const QString reference = names.isEmpty() ? QString() : names.takeFirst();
    mTitle->setText(tr("Run %1, the reference, beside %2, each also as an int8 copy")
                        .arg(reference, names.join(QStringLiteral(", "))));
    mProgress->setRange(0, kProgressSteps);
    mStatus->setWordWrap(true);
    mStatus->setTextInteractionFlags(Qt::TextSelectableByMouse);

    mTable->setColumnCount(ColumnCount);
    mTable->setHorizontalHeaderLabels({tr("Run"), tr("Variant"), tr("Layers"), tr("Parameters"), tr("Size (MB)"),
                                       tr("Latency (ms)"), tr("p90 (ms)"), tr("Accuracy"), tr("Speed-up"),
                                       tr("Accuracy change")});
    mTable->horizontalHeaderItem(LatencyColumn)
        ->setToolTip(tr("Median time of one example's prediction on the CPU, tokenising included"));
    mTable->horizontalHeaderItem(LatencyP90Column)->setToolTip(tr("90th percentile of the same predictions"));
    mTable->horizontalHeaderItem(SpeedUpColumn)->setToolTip(tr("The reference's median latency over this one's"));
    mTable->horizontalHeaderItem(AccuracyChangeColumn)
        ->setToolTip(tr("Accuracy minus the reference's, in percentage points"));
    mTable->horizontalHeaderItem(SizeColumn)
        ->setToolTip(tr("float32: model.safetensors on disk; int8: its tensors in memory, int8 weights with their "
                        "scales"));
    mTable->setEditTriggers(QAbstractItemView::NoEditTriggers);
    mTable->setSelectionBehavior(QAbstractItemView::SelectRows);
    mTable->verticalHeader()->hide();
    // The numbers as wide as they need; the run's name takes the rest.
    mTable->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    mTable->horizontalHeader()->setSectionResizeMode(RunColumn, QHeaderView::Stretch);

    auto *progressRow = new QHBoxLayout;
    progressRow->addWidget(mProgress, 1);
    progressRow->addStretch(); // holds the buttons right while the bar is hidden
    progressRow->addWidget(mCancel);
    progressRow->addWidget(mAgain);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(mTitle);
    layout->addLayout(progressRow);
    layout->addWidget(mStage);
    layout->addWidget(mTable, 1);
    layout->addWidget(mStatus);

    connect(mCancel, &QPushButton::clicked, this, &ComparisonView::cancel);
    connect(mAgain, &QPushButton::clicked, this, &ComparisonView::start);
    mCancel->setEnabled(false);
}

ComparisonView::~ComparisonView()
{
    if (mCancelled)
        mCancelled->store(true);
    mPool.waitForDone();
}

std::vector<std::int64_t> ComparisonView::runsToCompare(Project &project, const std::vector<std::int64_t> &selected)
{
    std::set<std::int64_t> runs(selected.begin(), selected.end());
    std::set<std::int64_t> teachers;
    for (const std::int64_t id : selected) {
        try {
            const auto config = nlohmann::json::parse(runDetails(project, id).configJson, nullptr, false);
            const std::int64_t teacher = config.is_object() ? config.value("distill_teacher_run", std::int64_t{0}) : 0;
            if (teacher > 0 && runDetails(project, teacher).state == RunState::Completed)
                teachers.insert(teacher);
        } catch (const Error &) {
            // A run or teacher deleted meanwhile: compared without it.
        }
    }
    runs.insert(teachers.begin(), teachers.end());
    if (runs.size() < 2)
        return {};
    std::vector<std::int64_t> ordered(teachers.begin(), teachers.end());
    for (const std::int64_t id : runs)
        if (!teachers.contains(id))
            ordered.push_back(id);
    return ordered;
}

void ComparisonView::start()
{
    if (mRunning)
        return;
    mRunning = true;
    mComparison = {};
    mTable->setRowCount(0);
    mStatus->clear();
    mProgress->setValue(0);
    mProgress->setVisible(true);
    mStage->setText(stageText(QStringLiteral("loading")));
    mCancel->setEnabled(true);
    mAgain->setEnabled(false);
    mCancelled = std::make_shared<std::atomic<bool>>(false);
    const auto cancelled = mCancelled;
    const ComparisonRequest request = mRequest;
    mPool.start([this, request, cancelled] {
        ModelComparison result;
        QString failure;
        bool stopped = false;
        try {
            result = compareRuns(request, [this, cancelled](const std::string &stage, double fraction) {
                const QString name = QString::fromStdString(stage);
                QMetaObject::invokeMethod(
                    this, [this, name, fraction] { showProgress(name, fraction); }, Qt::QueuedConnection);
                return !cancelled->load();
            });
        } catch (const Error &e) {
            stopped = e.kind() == ErrorKind::Cancelled;
            failure = QString::fromStdString(e.what());
        } catch (const std::exception &e) { // a model that fails to load or predict
            failure = QString::fromStdString(e.what());
        }
        QMetaObject::invokeMethod(
            this,
            [this, result, failure, stopped] {
                mRunning = false;
                mCancel->setEnabled(false);
                mAgain->setEnabled(true);
                mProgress->setVisible(false);
                mStage->clear();
                if (failure.isEmpty()) {
                    mComparison = result;
                    showComparison();
                } else {
                    showFailure(failure, stopped);
                }
                Q_EMIT finished();
            },
            Qt::QueuedConnection);
    });
}

void ComparisonView::cancel()
{
    if (!mRunning || !mCancelled)
        return;
    mCancelled->store(true);
    mCancel->setEnabled(false);
    mStage->setText(tr("Cancelling…"));
}

void ComparisonView::showProgress(const QString &stage, double fraction)
{
    if (!mRunning || mCancelled->load())
        return;
    mProgress->setValue(int(overallFraction(stage.toStdString(), fraction) * kProgressSteps));
    mStage->setText(stageText(stage));
}

void ComparisonView::showFailure(const QString &message, bool cancelled)
{
    mStatus->setText(cancelled ? tr("Comparison cancelled; Compare Again starts it over.")
                               : QStringLiteral("<span style='color:#b00020'>%1</span>")
                                     .arg(tr("These runs cannot be compared: %1").arg(message).toHtmlEscaped()));
}

void ComparisonView::showComparison()
{
    const std::vector<ComparedModel> &models = mComparison.models;
    mTable->setRowCount(int(models.size()));
    if (models.empty())
        return;
    const ComparedModel &reference = models.front();
    const QLocale locale;
    for (int row = 0; row < int(models.size()); ++row) {
        const ComparedModel &m = models[std::size_t(row)];
        QString run = QStringLiteral("#%1 %2").arg(m.runId).arg(QString::fromStdString(m.runName));
        if (m.runId == reference.runId)
            run += tr(" (teacher)");
        else if (m.teacherRun > 0)
            run += tr(" (student of #%1)").arg(m.teacherRun);
        mTable->setItem(row, RunColumn, cell(run, false));
        mTable->setItem(row, VariantColumn, cell(QString::fromStdString(m.variant), false));
        mTable->setItem(row, LayersColumn, cell(m.layers > 0 ? QString::number(m.layers) : tr("–"), true));
        mTable->setItem(row, ParametersColumn, cell(locale.toString(qlonglong(m.parameters)), true));
        mTable->setItem(row, SizeColumn, cell(QString::number(double(m.bytes) / (1024.0 * 1024.0), 'f', 2), true));
        mTable->setItem(row, LatencyColumn, cell(QString::number(m.latencyMs, 'f', 2), true));
        mTable->setItem(row, LatencyP90Column, cell(QString::number(m.latencyP90Ms, 'f', 2), true));
        mTable->setItem(row, AccuracyColumn, cell(QStringLiteral("%1 %").arg(m.accuracy * 100, 0, 'f', 1), true));
        if (row == 0) {
            mTable->setItem(row, SpeedUpColumn, cell(tr("reference"), true));
            mTable->setItem(row, AccuracyChangeColumn, cell(tr("reference"), true));
        } else {
            const double speedUp = m.latencyMs > 0 ? reference.latencyMs / m.latencyMs : 0;
            const double points = (m.accuracy - reference.accuracy) * 100;
            mTable->setItem(row, SpeedUpColumn, cell(QStringLiteral("%1×").arg(speedUp, 0, 'f', 2), true));
            mTable->setItem(row, AccuracyChangeColumn,
                            cell(tr("%1%2 pts").arg(points > 0.05 ? QStringLiteral("+") : points < -0.05
                                                                                             ? QStringLiteral("−")
                                                                                             : QStringLiteral("±"))
                                     .arg(std::abs(points), 0, 'f', 1),
                                 true));
        }
        if (m.runId == reference.runId)
            for (int column = 0; column < ColumnCount; ++column) {
                QFont font = mTable->item(row, column)->font();
                font.setBold(true);
                mTable->item(row, column)->setFont(font);
            }
    }
    mStatus->setText(
        tr("Accuracy on the %1 split (%2 labelled examples); latency over %3 single-example predictions per model "
           "on the CPU with %4, taken in turns so a busy machine slows all alike.%5")
            .arg(QString::fromStdString(mComparison.split))
            .arg(reference.examples)
            .arg(mComparison.latencyRuns)
            .arg(mComparison.threads == 1 ? tr("1 thread") : tr("%1 threads").arg(mComparison.threads))
            .arg(mComparison.engine.empty() ? QString()
                                            : tr(" int8 copies run on %1.").arg(QString::fromStdString(
                                                  mComparison.engine))));
}

} // namespace ft::ui
