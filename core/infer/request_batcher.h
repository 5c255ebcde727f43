// request_batcher.h: many threads (an HTTP server's workers) ask for
// predictions at once; one worker thread gathers their texts into batches of
// up to maxBatch rows, runs them through one Predictor, and hands each caller
// its own rows. Batching only changes speed: a caller gets what predicting its
// texts alone gives (beyond float rounding). Torch-free.
#pragma once

#include "infer/predictor.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace ft {

struct BatcherOptions {
    std::size_t maxBatch = 32; // rows per forward pass; a longer request spans several
    // How long the first queued row waits for others before a batch that is
    // not full runs: a little latency for much better throughput under load.
    std::chrono::microseconds maxWait{2000};
};

struct BatcherStats {
    std::uint64_t requests = 0;     // predict() calls answered (successfully or not)
    std::uint64_t rows = 0;         // texts predicted
    std::uint64_t batches = 0;      // forward passes
    std::uint64_t largestBatch = 0; // rows in the largest batch so far
};

class RequestBatcher {
public:
    // What runs one batch; `pairs` is empty or one per text (an empty pair: the text alone).
    using BatchFunction =
        std::function<Predictions(std::span<const std::string_view> texts, std::span<const std::string_view> pairs)>;

    // `predictor` must outlive the batcher; only the batcher's thread calls it.
    explicit RequestBatcher(const Predictor &predictor, BatcherOptions options = {});
    explicit RequestBatcher(BatchFunction predict, BatcherOptions options = {});
    // Stops: requests still queued fail with ft::Error (Cancelled).
    ~RequestBatcher();
    RequestBatcher(const RequestBatcher &) = delete;
    RequestBatcher &operator=(const RequestBatcher &) = delete;

    // Thread-safe; blocks until every row is predicted. `pairs` is empty or
    // one per text. Rethrows what the batch function threw for these rows
    // (ft::Error), or ft::Error (Cancelled) once stopped.
    Predictions predict(std::vector<std::string> texts, std::vector<std::string> pairs = {});

    // Fails queued and later requests with Cancelled; the batch running now completes.
    void stop();
    BatcherStats stats() const;
    const BatcherOptions &options() const { return mOptions; }

private:
    struct Request;
    struct Slice;

    void run();
    std::vector<Slice> takeBatch(std::unique_lock<std::mutex> &lock);
    void runBatch(const std::vector<Slice> &batch);

    BatchFunction mPredict;
    BatcherOptions mOptions;

    mutable std::mutex mMutex;
    std::condition_variable mWake;
    std::deque<std::shared_ptr<Request>> mQueue; // guarded by mMutex
    std::size_t mQueuedRows = 0;                 // rows of mQueue not yet taken into a batch
    bool mStopping = false;

    std::atomic<std::uint64_t> mRequests{0};
    std::atomic<std::uint64_t> mRows{0};
    std::atomic<std::uint64_t> mBatches{0};
    std::atomic<std::uint64_t> mLargestBatch{0};

    std::thread mWorker; // last: starts once everything above exists
};

} // namespace ft
