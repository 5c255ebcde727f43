// image_batches.cpp: the worker pool: claim the next batch while fewer than
// `prefetch` wait unread, prepare it outside the lock, hand it over.
#include "vision/image_batches.h"

#include "common/error.h"

#include <algorithm>

namespace ft {

ImageBatchLoader::ImageBatchLoader(ImageCache &cache, PrepareImage prepare,
                                   std::vector<std::vector<std::int64_t>> batches, std::vector<std::int64_t> labels,
                                   int threads, int prefetch)
    : mCache(cache), mPrepare(std::move(prepare)), mBatches(std::move(batches)), mLabels(std::move(labels)),
      mPrefetch(std::size_t(std::max(1, prefetch)))
{
    for (int i = 0; i < std::max(1, threads); ++i)
        mWorkers.emplace_back([this] { work(); });
}

ImageBatchLoader::~ImageBatchLoader()
{
    {
        const std::lock_guard lock(mMutex);
        mStopping = true;
    }
    mChanged.notify_all();
    for (std::thread &worker : mWorkers)
        worker.join();
}

void ImageBatchLoader::work()
{
    while (true) {
        std::size_t index = 0;
        {
            std::unique_lock lock(mMutex);
            mChanged.wait(lock, [&] {
                return mStopping || mClaimed >= mBatches.size() || mClaimed < mConsumed + mPrefetch;
            });
            if (mStopping || mClaimed >= mBatches.size())
                return;
            index = mClaimed++;
        }
        Slot slot;
        try {
            slot.batch = prepare(index);
        } catch (...) {
            slot.error = std::current_exception();
        }
        {
            const std::lock_guard lock(mMutex);
            mReady.emplace(index, std::move(slot));
        }
        mChanged.notify_all();
    }
}

ImageBatch ImageBatchLoader::prepare(std::size_t index)
{
    const std::vector<std::int64_t> &rows = mBatches[index];
    ImageBatch batch;
    batch.count = std::int64_t(rows.size());
    batch.examples = rows;
    for (const std::int64_t example : rows) {
        if (example < 0 || std::size_t(example) >= mLabels.size())
            throw Error(ErrorKind::Internal, "image batch asks for example " + std::to_string(example) + " of "
                                                 + std::to_string(mLabels.size()));
        const PixelValues values = mPrepare(*mCache.get(example), example);
        if (batch.pixels.empty()) {
            batch.height = values.height;
            batch.width = values.width;
            batch.pixels.reserve(values.chw.size() * rows.size());
        } else if (values.height != batch.height || values.width != batch.width) {
            throw Error(ErrorKind::Internal, "images of one batch came out in different sizes");
        }
        batch.pixels.insert(batch.pixels.end(), values.chw.begin(), values.chw.end());
        batch.labels.push_back(mLabels[std::size_t(example)]);
    }
    return batch;
}

std::optional<ImageBatch> ImageBatchLoader::next()
{
    std::unique_lock lock(mMutex);
    if (mConsumed >= mBatches.size())
        return std::nullopt;
    mChanged.wait(lock, [&] { return mReady.count(mConsumed) > 0; });
    Slot slot = std::move(mReady.at(mConsumed));
    mReady.erase(mConsumed++);
    lock.unlock();
    mChanged.notify_all();
    if (slot.error)
        std::rethrow_exception(slot.error);
    return std::move(slot.batch);
}

} // namespace ft
