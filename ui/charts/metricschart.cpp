// metricschart.cpp: a live chart of a training run's metrics, several runs overlaid.
#include "charts/metricschart.h"

#include <qcustomplot.h>

#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QMenu>
#include <QSlider>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace ft::ui {

namespace {

// Distinct colours for overlaid runs (after the Tableau 10 palette).
const QColor kRunColours[] = {
    QColor(31, 119, 180), QColor(255, 127, 14), QColor(44, 160, 44), QColor(214, 39, 40),
    QColor(148, 103, 189), QColor(140, 86, 75), QColor(227, 119, 194), QColor(127, 127, 127),
    QColor(188, 189, 34), QColor(23, 190, 207),
};

constexpr int kReplotMs = 30;

} // namespace

MetricsChart::MetricsChart(QWidget *parent)
    : QWidget(parent), mPlot(new QCustomPlot(this)), mMetricCombo(new QComboBox(this)),
      mXAxisCombo(new QComboBox(this)), mLogCheck(new QCheckBox(tr("Log scale"), this)),
      mSmoothSlider(new QSlider(Qt::Horizontal, this)), mSmoothLabel(new QLabel(this)),
      mExportButton(new QToolButton(this)), mReplotTimer(new QTimer(this))
{
    // Wide enough for the longest title up front: metrics arrive after showing.
    mMetricCombo->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    mMetricCombo->setMinimumContentsLength(20);
    mMetricCombo->setToolTip(tr("Metric shown"));
    mXAxisCombo->addItem(tr("Step"), int(XAxis::Step));
    mXAxisCombo->addItem(tr("Epoch"), int(XAxis::Epoch));
    mXAxisCombo->addItem(tr("Wall time"), int(XAxis::WallTime));
    mXAxisCombo->setToolTip(tr("Horizontal axis"));
    mSmoothSlider->setRange(0, 99);
    mSmoothSlider->setValue(int(std::lround(mWeight * 100)));
    mSmoothSlider->setFixedWidth(120);
    mSmoothSlider->setToolTip(tr("Smoothing of the loss curve (exponential moving average)"));
    mSmoothLabel->setText(tr("Smoothing %1").arg(mWeight, 0, 'f', 2));

    mExportButton->setText(tr("Export"));
    mExportButton->setPopupMode(QToolButton::InstantPopup);
    auto *menu = new QMenu(mExportButton);
    menu->addAction(tr("Image (PNG)…"), this, [this] { exportWithDialog(QStringLiteral("png")); });
    menu->addAction(tr("Document (PDF)…"), this, [this] { exportWithDialog(QStringLiteral("pdf")); });
    menu->addAction(tr("Data (CSV)…"), this, [this] { exportWithDialog(QStringLiteral("csv")); });
    mExportButton->setMenu(menu);
    auto *fitButton = new QToolButton(this);
    fitButton->setText(tr("Fit"));
    fitButton->setToolTip(tr("Show all the data again (or double-click the chart)"));

    auto *bar = new QHBoxLayout;
    bar->addWidget(mMetricCombo);
    bar->addWidget(new QLabel(tr("by"), this));
    bar->addWidget(mXAxisCombo);
    bar->addWidget(mLogCheck);
    bar->addSpacing(12);
    bar->addWidget(mSmoothLabel);
    bar->addWidget(mSmoothSlider);
    bar->addStretch(1);
    bar->addWidget(fitButton);
    bar->addWidget(mExportButton);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(bar);
    layout->addWidget(mPlot, 1);

    mPlot->setMinimumHeight(200);
    mPlot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    // Qt rasterizes a dense polyline drawn as one path ~5x slower than its
    // segments one by one (55-65 ms vs 11 ms a replot at 1M points).
    mPlot->setPlottingHint(QCP::phFastPolylines, true);
    mPlot->setNoAntialiasingOnDrag(true);
    mPlot->setMouseTracking(true);
    mPlot->installEventFilter(this);
    mPlot->legend->setVisible(true);
    mPlot->legend->setBrush(QColor(255, 255, 255, 220));
    mPlot->xAxis->setLabel(tr("step"));
    mPlot->xAxis->grid()->setSubGridVisible(false);

    // The crosshair lives on its own buffered layer: moving it repaints only
    // that layer, never the (possibly million-point) graphs below.
    mPlot->addLayer(QString::fromLatin1(kOverlayLayer), nullptr, QCustomPlot::limAbove);
    mPlot->layer(QString::fromLatin1(kOverlayLayer))->setMode(QCPLayer::lmBuffered);
    mCrossLine = new QCPItemStraightLine(mPlot);
    mCrossLine->setLayer(QString::fromLatin1(kOverlayLayer));
    mCrossLine->setPen(QPen(QColor(90, 90, 90), 1, Qt::DashLine));
    mCrossLine->point1->setTypeY(QCPItemPosition::ptAxisRectRatio);
    mCrossLine->point2->setTypeY(QCPItemPosition::ptAxisRectRatio);
    mCrossLine->setVisible(false);
    mCrossText = new QCPItemText(mPlot);
    mCrossText->setLayer(QString::fromLatin1(kOverlayLayer));
    mCrossText->position->setType(QCPItemPosition::ptAbsolute);
    mCrossText->setPositionAlignment(Qt::AlignLeft | Qt::AlignTop);
    mCrossText->setTextAlignment(Qt::AlignLeft);
    mCrossText->setPadding(QMargins(6, 4, 6, 4));
    mCrossText->setBrush(QColor(255, 255, 255, 235));
    mCrossText->setPen(QPen(QColor(160, 160, 160)));
    mCrossText->setClipToAxisRect(false);
    mCrossText->setVisible(false);

    mReplotTimer->setSingleShot(true);
    mReplotTimer->setInterval(kReplotMs);
    connect(mReplotTimer, &QTimer::timeout, this, &MetricsChart::replotNow);

    connect(mMetricCombo, &QComboBox::activated, this, [this] { mUserPickedMetric = true; });
    connect(mMetricCombo, &QComboBox::currentIndexChanged, this, [this](int index) {
        if (index >= 0)
            setMetric(mMetricCombo->itemData(index).toString());
    });
    connect(mXAxisCombo, &QComboBox::currentIndexChanged, this,
            [this](int index) { setXAxis(XAxis(mXAxisCombo->itemData(index).toInt())); });
    connect(mLogCheck, &QCheckBox::toggled, this, &MetricsChart::setLogScale);
    connect(mSmoothSlider, &QSlider::valueChanged, this, [this](int value) {
        mWeight = value / 100.0;
        mSmoothLabel->setText(tr("Smoothing %1").arg(mWeight, 0, 'f', 2));
        rebuildSmoothed();
        scheduleReplot();
    });
    connect(fitButton, &QToolButton::clicked, this, &MetricsChart::fitToData);
    connect(mPlot, &QCustomPlot::mousePress, this, [this] { mFollowData = false; });
    connect(mPlot, &QCustomPlot::mouseWheel, this, [this] { mFollowData = false; });
    connect(mPlot, &QCustomPlot::mouseDoubleClick, this, &MetricsChart::fitToData);
    connect(mPlot, &QCustomPlot::beforeReplot, this, &MetricsChart::pickDetail);
    connect(mPlot, &QCustomPlot::mouseMove, this,
            [this](QMouseEvent *event) { updateCrosshair(event->position().toPoint()); });
    mSmoothSlider->setEnabled(false);
    mSmoothLabel->setEnabled(false);
}

MetricsChart::~MetricsChart() = default;

QString MetricsChart::metricTitle(const QString &metric)
{
    static const QHash<QString, const char *> titles = {
        {QStringLiteral("train/loss"), QT_TR_NOOP("Training loss")},
        {QStringLiteral("eval/loss"), QT_TR_NOOP("Validation loss")},
        {QStringLiteral("eval/accuracy"), QT_TR_NOOP("Validation accuracy")},
        {QStringLiteral("eval/f1_macro"), QT_TR_NOOP("Validation macro-F1")},
        {QStringLiteral("train/learning_rate"), QT_TR_NOOP("Learning rate")},
        {QStringLiteral("train/samples_per_s"), QT_TR_NOOP("Samples per second")},
        {QStringLiteral("train/grad_norm"), QT_TR_NOOP("Gradient norm")},
    };
    const auto it = titles.constFind(metric);
    return it == titles.constEnd() ? metric : tr(*it);
}

MetricsChart::Run *MetricsChart::findRun(std::int64_t runId) const
{
    for (const auto &run : mRuns)
        if (run->id == runId)
            return run.get();
    return nullptr;
}

MetricsChart::Run &MetricsChart::runFor(std::int64_t runId)
{
    if (Run *run = findRun(runId))
        return *run;
    auto run = std::make_unique<Run>();
    run->id = runId;
    run->colour = kRunColours[mNextColour++ % std::size(kRunColours)];
    mRuns.push_back(std::move(run));
    return *mRuns.back();
}

QString MetricsChart::displayName(const Run &run) const
{
    return run.name.isEmpty() ? tr("run %1").arg(run.id) : run.name;
}

double MetricsChart::keyOf(const Point &point) const
{
    switch (mXAxis) {
    case XAxis::Epoch: return point.epoch;
    case XAxis::WallTime: return point.wall;
    case XAxis::Step: break;
    }
    return double(point.step);
}

// TensorBoard's smoothing: an exponential moving average started at zero and
// debiased by 1 - w^n, so the first points are not pulled towards zero.
double MetricsChart::smoothStep(Run &run, double value) const
{
    if (!std::isfinite(value))
        return value;
    run.emaLast = run.emaLast * mWeight + (1.0 - mWeight) * value;
    run.emaPower *= mWeight; // w^n, kept rather than recomputed with pow()
    return run.emaLast / (1.0 - run.emaPower);
}

void MetricsChart::noteValue(Run &run, double value)
{
    if (!std::isfinite(value))
        return;
    if (!run.hasRange) {
        run.minValue = run.maxValue = value;
        run.hasRange = true;
    } else {
        run.minValue = std::min(run.minValue, value);
        run.maxValue = std::max(run.maxValue, value);
    }
    if (value > 0 && (!run.hasPositive || value < run.minPositive)) {
        run.minPositive = value;
        run.hasPositive = true;
    }
}

void MetricsChart::addPoint(std::int64_t runId, const QString &metric, std::int64_t step, double epoch,
                            double value, double wallSeconds)
{
    Run &run = runFor(runId);
    auto &points = run.series[metric];
    points.push_back(Point{step, epoch, wallSeconds, value});
    const QString shownBefore = mMetric;
    if (!mMetricOrder.contains(metric)) {
        mMetricOrder << metric;
        mMetricCombo->addItem(metricTitle(metric), metric);
        // The training loss is the default view until the user picks another.
        if (mMetricCombo->count() == 1
            || (metric == QLatin1String("train/loss") && !mUserPickedMetric))
            mMetricCombo->setCurrentIndex(mMetricCombo->count() - 1);
    }
    if (metric != mMetric || mMetric != shownBefore) // not shown, or just rebuilt with it
        return;
    if (!run.raw) // a run new to the shown metric
        rebuildGraphs();
    else
        appendToGraphs(run, points.back());
    scheduleReplot();
}

void MetricsChart::appendToGraphs(Run &run, const Point &point)
{
    const double key = keyOf(point);
    run.rawSeries.add(key, point.value); // O(1) amortised while keys ascend
    if (run.smooth)
        run.smoothSeries.add(key, smoothStep(run, point.value));
    noteValue(run, point.value);
}

void MetricsChart::setRunName(std::int64_t runId, const QString &name)
{
    Run &run = runFor(runId);
    run.name = name;
    if (run.raw)
        styleGraphs(run);
    scheduleReplot();
}

void MetricsChart::removeRun(std::int64_t runId)
{
    const auto it = std::find_if(mRuns.begin(), mRuns.end(), [runId](const auto &run) { return run->id == runId; });
    if (it == mRuns.end())
        return;
    if ((*it)->raw)
        mPlot->removeGraph((*it)->raw);
    if ((*it)->smooth)
        mPlot->removeGraph((*it)->smooth);
    mRuns.erase(it);
    hideCrosshair();
    scheduleReplot();
}

void MetricsChart::clear()
{
    mPlot->clearGraphs();
    mRuns.clear();
    mMetricOrder.clear();
    mNextColour = 0;
    mUserPickedMetric = false;
    mFollowData = true;
    {
        const QSignalBlocker blocker(mMetricCombo);
        mMetricCombo->clear();
    }
    mMetric.clear();
    hideCrosshair();
    replotNow();
}

void MetricsChart::setMetric(const QString &metric)
{
    const int index = mMetricCombo->findData(metric);
    if (index >= 0 && index != mMetricCombo->currentIndex()) {
        mMetricCombo->setCurrentIndex(index); // comes back here through the signal
        return;
    }
    if (metric == mMetric)
        return;
    mMetric = metric;
    const bool loss = isLossMetric(metric);
    mSmoothSlider->setEnabled(loss);
    mSmoothLabel->setEnabled(loss);
    mPlot->yAxis->setLabel(metricTitle(metric));
    mFollowData = true;
    rebuildGraphs();
    scheduleReplot();
}

void MetricsChart::setXAxis(XAxis mode)
{
    const int index = mXAxisCombo->findData(int(mode));
    if (index != mXAxisCombo->currentIndex()) {
        mXAxisCombo->setCurrentIndex(index);
        return;
    }
    if (mode == mXAxis)
        return;
    mXAxis = mode;
    if (mode == XAxis::WallTime) {
        QSharedPointer<QCPAxisTickerTime> ticker(new QCPAxisTickerTime);
        ticker->setTimeFormat(QStringLiteral("%h:%m:%s"));
        mPlot->xAxis->setTicker(ticker);
        mPlot->xAxis->setLabel(tr("wall time"));
    } else {
        mPlot->xAxis->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
        mPlot->xAxis->setLabel(mode == XAxis::Epoch ? tr("epoch") : tr("step"));
    }
    mFollowData = true;
    rebuildGraphs();
    scheduleReplot();
}

void MetricsChart::setLogScale(bool on)
{
    if (mLogCheck->isChecked() != on) {
        mLogCheck->setChecked(on);
        return;
    }
    mPlot->yAxis->setScaleType(on ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
    if (on) {
        QSharedPointer<QCPAxisTickerLog> ticker(new QCPAxisTickerLog);
        mPlot->yAxis->setTicker(ticker);
        mPlot->yAxis->setNumberFormat(QStringLiteral("eb"));
        mPlot->yAxis->setNumberPrecision(0);
    } else {
        mPlot->yAxis->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
        mPlot->yAxis->setNumberFormat(QStringLiteral("gb"));
        mPlot->yAxis->setNumberPrecision(6);
    }
    mFollowData = true;
    scheduleReplot();
}

bool MetricsChart::logScale() const { return mPlot->yAxis->scaleType() == QCPAxis::stLogarithmic; }

void MetricsChart::setSmoothing(double weight)
{
    mSmoothSlider->setValue(int(std::lround(std::clamp(weight, 0.0, 0.99) * 100)));
}

double MetricsChart::smoothing() const { return mWeight; }

void MetricsChart::fitToData()
{
    mFollowData = true;
    replotNow();
}

// Builds every run's graphs for the shown metric and key afresh, in one
// setData per graph rather than a point at a time.
void MetricsChart::rebuildGraphs()
{
    hideCrosshair();
    const bool loss = isLossMetric(mMetric);
    for (auto &runPtr : mRuns) {
        Run &run = *runPtr;
        const auto it = run.series.constFind(mMetric);
        const bool has = it != run.series.constEnd() && !it->empty();
        if (!has || !loss) {
            if (run.smooth)
                mPlot->removeGraph(run.smooth);
            run.smooth = nullptr;
        }
        if (!has) {
            if (run.raw)
                mPlot->removeGraph(run.raw);
            run.raw = nullptr;
            continue;
        }
        if (!run.raw)
            run.raw = mPlot->addGraph();
        if (loss && !run.smooth)
            run.smooth = mPlot->addGraph();
        QVector<QCPGraphData> data;
        data.reserve(qsizetype(it->size()));
        run.hasRange = run.hasPositive = false;
        bool sorted = true;
        for (const Point &point : *it) {
            const double key = keyOf(point);
            sorted = sorted && (data.isEmpty() || data.last().key <= key);
            data.append(QCPGraphData(key, point.value));
            noteValue(run, point.value);
        }
        run.rawSeries.set(data, sorted);
        run.raw->setData(run.rawSeries.full());
        styleGraphs(run);
    }
    rebuildSmoothed();
}

void MetricsChart::rebuildSmoothed()
{
    for (auto &runPtr : mRuns) {
        Run &run = *runPtr;
        run.emaLast = 0.0;
        run.emaPower = 1.0;
        if (!run.smooth)
            continue;
        // From the raw graph's data: already in key order, as the EMA must be.
        const auto raw = run.rawSeries.full();
        QVector<QCPGraphData> data;
        data.reserve(raw->size());
        for (auto p = raw->constBegin(); p != raw->constEnd(); ++p)
            data.append(QCPGraphData(p->key, smoothStep(run, p->value)));
        run.smoothSeries.set(data, true);
        run.smooth->setData(run.smoothSeries.full());
    }
}

void MetricsChart::styleGraphs(Run &run)
{
    const QString name = displayName(run);
    const bool sparse = mMetric.startsWith(QLatin1String("eval/"));
    if (run.smooth) {
        QColor faint = run.colour;
        faint.setAlpha(70);
        run.raw->setPen(QPen(faint, 1));
        run.raw->setName(name + tr(" (raw)"));
        run.raw->removeFromLegend();
        run.smooth->setPen(QPen(run.colour, 2));
        run.smooth->setName(name);
        run.smooth->setScatterStyle(sparse ? QCPScatterStyle(QCPScatterStyle::ssDisc, 5)
                                           : QCPScatterStyle());
    } else {
        run.raw->setPen(QPen(run.colour, 2));
        run.raw->setName(name);
        run.raw->addToLegend();
        run.raw->setScatterStyle(sparse ? QCPScatterStyle(QCPScatterStyle::ssDisc, 5)
                                        : QCPScatterStyle());
    }
}

// Axis ranges from the running bounds kept per run: O(runs), not O(points).
void MetricsChart::updateAxes()
{
    if (!mFollowData)
        return;
    const bool log = logScale();
    bool any = false;
    double keyLo = 0, keyHi = 0, lo = 0, hi = 0;
    for (const auto &run : mRuns) {
        if (!run->raw || run->rawSeries.full()->isEmpty() || !run->hasRange || (log && !run->hasPositive))
            continue;
        const auto data = run->rawSeries.full();
        const double kLo = data->constBegin()->key, kHi = (data->constEnd() - 1)->key;
        const double vLo = log ? run->minPositive : run->minValue;
        keyLo = any ? std::min(keyLo, kLo) : kLo;
        keyHi = any ? std::max(keyHi, kHi) : kHi;
        lo = any ? std::min(lo, vLo) : vLo;
        hi = any ? std::max(hi, run->maxValue) : run->maxValue;
        any = true;
    }
    if (!any)
        return;
    if (keyHi <= keyLo)
        keyHi = keyLo + 1;
    mPlot->xAxis->setRange(keyLo, keyHi);
    if (log) {
        mPlot->yAxis->setRange(lo / 1.25, std::max(hi, lo) * 1.25);
    } else {
        const double pad = hi > lo ? (hi - lo) * 0.05 : std::max(std::abs(hi) * 0.05, 0.5);
        mPlot->yAxis->setRange(lo - pad, hi + pad);
    }
}

// Just before each replot: every graph draws the full data or the envelope
// that gives the same pixels for the visible range, so a replot costs
// O(pixels), not O(points).
void MetricsChart::pickDetail()
{
    const QCPRange range = mPlot->xAxis->range();
    const int pixels = mPlot->axisRect()->width();
    for (const auto &run : mRuns) {
        if (run->raw)
            run->raw->setData(run->rawSeries.dataFor(range, pixels));
        if (run->smooth)
            run->smooth->setData(run->smoothSeries.dataFor(range, pixels));
    }
}

void MetricsChart::scheduleReplot()
{
    if (!mReplotTimer->isActive())
        mReplotTimer->start();
}

void MetricsChart::replotNow()
{
    mReplotTimer->stop();
    updateAxes();
    mPlot->replot(QCustomPlot::rpRefreshHint); // already coalesced by the timer
}

QCPGraph *MetricsChart::rawGraph(std::int64_t runId) const
{
    const Run *run = findRun(runId);
    return run ? run->raw : nullptr;
}

QCPGraph *MetricsChart::smoothedGraph(std::int64_t runId) const
{
    const Run *run = findRun(runId);
    return run ? run->smooth : nullptr;
}

int MetricsChart::pointCount(std::int64_t runId, const QString &metric) const
{
    const Run *run = findRun(runId);
    if (!run)
        return 0;
    const auto it = run->series.constFind(metric);
    return it == run->series.constEnd() ? 0 : int(it->size());
}

} // namespace ft::ui
