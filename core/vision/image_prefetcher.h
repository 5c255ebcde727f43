// image_prefetcher.h: examples' pixel values prepared on worker threads
// ahead of use, so that decoding, resizing and augmenting overlap the
// model's forward and backward passes. An example is asked for with the
// epoch it is for (its augmentation depends on both); what was requested is
// taken once, and what was not is prepared in the taker's thread.
// Torch-free.
#pragma once

#include "vision/image_processor.h"

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <map>
#include <mutex>
#include <span>
#include <thread>
#include <utility>
#include <vector>

namespace ft {

class ImagePrefetcher {
public:
    // May throw (an ft::Error naming the image); the error reaches take().
    using Prepare = std::function<PixelValues(std::int64_t example, std::int64_t epoch)>;

    ImagePrefetcher(Prepare prepare, int threads);
    // Stops the workers; work in progress is finished, then dropped.
    ~ImagePrefetcher();
    ImagePrefetcher(const ImagePrefetcher &) = delete;
    ImagePrefetcher &operator=(const ImagePrefetcher &) = delete;

    // Queues the examples (those already queued or ready are left as they are).
    void request(std::span<const std::int64_t> examples, std::int64_t epoch);
    // The example's pixel values: ready ones at once, one being prepared when
    // it is done, others prepared here. Rethrows its preparation's error.
    PixelValues take(std::int64_t example, std::int64_t epoch);

    std::int64_t preparedAhead() const; // taken ready or in progress from a worker
    std::int64_t preparedOnDemand() const; // prepared in take()'s thread

private:
    using Key = std::pair<std::int64_t, std::int64_t>; // example, epoch
    enum class State { Queued, Working, Ready };
    struct Slot {
        State state = State::Queued;
        PixelValues pixels;
        std::exception_ptr error;
    };

    void work();

    Prepare mPrepare;
    mutable std::mutex mMutex;
    std::condition_variable mChanged;
    std::deque<Key> mQueue;
    std::map<Key, Slot> mSlots;
    bool mStopping = false;
    std::int64_t mAhead = 0, mOnDemand = 0;
    std::vector<std::thread> mWorkers;
};

} // namespace ft
