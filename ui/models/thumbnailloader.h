// thumbnailloader.h: small previews of image files, decoded on a thread pool
// so that scrolling an image dataset never waits on a decoder. Ask for a
// path: the thumbnail when it is ready, otherwise a null pixmap now and
// ready(path) once it is.
#pragma once

#include <QCache>
#include <QImage>
#include <QObject>
#include <QPixmap>
#include <QSet>
#include <QThreadPool>

#include <atomic>

namespace ft::ui {

class ThumbnailLoader : public QObject {
    Q_OBJECT

public:
    explicit ThumbnailLoader(int size = 96, QObject *parent = nullptr);
    ~ThumbnailLoader() override;

    QPixmap thumbnail(const QString &path);
    int size() const { return mSize; }
    // Decodes started so far, and how many of them ran on the UI thread (none should).
    int decodes() const { return mDecodes; }
    int decodesOnUiThread() const { return mDecodesOnUiThread; }

Q_SIGNALS:
    void ready(const QString &path);

private:
    int mSize;
    QCache<QString, QPixmap> mCache; // cost: kilobytes
    QSet<QString> mPending;
    QThreadPool mPool;
    int mDecodes = 0;
    std::atomic<int> mDecodesOnUiThread{0};
};

} // namespace ft::ui
