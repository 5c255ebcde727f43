// request_batcher.cpp: a queue of requests, each with a promise; the worker
// takes rows first come first served (a long request may be split across
// batches) and copies each batch's rows back into the requests they came from.
#include "infer/request_batcher.h"

#include "common/error.h"

#include <algorithm>
#include <exception>
#include <future>

namespace ft {

struct RequestBatcher::Request {
    std::vector<std::string> texts;
    std::vector<std::string> pairs;
    std::size_t next = 0; // first row not yet taken into a batch (under mMutex)
    std::size_t done = 0; // rows with results (worker thread only)
    bool failed = false;  // its promise holds an exception (worker thread only)
    Predictions result;
    std::promise<Predictions> promise;
};

// Rows [begin, begin + count) of one request, in one batch.
struct RequestBatcher::Slice {
    std::shared_ptr<Request> request;
    std::size_t begin = 0;
    std::size_t count = 0;
};

namespace {

void copyRows(const Predictions &from, std::size_t fromRow, Predictions &to, std::size_t toRow, std::size_t count)
{
    const std::size_t k = from.numLabels;
    for (std::size_t r = 0; r < count; ++r) {
        to.labelIds[toRow + r] = from.labelIds[fromRow + r];
        to.labels[toRow + r] = from.labels[fromRow + r];
    }
    std::copy_n(from.probabilities.begin() + std::ptrdiff_t(fromRow * k), count * k,
                to.probabilities.begin() + std::ptrdiff_t(toRow * k));
    std::copy_n(from.logits.begin() + std::ptrdiff_t(fromRow * k), count * k,
                to.logits.begin() + std::ptrdiff_t(toRow * k));
}

} // namespace

RequestBatcher::RequestBatcher(const Predictor &predictor, BatcherOptions options)
    : RequestBatcher([&predictor](std::span<const std::string_view> texts,
                                  std::span<const std::string_view> pairs) { return predictor.predict(texts, pairs); },
                     options)
{
}

RequestBatcher::RequestBatcher(BatchFunction predict, BatcherOptions options)
    : mPredict(std::move(predict)), mOptions(options)
{
    mOptions.maxBatch = std::max<std::size_t>(1, mOptions.maxBatch);
    mWorker = std::thread([this] { run(); });
}

RequestBatcher::~RequestBatcher()
{
    stop();
    mWorker.join();
}

Predictions RequestBatcher::predict(std::vector<std::string> texts, std::vector<std::string> pairs)
{
    if (!pairs.empty() && pairs.size() != texts.size())
        throw Error(ErrorKind::Internal, "RequestBatcher::predict: " + std::to_string(texts.size()) + " texts but " +
                                             std::to_string(pairs.size()) + " pairs");
    if (texts.empty()) {
        ++mRequests;
        return {};
    }
    auto request = std::make_shared<Request>();
    request->texts = std::move(texts);
    request->pairs = std::move(pairs);
    std::future<Predictions> answer = request->promise.get_future();
    {
        std::lock_guard lock(mMutex);
        if (mStopping)
            throw Error(ErrorKind::Cancelled, "the server is stopping");
        mQueuedRows += request->texts.size();
        mQueue.push_back(std::move(request));
    }
    mWake.notify_one();
    return answer.get();
}

void RequestBatcher::stop()
{
    {
        std::lock_guard lock(mMutex);
        mStopping = true;
    }
    mWake.notify_all();
}

BatcherStats RequestBatcher::stats() const
{
    BatcherStats stats;
    stats.requests = mRequests.load();
    stats.rows = mRows.load();
    stats.batches = mBatches.load();
    stats.largestBatch = mLargestBatch.load();
    return stats;
}

void RequestBatcher::run()
{
    std::unique_lock lock(mMutex);
    while (!mStopping) {
        mWake.wait(lock, [this] { return mStopping || !mQueue.empty(); });
        // Give other callers a moment to add rows, unless a batch is full already.
        const auto deadline = std::chrono::steady_clock::now() + mOptions.maxWait;
        mWake.wait_until(lock, deadline, [this] { return mStopping || mQueuedRows >= mOptions.maxBatch; });
        if (mStopping)
            break;
        const std::vector<Slice> batch = takeBatch(lock);
        lock.unlock();
        runBatch(batch);
        lock.lock();
    }
    // Only this thread answers requests, so the ones still queued (some
    // perhaps partly predicted) are failed here.
    std::deque<std::shared_ptr<Request>> abandoned;
    abandoned.swap(mQueue);
    mQueuedRows = 0;
    lock.unlock();
    for (const auto &request : abandoned) {
        if (request->failed)
            continue;
        ++mRequests;
        request->promise.set_exception(std::make_exception_ptr(Error(ErrorKind::Cancelled, "the server is stopping")));
    }
}

std::vector<RequestBatcher::Slice> RequestBatcher::takeBatch(std::unique_lock<std::mutex> &)
{
    std::vector<Slice> batch;
    std::size_t rows = 0;
    while (rows < mOptions.maxBatch && !mQueue.empty()) {
        const std::shared_ptr<Request> &front = mQueue.front();
        const std::size_t count = std::min(mOptions.maxBatch - rows, front->texts.size() - front->next);
        batch.push_back({front, front->next, count});
        front->next += count;
        rows += count;
        mQueuedRows -= count;
        if (front->next == front->texts.size())
            mQueue.pop_front();
    }
    return batch;
}

void RequestBatcher::runBatch(const std::vector<Slice> &batch)
{
    std::vector<std::string_view> texts;
    std::vector<std::string_view> pairs;
    const bool withPairs =
        std::any_of(batch.begin(), batch.end(), [](const Slice &slice) { return !slice.request->pairs.empty(); });
    for (const Slice &slice : batch) {
        const Request &request = *slice.request;
        for (std::size_t r = slice.begin; r < slice.begin + slice.count; ++r) {
            texts.push_back(request.texts[r]);
            if (withPairs) // a row without a pair gets an empty one: the text alone
                pairs.push_back(request.pairs.empty() ? std::string_view() : std::string_view(request.pairs[r]));
        }
    }

    Predictions predictions;
    std::exception_ptr failure;
    try {
        predictions = mPredict(texts, pairs);
        if (predictions.size() != texts.size())
            throw Error(ErrorKind::Internal, "the batch gave " + std::to_string(predictions.size()) +
                                                 " predictions for " + std::to_string(texts.size()) + " texts");
    } catch (...) {
        failure = std::current_exception();
    }
    ++mBatches;
    mRows += texts.size();
    std::uint64_t largest = mLargestBatch.load();
    while (largest < texts.size() && !mLargestBatch.compare_exchange_weak(largest, texts.size())) {
    }

    std::size_t row = 0;
    for (const Slice &slice : batch) {
        Request &request = *slice.request;
        const std::size_t first = row;
        row += slice.count;
        if (request.failed)
            continue;
        if (failure) {
            // Its other rows may still be queued: they are skipped, not predicted.
            request.failed = true;
            {
                std::lock_guard lock(mMutex);
                const auto queued = std::find(mQueue.begin(), mQueue.end(), slice.request);
                if (queued != mQueue.end()) {
                    mQueuedRows -= request.texts.size() - request.next;
                    mQueue.erase(queued);
                }
            }
            ++mRequests;
            request.promise.set_exception(failure);
            continue;
        }
        if (request.result.labelIds.empty()) {
            const std::size_t n = request.texts.size();
            const std::size_t k = predictions.numLabels;
            request.result.numLabels = k;
            request.result.labelIds.assign(n, 0);
            request.result.labels.assign(n, std::string());
            request.result.probabilities.assign(n * k, 0.0f);
            request.result.logits.assign(n * k, 0.0f);
        }
        copyRows(predictions, first, request.result, slice.begin, slice.count);
        request.done += slice.count;
        if (request.done == request.texts.size()) {
            ++mRequests;
            request.promise.set_value(std::move(request.result));
        }
    }
}

} // namespace ft
