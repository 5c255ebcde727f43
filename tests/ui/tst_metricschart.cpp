// tst_metricschart.cpp: the live metrics chart: runs overlaid with a legend,
// TensorBoard-style smoothing against hand-computed values, the x axis by
// step/epoch/wall time, log scale, the metric selector, the crosshair under
// the mouse, and PNG/PDF/CSV export; a screenshot to look at.
#include "charts/metricschart.h"
#include "testregistry.h"
#include "uitesthelpers.h"

#include <qcustomplot.h>

#include <QCheckBox>
#include <QComboBox>
#include <QFile>
#include <QImage>
#include <QMouseEvent>
#include <QSlider>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <cmath>
#include <set>

using namespace ft::ui;

namespace {

QVector<double> keys(const QCPGraph *graph)
{
    QVector<double> out;
    for (auto it = graph->data()->constBegin(); it != graph->data()->constEnd(); ++it)
        out << it->key;
    return out;
}

QVector<double> values(const QCPGraph *graph)
{
    QVector<double> out;
    for (auto it = graph->data()->constBegin(); it != graph->data()->constEnd(); ++it)
        out << it->value;
    return out;
}

// A minimal RFC 4180 reader: fields may be quoted, quotes doubled inside.
QList<QStringList> parseCsv(const QString &text)
{
    QList<QStringList> rows;
    QStringList row;
    QString field;
    bool quoted = false;
    for (int i = 0; i < text.size(); ++i) {
        const QChar c = text[i];
        if (quoted) {
            if (c == QLatin1Char('"') && i + 1 < text.size() && text[i + 1] == QLatin1Char('"')) {
                field += c;
                ++i;
            } else if (c == QLatin1Char('"')) {
                quoted = false;
            } else {
                field += c;
            }
        } else if (c == QLatin1Char('"')) {
            quoted = true;
        } else if (c == QLatin1Char(',')) {
            row << field;
            field.clear();
        } else if (c == QLatin1Char('\r')) {
        } else if (c == QLatin1Char('\n')) {
            row << field;
            rows << row;
            row.clear();
            field.clear();
        } else {
            field += c;
        }
    }
    return rows;
}

void moveMouse(QWidget *widget, QPoint pos)
{
    QMouseEvent move(QEvent::MouseMove, QPointF(pos), QPointF(widget->mapToGlobal(pos)), Qt::NoButton,
                     Qt::NoButton, Qt::NoModifier);
    QApplication::sendEvent(widget, &move);
}

} // namespace

class MetricsChartTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void twoRunsShowAsTwoGraphsWithLegend()
    {
        MetricsChart chart;
        chart.setRunName(7, QStringLiteral("lr 2e-5"));
        chart.setRunName(9, QStringLiteral("lr 5e-5"));
        for (int step = 1; step <= 20; ++step) {
            chart.addPoint(7, QStringLiteral("train/loss"), step, step / 10.0, 1.0 / step, step * 0.5);
            if (step <= 12)
                chart.addPoint(9, QStringLiteral("train/loss"), step, step / 10.0, 2.0 / step, step * 0.7);
        }
        chart.replotNow();
        QCOMPARE(chart.metric(), QStringLiteral("train/loss"));
        QVERIFY(chart.rawGraph(7) && chart.rawGraph(9));
        QCOMPARE(chart.rawGraph(7)->dataCount(), 20);
        QCOMPARE(chart.rawGraph(9)->dataCount(), 12);
        QCOMPARE(chart.smoothedGraph(7)->dataCount(), 20);
        QCOMPARE(chart.plot()->graphCount(), 4); // raw + smoothed per run
        QCOMPARE(values(chart.rawGraph(9)).at(3), 0.5);
        QVERIFY(chart.rawGraph(7)->pen().color().rgb() != chart.rawGraph(9)->pen().color().rgb());

        // The legend names each run once, by its smoothed curve.
        QCPLegend *legend = chart.plot()->legend;
        QVERIFY(legend->visible());
        QCOMPARE(legend->itemCount(), 2);
        QCOMPARE(legend->itemWithPlottable(chart.smoothedGraph(7))->plottable()->name(), QStringLiteral("lr 2e-5"));
        QCOMPARE(legend->itemWithPlottable(chart.smoothedGraph(9))->plottable()->name(), QStringLiteral("lr 5e-5"));
        QVERIFY(!legend->hasItemWithPlottable(chart.rawGraph(7)));

        chart.setRunName(9, QStringLiteral("renamed"));
        QCOMPARE(chart.smoothedGraph(9)->name(), QStringLiteral("renamed"));
        chart.removeRun(7);
        QCOMPARE(chart.rawGraph(7), nullptr);
        QCOMPARE(chart.plot()->graphCount(), 2);
        QCOMPARE(legend->itemCount(), 1);
        chart.clear();
        QCOMPARE(chart.plot()->graphCount(), 0);
        QCOMPARE(chart.metricCombo()->count(), 0);
    }

    void smoothingIsADebiasedMovingAverage()
    {
        MetricsChart chart;
        chart.setSmoothing(0.5);
        QCOMPARE(chart.smoothingSlider()->value(), 50);
        for (int step = 1; step <= 3; ++step)
            chart.addPoint(1, QStringLiteral("train/loss"), step, 0, double(step), 0);
        // By hand, w = 0.5: ema_n = 0.5 ema_(n-1) + 0.5 v_n from 0, over 1 - 0.5^n.
        // 0.5/0.5 = 1; 1.25/0.75 = 5/3; 2.125/0.875 = 17/7.
        QVector<double> smoothed = values(chart.smoothedGraph(1));
        QCOMPARE(smoothed.size(), 3);
        QCOMPARE(smoothed[0], 1.0);
        QCOMPARE(smoothed[1], 5.0 / 3.0);
        QCOMPARE(smoothed[2], 17.0 / 7.0);
        QCOMPARE(values(chart.rawGraph(1)), (QVector<double>{1, 2, 3}));
        // Appended live: (2.125 * 0.5 + 0.5 * 4) / 0.9375 = 49/15.
        chart.addPoint(1, QStringLiteral("train/loss"), 4, 0, 4.0, 0);
        QCOMPARE(values(chart.smoothedGraph(1)).at(3), 49.0 / 15.0);

        // Moving the slider recomputes the whole curve; 0 follows the raw one.
        chart.smoothingSlider()->setValue(0);
        QCOMPARE(chart.smoothing(), 0.0);
        QCOMPARE(values(chart.smoothedGraph(1)), (QVector<double>{1, 2, 3, 4}));
        // w = 0.9, two points: 0.1/0.1 = 1; (0.09 + 0.2)/0.19 = 29/19.
        chart.smoothingSlider()->setValue(90);
        smoothed = values(chart.smoothedGraph(1));
        QVERIFY(std::abs(smoothed[0] - 1.0) < 1e-12);
        QVERIFY(std::abs(smoothed[1] - 29.0 / 19.0) < 1e-12);
    }

    void xAxisFollowsStepEpochOrWallTime()
    {
        MetricsChart chart;
        for (int i = 1; i <= 3; ++i)
            chart.addPoint(1, QStringLiteral("train/loss"), i * 10, i * 0.5, 1.0, i * 3.0);
        QCOMPARE(keys(chart.rawGraph(1)), (QVector<double>{10, 20, 30}));
        chart.xAxisCombo()->setCurrentIndex(1);
        QCOMPARE(chart.xAxis(), MetricsChart::XAxis::Epoch);
        QCOMPARE(keys(chart.rawGraph(1)), (QVector<double>{0.5, 1.0, 1.5}));
        QCOMPARE(keys(chart.smoothedGraph(1)), (QVector<double>{0.5, 1.0, 1.5}));
        QCOMPARE(chart.plot()->xAxis->label(), QStringLiteral("epoch"));
        chart.xAxisCombo()->setCurrentIndex(2);
        QCOMPARE(keys(chart.rawGraph(1)), (QVector<double>{3, 6, 9}));
        QVERIFY(chart.plot()->xAxis->ticker().dynamicCast<QCPAxisTickerTime>());
        // Live points land on the current axis too.
        chart.addPoint(1, QStringLiteral("train/loss"), 40, 2.0, 1.0, 12.0);
        QCOMPARE(keys(chart.rawGraph(1)), (QVector<double>{3, 6, 9, 12}));
        chart.setXAxis(MetricsChart::XAxis::Step);
        QCOMPARE(chart.xAxisCombo()->currentIndex(), 0);
        QCOMPARE(keys(chart.rawGraph(1)), (QVector<double>{10, 20, 30, 40}));
        chart.replotNow();
        QCOMPARE(chart.plot()->xAxis->range().lower, 10.0);
        QCOMPARE(chart.plot()->xAxis->range().upper, 40.0);
    }

    void logScaleToggles()
    {
        MetricsChart chart;
        for (int i = 1; i <= 5; ++i)
            chart.addPoint(1, QStringLiteral("train/learning_rate"), i, 0, std::pow(10.0, -i), 0);
        QCOMPARE(chart.plot()->yAxis->scaleType(), QCPAxis::stLinear);
        chart.logScaleCheck()->setChecked(true);
        QVERIFY(chart.logScale());
        QCOMPARE(chart.plot()->yAxis->scaleType(), QCPAxis::stLogarithmic);
        QVERIFY(chart.plot()->yAxis->ticker().dynamicCast<QCPAxisTickerLog>());
        chart.replotNow();
        QCOMPARE(chart.plot()->yAxis->range().lower, 1e-5 / 1.25);
        QCOMPARE(chart.plot()->yAxis->range().upper, 0.1 * 1.25);
        chart.setLogScale(false);
        QVERIFY(!chart.logScaleCheck()->isChecked());
        QCOMPARE(chart.plot()->yAxis->scaleType(), QCPAxis::stLinear);
        QVERIFY(!chart.plot()->yAxis->ticker().dynamicCast<QCPAxisTickerLog>());
    }

    void metricSelectorListsMetricsAsTheyArrive()
    {
        MetricsChart chart;
        QComboBox *combo = chart.metricCombo();
        QCOMPARE(combo->count(), 0);
        chart.addPoint(1, QStringLiteral("train/learning_rate"), 1, 0, 1e-4, 0);
        QCOMPARE(combo->count(), 1);
        QCOMPARE(chart.metric(), QStringLiteral("train/learning_rate"));
        QVERIFY(!chart.smoothingSlider()->isEnabled());
        QCOMPARE(chart.smoothedGraph(1), nullptr);
        // The training loss takes over as the default view when it arrives.
        chart.addPoint(1, QStringLiteral("train/loss"), 1, 0, 0.7, 0);
        QCOMPARE(combo->count(), 2);
        QCOMPARE(chart.metric(), QStringLiteral("train/loss"));
        QCOMPARE(combo->currentText(), QStringLiteral("Training loss"));
        QVERIFY(chart.smoothingSlider()->isEnabled());
        QCOMPARE(chart.rawGraph(1)->dataCount(), 1);
        chart.addPoint(1, QStringLiteral("eval/accuracy"), 1, 0, 0.61, 0);
        chart.addPoint(1, QStringLiteral("train/loss"), 2, 0, 0.6, 0);
        QCOMPARE(chart.rawGraph(1)->dataCount(), 2);
        QStringList listed;
        for (int i = 0; i < combo->count(); ++i)
            listed << combo->itemData(i).toString();
        QCOMPARE(listed, (QStringList{QStringLiteral("train/learning_rate"), QStringLiteral("train/loss"),
                                      QStringLiteral("eval/accuracy")}));
        QCOMPARE(chart.metric(), QStringLiteral("train/loss"));

        // The person picks validation accuracy; it stays picked.
        combo->setCurrentIndex(2);
        Q_EMIT combo->activated(2);
        QCOMPARE(chart.metric(), QStringLiteral("eval/accuracy"));
        QCOMPARE(values(chart.rawGraph(1)), (QVector<double>{0.61}));
        QCOMPARE(chart.smoothedGraph(1), nullptr);
        QCOMPARE(chart.plot()->yAxis->label(), QStringLiteral("Validation accuracy"));
        chart.addPoint(1, QStringLiteral("train/grad_norm"), 2, 0, 1.5, 0);
        QCOMPARE(combo->count(), 4);
        QCOMPARE(chart.metric(), QStringLiteral("eval/accuracy"));
        QCOMPARE(chart.pointCount(1, QStringLiteral("train/loss")), 2);
        QCOMPARE(chart.pointCount(1, QStringLiteral("train/grad_norm")), 1);
    }

    void crosshairShowsNearestValues()
    {
        MetricsChart chart;
        chart.resize(900, 500);
        chart.show();
        QVERIFY(QTest::qWaitForWindowExposed(&chart));
        chart.setRunName(1, QStringLiteral("alpha"));
        chart.setRunName(2, QStringLiteral("beta"));
        for (int step = 0; step <= 100; step += 10) {
            chart.addPoint(1, QStringLiteral("eval/accuracy"), step, step / 50.0, step / 100.0, step * 2.0);
            chart.addPoint(2, QStringLiteral("eval/accuracy"), step, step / 50.0, 1.0 - step / 100.0, step * 2.0);
        }
        chart.replotNow();
        QCustomPlot *plot = chart.plot();
        const int y = plot->axisRect()->rect().center().y();
        moveMouse(plot, QPoint(int(plot->xAxis->coordToPixel(41.0)), y));
        QVERIFY(chart.crosshairVisible());
        QCOMPARE(chart.crosshairText(), QStringLiteral("alpha: step 40, 0.4\nbeta: step 40, 0.6"));
        moveMouse(plot, QPoint(int(plot->xAxis->coordToPixel(99.0)), y));
        QCOMPARE(chart.crosshairText(), QStringLiteral("alpha: step 100, 1\nbeta: step 100, 0"));

        chart.setXAxis(MetricsChart::XAxis::Epoch);
        chart.replotNow();
        moveMouse(plot, QPoint(int(plot->xAxis->coordToPixel(0.61)), y));
        QCOMPARE(chart.crosshairText(), QStringLiteral("alpha: epoch 0.6, 0.3\nbeta: epoch 0.6, 0.7"));
        chart.setXAxis(MetricsChart::XAxis::WallTime);
        chart.replotNow();
        moveMouse(plot, QPoint(int(plot->xAxis->coordToPixel(121.0)), y));
        QCOMPARE(chart.crosshairText(), QStringLiteral("alpha: 0:02:00, 0.6\nbeta: 0:02:00, 0.4"));

        // Outside the axis rect, and on leaving the plot, it goes away.
        moveMouse(plot, QPoint(2, 2));
        QVERIFY(!chart.crosshairVisible());
        moveMouse(plot, QPoint(int(plot->xAxis->coordToPixel(121.0)), y));
        QVERIFY(chart.crosshairVisible());
        QEvent leave(QEvent::Leave);
        QApplication::sendEvent(plot, &leave);
        QVERIFY(!chart.crosshairVisible());
        QCOMPARE(chart.crosshairText(), QString());

        // A loss metric also shows the smoothed value at that point.
        chart.setXAxis(MetricsChart::XAxis::Step);
        chart.setSmoothing(0.5);
        chart.addPoint(1, QStringLiteral("train/loss"), 1, 0, 2.0, 0);
        chart.addPoint(1, QStringLiteral("train/loss"), 2, 0, 4.0, 0);
        chart.setMetric(QStringLiteral("train/loss"));
        chart.replotNow();
        moveMouse(plot, QPoint(int(plot->xAxis->coordToPixel(1.9)), y));
        // (0.5 + 2) / 0.75 = 3.3333
        QCOMPARE(chart.crosshairText(), QStringLiteral("alpha: step 2, 4 (smoothed 3.3333)"));
    }

    void manyPointsDrawAsAnEnvelope()
    {
        MetricsChart chart;
        chart.resize(900, 500);
        chart.show();
        QVERIFY(QTest::qWaitForWindowExposed(&chart));
        // 200,000 points: a saw tooth between 1 and 2, one spike of 50 at step 123457.
        const int count = 200000;
        for (int step = 0; step < count; ++step)
            chart.addPoint(1, QStringLiteral("train/grad_norm"), step, 0,
                           step == 123457 ? 50.0 : 1.0 + (step % 10) / 9.0, 0);
        chart.replotNow();
        QCustomPlot *plot = chart.plot();
        plot->replot(QCustomPlot::rpImmediateRefresh);
        const int pixels = plot->axisRect()->width();
        const QCPGraph *graph = chart.rawGraph(1);
        // The coarsest envelope with two buckets a pixel: 2 points per bucket.
        const int bucket = 200000 / (2 * pixels) >= 4096 ? 4096 : 200000 / (2 * pixels) >= 512 ? 512 : 64;
        QCOMPARE(graph->dataCount(), 2 * ((count + bucket - 1) / bucket));
        QVERIFY(graph->dataCount() >= 2 * pixels);
        // The envelope keeps the extremes, the spike included, at their keys.
        const QVector<double> drawn = values(graph);
        QCOMPARE(*std::max_element(drawn.begin(), drawn.end()), 50.0);
        QCOMPARE(*std::min_element(drawn.begin(), drawn.end()), 1.0);
        QVERIFY(keys(graph).contains(123457.0));
        QCOMPARE(chart.pointCount(1, QStringLiteral("train/grad_norm")), count);
        // Zoomed in, the points themselves; the crosshair reads exact values.
        plot->xAxis->setRange(123400, 123500);
        plot->replot(QCustomPlot::rpImmediateRefresh);
        QCOMPARE(graph->dataCount(), count);
        const int y = plot->axisRect()->rect().center().y();
        moveMouse(plot, QPoint(int(plot->xAxis->coordToPixel(123456.0)), y));
        QCOMPARE(chart.crosshairText(), QStringLiteral("run 1: step 123456, 1.6667"));
        // Appending while zoomed out reaches the envelope at the next replot.
        plot->xAxis->setRange(0, count + 10);
        chart.addPoint(1, QStringLiteral("train/grad_norm"), count, 0, 75.0, 0);
        plot->replot(QCustomPlot::rpImmediateRefresh);
        const QVector<double> after = values(chart.rawGraph(1));
        QCOMPARE(after.last(), 75.0);
    }

    void csvRoundTripsExactValues()
    {
        QTemporaryDir dir;
        MetricsChart chart;
        const QString tricky = QStringLiteral("run \"A\", lr=2e-5");
        chart.setRunName(3, tricky);
        const double a = 0.1 + 0.2, b = 1.0 / 3.0, c = 1e-300, d = std::acos(-1.0);
        chart.addPoint(3, QStringLiteral("train/loss"), 1, 0.001, a, 0.123456789);
        chart.addPoint(3, QStringLiteral("train/loss"), 2, 0.002, b, 1.5);
        chart.addPoint(3, QStringLiteral("eval/f1_macro"), 2, 0.002, c, 2.25);
        chart.addPoint(4, QStringLiteral("train/loss"), 9007199254740993LL, 1e9, d, -0.0);
        const QString file = dir.filePath(QStringLiteral("metrics.csv"));
        QVERIFY(chart.saveCsv(file));
        QFile in(file);
        QVERIFY(in.open(QIODevice::ReadOnly));
        const QString text = QString::fromUtf8(in.readAll());
        QVERIFY(text.startsWith(QStringLiteral("run,metric,step,epoch,wall_s,value\r\n")));
        QVERIFY(text.contains(QStringLiteral("\"run \"\"A\"\", lr=2e-5\",train/loss,1,")));
        const QList<QStringList> rows = parseCsv(text);
        QCOMPARE(rows.size(), 5);
        QCOMPARE(rows[0], (QStringList{QStringLiteral("run"), QStringLiteral("metric"), QStringLiteral("step"),
                                       QStringLiteral("epoch"), QStringLiteral("wall_s"), QStringLiteral("value")}));
        struct Expected {
            QString run, metric;
            qint64 step;
            double epoch, wall, value;
        };
        const QList<Expected> expected = {
            {tricky, QStringLiteral("train/loss"), 1, 0.001, 0.123456789, a},
            {tricky, QStringLiteral("train/loss"), 2, 0.002, 1.5, b},
            {tricky, QStringLiteral("eval/f1_macro"), 2, 0.002, 2.25, c},
            {QStringLiteral("4"), QStringLiteral("train/loss"), 9007199254740993LL, 1e9, -0.0, d},
        };
        for (int i = 0; i < expected.size(); ++i) {
            const QStringList &row = rows[i + 1];
            QCOMPARE(row.size(), 6);
            QCOMPARE(row[0], expected[i].run);
            QCOMPARE(row[1], expected[i].metric);
            QCOMPARE(row[2].toLongLong(), expected[i].step);
            // Bit for bit, not within a tolerance.
            QVERIFY2(row[3].toDouble() == expected[i].epoch, qPrintable(row[3]));
            QVERIFY2(row[4].toDouble() == expected[i].wall, qPrintable(row[4]));
            QVERIFY2(row[5].toDouble() == expected[i].value, qPrintable(row[5]));
        }
        QVERIFY(!chart.saveCsv(dir.filePath(QStringLiteral("missing/dir/x.csv"))));
    }

    void pngAndPdfAreWritten()
    {
        QTemporaryDir dir;
        MetricsChart chart;
        for (int step = 0; step < 200; ++step)
            chart.addPoint(1, QStringLiteral("train/loss"), step, 0, 2.0 / (1 + step * 0.05), step);
        const QString png = dir.filePath(QStringLiteral("chart.png"));
        const QString pdf = dir.filePath(QStringLiteral("chart.pdf"));
        QVERIFY(chart.savePng(png));
        QVERIFY(chart.savePdf(pdf));
        QImage image(png);
        QCOMPARE(image.size(), QSize(1000, 600));
        // Curves in the run's colour, not a blank page.
        std::set<QRgb> colours;
        int blue = 0;
        for (int y = 0; y < image.height(); y += 2)
            for (int x = 0; x < image.width(); x += 2) {
                const QRgb pixel = image.pixel(x, y);
                colours.insert(pixel);
                blue += qBlue(pixel) > 150 && qRed(pixel) < 100 ? 1 : 0;
            }
        QVERIFY(colours.size() > 20);
        QVERIFY(blue > 100);
        QFile file(pdf);
        QVERIFY(file.open(QIODevice::ReadOnly));
        QVERIFY(file.size() > 2000);
        QVERIFY(file.read(5) == "%PDF-");
    }

    void screenshot()
    {
        MetricsChart chart;
        chart.resize(1000, 560);
        chart.show();
        QVERIFY(QTest::qWaitForWindowExposed(&chart));
        chart.setRunName(1, QStringLiteral("bert-base, lr 2e-5"));
        chart.setRunName(2, QStringLiteral("bert-base, lr 5e-5"));
        // Noisy decaying losses from a fixed-seed generator.
        quint32 seed = 12345;
        auto noise = [&seed] {
            seed = seed * 1664525u + 1013904223u;
            return (seed >> 8) / double(1u << 24) - 0.5;
        };
        for (int step = 1; step <= 600; ++step) {
            chart.addPoint(1, QStringLiteral("train/loss"), step, step / 200.0,
                           0.25 + 1.1 * std::exp(-step / 120.0) + 0.18 * noise(), step * 0.8);
            if (step <= 450)
                chart.addPoint(2, QStringLiteral("train/loss"), step, step / 150.0,
                               0.35 + 1.0 * std::exp(-step / 70.0) + 0.22 * noise(), step * 0.9);
        }
        chart.replotNow();
        QCustomPlot *plot = chart.plot();
        moveMouse(plot, QPoint(int(plot->xAxis->coordToPixel(300.0)), plot->axisRect()->rect().center().y()));
        QVERIFY(chart.crosshairVisible());
        QVERIFY(chart.grab().save(ft::test::artifactPath(QStringLiteral("metricschart.png"))));
    }
};

FT_REGISTER_TEST(MetricsChartTest);
#include "tst_metricschart.moc"
