// image_prefetcher.cpp
#include "vision/image_prefetcher.h"

#include <algorithm>

namespace ft {

ImagePrefetcher::ImagePrefetcher(Prepare prepare, int threads) : mPrepare(std::move(prepare))
{
    for (int i = 0; i < std::max(1, threads); ++i)
        mWorkers.emplace_back([this] { work(); });
}

ImagePrefetcher::~ImagePrefetcher()
{
    {
        const std::lock_guard lock(mMutex);
        mStopping = true;
    }
    mChanged.notify_all();
    for (std::thread &worker : mWorkers)
        worker.join();
}

void ImagePrefetcher::request(std::span<const std::int64_t> examples, std::int64_t epoch)
{
    {
        const std::lock_guard lock(mMutex);
        for (const std::int64_t example : examples) {
            const Key key{example, epoch};
            if (mSlots.try_emplace(key).second)
                mQueue.push_back(key);
        }
    }
    mChanged.notify_all();
}

void ImagePrefetcher::work()
{
    std::unique_lock lock(mMutex);
    for (;;) {
        mChanged.wait(lock, [this] { return mStopping || !mQueue.empty(); });
        if (mStopping)
            return;
        const Key key = mQueue.front();
        mQueue.pop_front();
        const auto found = mSlots.find(key);
        if (found == mSlots.end() || found->second.state != State::Queued)
            continue; // taken meanwhile
        found->second.state = State::Working;
        lock.unlock();
        PixelValues pixels;
        std::exception_ptr error;
        try {
            pixels = mPrepare(key.first, key.second);
        } catch (...) {
            error = std::current_exception();
        }
        lock.lock();
        Slot &slot = mSlots[key]; // a slot in Working state is never erased by others
        slot.pixels = std::move(pixels);
        slot.error = error;
        slot.state = State::Ready;
        mChanged.notify_all();
    }
}

PixelValues ImagePrefetcher::take(std::int64_t example, std::int64_t epoch)
{
    const Key key{example, epoch};
    std::unique_lock lock(mMutex);
    auto found = mSlots.find(key);
    if (found == mSlots.end() || found->second.state == State::Queued) {
        // Not started: prepare it here rather than wait for a worker.
        if (found != mSlots.end())
            mSlots.erase(found);
        ++mOnDemand;
        lock.unlock();
        return mPrepare(example, epoch);
    }
    mChanged.wait(lock, [&] { return mSlots.at(key).state == State::Ready; });
    found = mSlots.find(key);
    Slot slot = std::move(found->second);
    mSlots.erase(found);
    ++mAhead;
    if (slot.error)
        std::rethrow_exception(slot.error);
    return std::move(slot.pixels);
}

std::int64_t ImagePrefetcher::preparedAhead() const
{
    const std::lock_guard lock(mMutex);
    return mAhead;
}

std::int64_t ImagePrefetcher::preparedOnDemand() const
{
    const std::lock_guard lock(mMutex);
    return mOnDemand;
}

} // namespace ft
