// image_cache.cpp: one loader call per example; waiters sleep on a
// condition variable while another thread loads it.
#include "vision/image_cache.h"

namespace ft {

ImageCache::ImageCache(Loader load, std::uint64_t byteBudget) : mLoad(std::move(load)), mBudget(byteBudget) {}

std::shared_ptr<const RgbImage> ImageCache::get(std::int64_t example)
{
    std::unique_lock lock(mMutex);
    Entry &entry = mEntries[example];
    mLoaded.wait(lock, [&] { return !entry.loading; });
    if (entry.image) {
        ++mHits;
        return entry.image;
    }
    entry.loading = true;
    ++mLoads;
    lock.unlock();
    std::shared_ptr<const RgbImage> image;
    try {
        image = std::make_shared<const RgbImage>(mLoad(example));
    } catch (...) {
        lock.lock();
        entry.loading = false;
        mLoaded.notify_all();
        throw;
    }
    lock.lock();
    entry.loading = false;
    if (mBytes + image->pixels.size() <= mBudget) {
        entry.image = image;
        mBytes += image->pixels.size();
    }
    mLoaded.notify_all();
    return image;
}

std::uint64_t ImageCache::bytes() const
{
    const std::lock_guard lock(mMutex);
    return mBytes;
}

std::int64_t ImageCache::loads() const
{
    const std::lock_guard lock(mMutex);
    return mLoads;
}

std::int64_t ImageCache::hits() const
{
    const std::lock_guard lock(mMutex);
    return mHits;
}

} // namespace ft
