// thumbnailloader.cpp
#include "models/thumbnailloader.h"

#include <QCoreApplication>
#include <QImageReader>
#include <QThread>

namespace ft::ui {

ThumbnailLoader::ThumbnailLoader(int size, QObject *parent) : QObject(parent), mSize(size)
{
    mCache.setMaxCost(32 * 1024); // 32 MB of previews
    mPool.setMaxThreadCount(std::max(1, QThread::idealThreadCount() - 1));
}

ThumbnailLoader::~ThumbnailLoader()
{
    mPool.clear(); // drop what has not started
    mPool.waitForDone();
}

QPixmap ThumbnailLoader::thumbnail(const QString &path)
{
    if (const QPixmap *cached = mCache.object(path))
        return *cached;
    if (mPending.contains(path))
        return {};
    mPending.insert(path);
    ++mDecodes;
    const int size = mSize;
    mPool.start([this, path, size] {
        if (QThread::currentThread() == QCoreApplication::instance()->thread())
            ++mDecodesOnUiThread;
        QImageReader reader(path);
        // Decoders that can scale while decoding (JPEG) do less work this way.
        const QSize full = reader.size();
        if (full.isValid())
            reader.setScaledSize(full.scaled(size, size, Qt::KeepAspectRatio));
        QImage image = reader.read();
        if (!image.isNull() && (image.width() > size || image.height() > size))
            image = image.scaled(size, size, Qt::KeepAspectRatio, Qt::SmoothTransformation);
        QMetaObject::invokeMethod(
            this,
            [this, path, image] {
                mPending.remove(path);
                // A file that cannot be read gets an empty preview, asked for once.
                auto *pixmap = new QPixmap(1, 1);
                if (image.isNull())
                    pixmap->fill(Qt::transparent);
                else
                    *pixmap = QPixmap::fromImage(image);
                mCache.insert(path, pixmap, std::max(1, int(pixmap->width() * pixmap->height() * 4 / 1024)));
                Q_EMIT ready(path);
            },
            Qt::QueuedConnection);
    });
    return {};
}

} // namespace ft::ui
