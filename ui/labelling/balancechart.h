// balancechart.h: a bar chart of examples per label, redrawn as labels change,
// so the person labelling sees at a glance which classes are short.
#pragma once

#include <QString>
#include <QVector>
#include <QWidget>

class QCustomPlot;
class QCPBars;

namespace ft::ui {

class BalanceChart : public QWidget {
    Q_OBJECT

public:
    explicit BalanceChart(QWidget *parent = nullptr);

    void setLabels(const QStringList &names);
    void setCounts(const QVector<double> &counts); // one per label, in setLabels' order
    void setValueLabel(const QString &label);       // the y axis: "examples" unless told
    QVector<double> counts() const { return mCounts; }
    QCustomPlot *plot() const { return mPlot; }

private:
    QCustomPlot *mPlot;
    QCPBars *mBars;
    QVector<double> mCounts;
};

} // namespace ft::ui
