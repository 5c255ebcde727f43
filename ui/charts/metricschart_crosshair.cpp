// metricschart_crosshair.cpp: MetricsChart's crosshair: the nearest point of each run under the mouse.
#include "charts/metricschart.h"

#include <qcustomplot.h>

#include <cmath>

namespace ft::ui {

namespace {

QString shortNumber(double value) { return QString::number(value, 'g', 5); }

QString wallText(double seconds)
{
    const auto total = std::int64_t(std::llround(seconds));
    return QStringLiteral("%1:%2:%3")
        .arg(total / 3600)
        .arg(total / 60 % 60, 2, 10, QLatin1Char('0'))
        .arg(total % 60, 2, 10, QLatin1Char('0'));
}

} // namespace

QString MetricsChart::crosshairText() const { return mCrossText->visible() ? mCrossText->text() : QString(); }

bool MetricsChart::crosshairVisible() const { return mCrossText->visible(); }

// A dashed line at the mouse, a dot on each run's nearest point, and a box
// with those points' x and y values.
void MetricsChart::updateCrosshair(const QPoint &pos)
{
    if (!mPlot->axisRect()->rect().contains(pos)) {
        hideCrosshair();
        return;
    }
    const double x = mPlot->xAxis->pixelToCoord(pos.x());
    QStringList lines;
    std::size_t used = 0;
    for (const auto &run : mRuns) {
        if (!run->raw || run->rawSeries.full()->isEmpty())
            continue;
        const auto data = run->rawSeries.full();
        auto it = data->findBegin(x, false); // first key >= x
        if (it == data->constEnd() || (it != data->constBegin() && x - (it - 1)->key < it->key - x))
            --it;
        const int index = int(it - data->constBegin());
        QString xText;
        switch (mXAxis) {
        case XAxis::Step: xText = tr("step %1").arg(it->key, 0, 'f', 0); break;
        case XAxis::Epoch: xText = tr("epoch %1").arg(shortNumber(it->key)); break;
        case XAxis::WallTime: xText = wallText(it->key); break;
        }
        QString line = tr("%1: %2, %3").arg(displayName(*run), xText, shortNumber(it->value));
        double shownValue = it->value;
        const auto smoothed = run->smoothSeries.full();
        if (run->smooth && index < smoothed->size()) {
            shownValue = (smoothed->constBegin() + index)->value;
            line += tr(" (smoothed %1)").arg(shortNumber(shownValue));
        }
        lines << line;
        if (used == mTracers.size()) {
            auto *tracer = new QCPItemTracer(mPlot);
            tracer->setLayer(QString::fromLatin1(kOverlayLayer));
            tracer->setStyle(QCPItemTracer::tsCircle);
            tracer->setSize(7);
            mTracers.push_back(tracer);
        }
        QCPItemTracer *tracer = mTracers[used++];
        tracer->setPen(QPen(run->colour, 2));
        tracer->setBrush(Qt::white);
        tracer->position->setCoords(it->key, shownValue);
        tracer->setVisible(true);
    }
    for (std::size_t i = used; i < mTracers.size(); ++i)
        mTracers[i]->setVisible(false);
    if (lines.isEmpty()) {
        hideCrosshair();
        return;
    }
    mCrossLine->point1->setCoords(x, 0);
    mCrossLine->point2->setCoords(x, 1);
    mCrossLine->setVisible(true);
    mCrossText->setText(lines.join(QLatin1Char('\n')));
    // Beside the cursor, flipped to its left near the right edge.
    const bool flip = pos.x() > mPlot->axisRect()->rect().center().x();
    mCrossText->setPositionAlignment((flip ? Qt::AlignRight : Qt::AlignLeft) | Qt::AlignTop);
    mCrossText->position->setCoords(pos.x() + (flip ? -12 : 12), pos.y() + 12);
    mCrossText->setVisible(true);
    mPlot->layer(QString::fromLatin1(kOverlayLayer))->replot();
}

void MetricsChart::hideCrosshair()
{
    if (!mCrossText->visible())
        return;
    mCrossLine->setVisible(false);
    mCrossText->setVisible(false);
    for (QCPItemTracer *tracer : mTracers)
        tracer->setVisible(false);
    mPlot->layer(QString::fromLatin1(kOverlayLayer))->replot();
}

bool MetricsChart::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == mPlot && event->type() == QEvent::Leave)
        hideCrosshair();
    return QWidget::eventFilter(watched, event);
}

} // namespace ft::ui
