// decimatedseries.cpp: a graph's full data plus coarser min/max envelopes of it.
#include "charts/decimatedseries.h"

namespace ft::ui {

DecimatedSeries::DecimatedSeries() : mFull(new QCPGraphDataContainer)
{
    qsizetype bucket = 8;
    for (Level &level : mLevels) {
        level.bucket = bucket;
        level.data.reset(new QCPGraphDataContainer);
        bucket *= 8;
    }
}

void DecimatedSeries::reset()
{
    for (Level &level : mLevels) {
        level.data->clear();
        level.done = 0;
        level.provisional = false;
    }
}

void DecimatedSeries::set(const QVector<QCPGraphData> &data, bool alreadySorted)
{
    mFull->set(data, alreadySorted);
    reset();
}

void DecimatedSeries::add(double key, double value)
{
    // A key out of order lands inside the data: the envelopes start over.
    const bool inOrder = mFull->isEmpty() || (mFull->constEnd() - 1)->key <= key;
    mFull->add(QCPGraphData(key, value));
    if (!inOrder)
        reset();
}

// Brings `level` up to the full data: the new complete buckets, then the
// partial last one as a provisional pair that the next sync overwrites.
void DecimatedSeries::sync(Level &level) const
{
    const qsizetype n = mFull->size();
    const auto points = mFull->constBegin();
    auto write = [&level, points](qsizetype from, qsizetype to) {
        qsizetype lo = from, hi = from;
        for (qsizetype i = from + 1; i < to; ++i) {
            const double value = (points + i)->value;
            if (value < (points + lo)->value)
                lo = i;
            else if (value > (points + hi)->value)
                hi = i;
        }
        const QCPGraphData first = *(points + std::min(lo, hi)), second = *(points + std::max(lo, hi));
        if (level.provisional) {
            auto it = level.data->end() - 2;
            *it = first;
            *(it + 1) = second;
            level.provisional = false;
        } else {
            level.data->add(first);
            level.data->add(second);
        }
    };
    while (n - level.done >= level.bucket) {
        write(level.done, level.done + level.bucket);
        level.done += level.bucket;
    }
    if (n > level.done) {
        write(level.done, n);
        level.provisional = true;
    }
}

QSharedPointer<QCPGraphDataContainer> DecimatedSeries::dataFor(const QCPRange &range, int pixels)
{
    const qsizetype visible = mFull->findEnd(range.upper) - mFull->findBegin(range.lower);
    if (visible < kMinDecimated) // cheap to draw as they are, and exact
        return mFull;
    const qsizetype wanted = 2 * qsizetype(std::max(pixels, 1));
    for (int i = kLevels - 1; i >= 0; --i) {
        if (visible / mLevels[i].bucket >= wanted) {
            sync(mLevels[i]);
            return mLevels[i].data;
        }
    }
    return mFull;
}

} // namespace ft::ui
