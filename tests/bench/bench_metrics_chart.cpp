// bench_metrics_chart.cpp: how the live metrics chart copes with a long run:
// the time to append 1,000,000 training-loss points (raw and smoothed), to
// recompute the smoothing, and to replot the chart shown at 1200x700, over
// the whole run and zoomed to 1% and to 500 steps. --slow-polylines turns
// QCustomPlot's phFastPolylines off again, for the figure before it.
// Offscreen; prints one JSON object. A benchmark: it never fails on times.
//
//   bench_metrics_chart [--points N] [--replots N] [--slow-polylines]
#include "charts/metricschart.h"

#include <qcustomplot.h>

#include <QApplication>
#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

namespace {

struct Stats {
    double median = 0, worst = 0;
};

Stats replotTimes(QCustomPlot *plot, int count)
{
    std::vector<double> ms;
    plot->replot(QCustomPlot::rpImmediateRefresh); // warm-up
    for (int i = 0; i < count; ++i) {
        QElapsedTimer timer;
        timer.start();
        plot->replot(QCustomPlot::rpImmediateRefresh);
        ms.push_back(timer.nsecsElapsed() / 1e6);
    }
    std::sort(ms.begin(), ms.end());
    return {ms[ms.size() / 2], ms.back()};
}

QJsonObject toJson(const Stats &stats)
{
    return QJsonObject{{QStringLiteral("median_ms"), stats.median}, {QStringLiteral("worst_ms"), stats.worst}};
}

} // namespace

int main(int argc, char **argv)
{
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    int points = 1000000, replots = 50;
    bool slowPolylines = false;
    const QStringList args = app.arguments();
    for (int i = 1; i < args.size(); ++i) {
        if (args[i] == QLatin1String("--slow-polylines"))
            slowPolylines = true;
        if (i + 1 == args.size())
            break;
        if (args[i] == QLatin1String("--points"))
            points = args[i + 1].toInt();
        else if (args[i] == QLatin1String("--replots"))
            replots = args[i + 1].toInt();
    }

    ft::ui::MetricsChart chart;
    chart.resize(1200, 700);
    chart.show();
    QApplication::processEvents();
    chart.setRunName(1, QStringLiteral("bench"));

    // A noisy decaying loss, as a real run writes it: one point per step.
    std::mt19937 rng(7);
    std::normal_distribution<double> noise(0.0, 0.05);
    std::vector<double> values(points);
    for (int i = 0; i < points; ++i)
        values[i] = 0.2 + 2.0 * std::exp(-i / (points / 8.0)) + noise(rng);
    QElapsedTimer timer;
    timer.start();
    for (int i = 0; i < points; ++i)
        chart.addPoint(1, QStringLiteral("train/loss"), i, i / 50000.0, values[i], i * 0.01);
    const double appendMs = timer.nsecsElapsed() / 1e6;
    chart.replotNow();
    QApplication::processEvents();

    timer.restart();
    chart.setSmoothing(0.9);
    const double smoothMs = timer.nsecsElapsed() / 1e6;

    QCustomPlot *plot = chart.plot();
    if (slowPolylines) // the figure before the chart turned phFastPolylines on
        plot->setPlottingHint(QCP::phFastPolylines, false);
    // The first replot after a rebuild also builds the envelopes it draws.
    timer.restart();
    plot->replot(QCustomPlot::rpImmediateRefresh);
    const double firstMs = timer.nsecsElapsed() / 1e6;
    const Stats full = replotTimes(plot, replots);
    plot->xAxis->setRange(points * 0.5, points * 0.5 + points / 100.0);
    const Stats zoomed = replotTimes(plot, replots);
    plot->xAxis->setRange(points * 0.5, points * 0.5 + 500);
    const Stats narrow = replotTimes(plot, replots);

    const QJsonObject result{
        {QStringLiteral("bench"), QStringLiteral("metrics_chart")},
        {QStringLiteral("points"), points},
        {QStringLiteral("graphs"), plot->graphCount()},
        {QStringLiteral("fast_polylines"), !slowPolylines},
        {QStringLiteral("plot_size"), QStringLiteral("%1x%2").arg(plot->width()).arg(plot->height())},
        {QStringLiteral("append_ms"), appendMs},
        {QStringLiteral("append_ns_per_point"), appendMs * 1e6 / points},
        {QStringLiteral("resmooth_ms"), smoothMs},
        {QStringLiteral("first_replot_ms"), firstMs},
        {QStringLiteral("replot_full"), toJson(full)},
        {QStringLiteral("replot_zoom_1pct"), toJson(zoomed)},
        {QStringLiteral("replot_zoom_500"), toJson(narrow)},
    };
    std::printf("%s\n", QJsonDocument(result).toJson(QJsonDocument::Compact).constData());
    return 0;
}
