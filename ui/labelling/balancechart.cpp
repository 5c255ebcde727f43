// balancechart.cpp
#include "labelling/balancechart.h"

#include <qcustomplot.h>

#include <QVBoxLayout>

#include <algorithm>

namespace ft::ui {

BalanceChart::BalanceChart(QWidget *parent) : QWidget(parent), mPlot(new QCustomPlot(this))
{
    mBars = new QCPBars(mPlot->xAxis, mPlot->yAxis);
    mBars->setWidth(0.6);
    mBars->setPen(Qt::NoPen);
    mBars->setBrush(palette().color(QPalette::Highlight));
    mPlot->yAxis->setLabel(tr("examples"));
    mPlot->xAxis->grid()->setVisible(false);
    mPlot->setMinimumHeight(140);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(mPlot);
}

void BalanceChart::setLabels(const QStringList &names)
{
    QSharedPointer<QCPAxisTickerText> ticker(new QCPAxisTickerText);
    for (int i = 0; i < names.size(); ++i)
        ticker->addTick(i + 1, names[i]);
    mPlot->xAxis->setTicker(ticker);
    mPlot->xAxis->setRange(0.4, names.size() + 0.6);
    setCounts(QVector<double>(names.size(), 0.0));
}

void BalanceChart::setValueLabel(const QString &label)
{
    mPlot->yAxis->setLabel(label);
}

void BalanceChart::setCounts(const QVector<double> &counts)
{
    mCounts = counts;
    QVector<double> keys(counts.size());
    for (int i = 0; i < keys.size(); ++i)
        keys[i] = i + 1;
    mBars->setData(keys, counts, true);
    const double top = counts.isEmpty() ? 1.0 : *std::max_element(counts.begin(), counts.end());
    mPlot->yAxis->setRange(0, std::max(1.0, top * 1.15));
    mPlot->replot(QCustomPlot::rpQueuedReplot);
}

} // namespace ft::ui
