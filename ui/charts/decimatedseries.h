// decimatedseries.h: a graph's full data plus coarser min/max envelopes of it.
#pragma once

#include <qcustomplot.h>

#include <array>

namespace ft::ui {

// Holds every point of one curve and, for drawing, envelopes of it: per bucket
// of 8, 64, ... points, its lowest and highest point. A chart zoomed out over a
// million points draws an envelope of a few thousand (same pixels, since a
// bucket is narrower than a pixel); zoomed in, it draws the points themselves.
// Envelopes catch up lazily, when one is asked for, so appending stays O(1).
class DecimatedSeries {
public:
    DecimatedSeries();

    QSharedPointer<QCPGraphDataContainer> full() const { return mFull; }
    void set(const QVector<QCPGraphData> &data, bool alreadySorted);
    void add(double key, double value);
    // What to draw of the keys in `range` over `pixels` pixels: the full data
    // while sparse enough, else the coarsest envelope with two buckets a pixel.
    QSharedPointer<QCPGraphDataContainer> dataFor(const QCPRange &range, int pixels);

    static constexpr int kLevels = 5; // buckets of 8 .. 32768 points
    static constexpr qsizetype kMinDecimated = 4096;

private:
    struct Level {
        qsizetype bucket = 0;
        QSharedPointer<QCPGraphDataContainer> data;
        qsizetype done = 0;       // points of the full data in complete buckets
        bool provisional = false; // the last two points are a partial bucket's
    };
    void reset();
    void sync(Level &level) const;

    QSharedPointer<QCPGraphDataContainer> mFull;
    std::array<Level, kLevels> mLevels;
};

} // namespace ft::ui
