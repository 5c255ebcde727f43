// metricschart.h: a live chart of a training run's metrics, several runs overlaid.
#pragma once

#include "charts/decimatedseries.h"

#include <QColor>
#include <QHash>
#include <QString>
#include <QStringList>
#include <QWidget>

#include <cstdint>
#include <memory>
#include <vector>

class QCheckBox;
class QComboBox;
class QCPGraph;
class QCPItemStraightLine;
class QCPItemText;
class QCPItemTracer;
class QCustomPlot;
class QLabel;
class QMouseEvent;
class QSlider;
class QTimer;
class QToolButton;

namespace ft::ui {

// Shows one metric at a time (picked in a combo box, the training loss by
// default), one curve per run, keyed by step, epoch or wall time. Loss metrics
// get a raw curve and a TensorBoard-style smoothed one. Points arrive one by
// one from the trainer; replots are coalesced so a fast run never stalls the UI.
class MetricsChart : public QWidget {
    Q_OBJECT

public:
    enum class XAxis { Step, Epoch, WallTime };

    explicit MetricsChart(QWidget *parent = nullptr);
    ~MetricsChart() override;

    void addPoint(std::int64_t runId, const QString &metric, std::int64_t step, double epoch,
                  double value, double wallSeconds);
    void setRunName(std::int64_t runId, const QString &name);
    void removeRun(std::int64_t runId);
    void clear();

    void setMetric(const QString &metric);
    QString metric() const { return mMetric; }
    void setXAxis(XAxis mode);
    XAxis xAxis() const { return mXAxis; }
    void setLogScale(bool on);
    bool logScale() const;
    void setSmoothing(double weight); // 0 .. 0.99
    double smoothing() const;
    void fitToData(); // back to following the data after a zoom or pan

    bool savePng(const QString &file);
    bool savePdf(const QString &file);
    bool saveCsv(const QString &file) const;

    // Exposure for tests and the benchmark.
    QCustomPlot *plot() const { return mPlot; }
    QComboBox *metricCombo() const { return mMetricCombo; }
    QComboBox *xAxisCombo() const { return mXAxisCombo; }
    QCheckBox *logScaleCheck() const { return mLogCheck; }
    QSlider *smoothingSlider() const { return mSmoothSlider; }
    QToolButton *exportButton() const { return mExportButton; }
    QCPGraph *rawGraph(std::int64_t runId) const;
    QCPGraph *smoothedGraph(std::int64_t runId) const; // null unless a loss metric is shown
    int pointCount(std::int64_t runId, const QString &metric) const;
    QString crosshairText() const;
    bool crosshairVisible() const;
    void replotNow(); // the coalesced replot, done at once

    static bool isLossMetric(const QString &metric) { return metric.endsWith(QLatin1String("loss")); }
    static QString metricTitle(const QString &metric);

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    static constexpr const char *kOverlayLayer = "crosshair"; // buffered layer of the crosshair items

    struct Point {
        std::int64_t step;
        double epoch;
        double wall;
        double value;
    };
    struct Run {
        std::int64_t id = 0;
        QString name;
        QColor colour;
        QHash<QString, std::vector<Point>> series;
        QCPGraph *raw = nullptr;
        QCPGraph *smooth = nullptr;
        DecimatedSeries rawSeries, smoothSeries; // what the graphs draw, from all points to envelopes
        double emaLast = 0.0; // running EMA of the shown metric, before debiasing
        double emaPower = 1.0; // w^n after n points
        double minValue = 0, maxValue = 0, minPositive = 0; // of the shown metric
        bool hasRange = false, hasPositive = false;
    };

    Run *findRun(std::int64_t runId) const;
    Run &runFor(std::int64_t runId);
    QString displayName(const Run &run) const;
    double keyOf(const Point &point) const;
    double smoothStep(Run &run, double value) const;
    void noteValue(Run &run, double value);
    void appendToGraphs(Run &run, const Point &point);
    void rebuildGraphs();
    void rebuildSmoothed();
    void styleGraphs(Run &run);
    void updateAxes();
    void pickDetail();
    void scheduleReplot();
    void updateCrosshair(const QPoint &pos);
    void hideCrosshair();
    void exportWithDialog(const QString &kind);

    QCustomPlot *mPlot;
    QComboBox *mMetricCombo;
    QComboBox *mXAxisCombo;
    QCheckBox *mLogCheck;
    QSlider *mSmoothSlider;
    QLabel *mSmoothLabel;
    QToolButton *mExportButton;
    QTimer *mReplotTimer;
    QCPItemStraightLine *mCrossLine;
    QCPItemText *mCrossText;
    std::vector<QCPItemTracer *> mTracers;

    std::vector<std::unique_ptr<Run>> mRuns; // in order of arrival: colours, legend, CSV
    QStringList mMetricOrder;
    QString mMetric;
    XAxis mXAxis = XAxis::Step;
    double mWeight = 0.6;
    int mNextColour = 0;
    bool mFollowData = true;   // false once the user zooms or pans
    bool mUserPickedMetric = false;
};

} // namespace ft::ui
