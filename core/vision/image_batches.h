// image_batches.h: batches of pixel values prepared on background threads
// ahead of the trainer, so that decoding, resizing and augmenting overlap the
// forward and backward passes. Each batch is prepared whole by one worker;
// up to `prefetch` batches wait ready. Torch-free: the trainer wraps the
// floats in a tensor.
#pragma once

#include "vision/image_cache.h"
#include "vision/image_processor.h"

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <thread>
#include <vector>

namespace ft {

struct ImageBatch {
    std::int64_t count = 0;
    int height = 0, width = 0;
    std::vector<float> pixels;          // count x 3 x height x width
    std::vector<std::int64_t> labels;   // per image
    std::vector<std::int64_t> examples; // the rows asked for, in order
};

// One example's model input from its cached image (augmented for training,
// preprocessed as the image processor does for evaluation). Every image of a
// batch must come out the same size.
using PrepareImage = std::function<PixelValues(const RgbImage &cached, std::int64_t example)>;

class ImageBatchLoader {
public:
    // `batches` lists each batch's example indices; `labels` is per example.
    ImageBatchLoader(ImageCache &cache, PrepareImage prepare, std::vector<std::vector<std::int64_t>> batches,
                     std::vector<std::int64_t> labels, int threads, int prefetch = 4);
    // Stops the workers (a batch being prepared is finished, then dropped).
    ~ImageBatchLoader();
    ImageBatchLoader(const ImageBatchLoader &) = delete;
    ImageBatchLoader &operator=(const ImageBatchLoader &) = delete;

    // The next batch in order, waiting for it if needed; nullopt after the
    // last. A batch whose preparation failed rethrows that error (an
    // ft::Error naming the image) here, in the caller's thread.
    std::optional<ImageBatch> next();

private:
    struct Slot {
        std::optional<ImageBatch> batch;
        std::exception_ptr error;
    };

    void work();
    ImageBatch prepare(std::size_t index);

    ImageCache &mCache;
    PrepareImage mPrepare;
    std::vector<std::vector<std::int64_t>> mBatches;
    std::vector<std::int64_t> mLabels;
    std::size_t mPrefetch;

    std::mutex mMutex;
    std::condition_variable mChanged;
    std::map<std::size_t, Slot> mReady;
    std::size_t mClaimed = 0;  // batches handed to workers
    std::size_t mConsumed = 0; // batches returned by next()
    bool mStopping = false;
    std::vector<std::thread> mWorkers;
};

} // namespace ft
