// batching.cpp: per-epoch orders and the resumable sampler.
#include "train/batching.h"

#include "common/error.h"
#include "common/seeded_random.h"

#include <algorithm>
#include <numeric>

namespace ft {

std::vector<std::int64_t> lengthGroupedIndices(std::span<const std::int64_t> lengths, std::int64_t batchSize,
                                               std::mt19937_64 &rng)
{
    const auto n = static_cast<std::int64_t>(lengths.size());
    std::vector<std::int64_t> indices(lengths.size());
    std::iota(indices.begin(), indices.end(), 0);
    seededShuffle(std::span<std::int64_t>(indices), rng);
    if (indices.empty())
        return indices;

    const std::int64_t megabatchSize = std::max<std::int64_t>(1, std::min<std::int64_t>(n / (batchSize * 4), 50))
                                       * batchSize;
    std::size_t longestMegabatch = 0;
    for (std::int64_t start = 0; start < n; start += megabatchSize) {
        const auto first = indices.begin() + start;
        const auto last = indices.begin() + std::min(n, start + megabatchSize);
        std::stable_sort(first, last, [&](std::int64_t a, std::int64_t b) {
            return lengths[static_cast<std::size_t>(a)] > lengths[static_cast<std::size_t>(b)];
        });
        // Megabatch maxima compare strictly, so the first maximum wins (torch.argmax).
        if (lengths[static_cast<std::size_t>(*first)] > lengths[static_cast<std::size_t>(indices[longestMegabatch])])
            longestMegabatch = static_cast<std::size_t>(start);
    }
    std::swap(indices[0], indices[longestMegabatch]);
    return indices;
}

std::vector<std::int64_t> epochOrder(std::span<const std::int64_t> lengths, std::int64_t batchSize, BatchOrder order,
                                     std::uint64_t seed, std::int64_t epoch)
{
    std::mt19937_64 rng(seed + static_cast<std::uint64_t>(epoch));
    if (order == BatchOrder::LengthGrouped)
        return lengthGroupedIndices(lengths, batchSize, rng);
    std::vector<std::int64_t> indices(lengths.size());
    std::iota(indices.begin(), indices.end(), 0);
    if (order == BatchOrder::Shuffled)
        seededShuffle(std::span<std::int64_t>(indices), rng);
    return indices;
}

BatchSampler::BatchSampler(std::vector<std::int64_t> lengths, std::int64_t batchSize, BatchOrder order,
                           std::uint64_t seed, BatchPosition start)
    : mLengths(std::move(lengths)), mBatchSize(batchSize), mOrder(order), mSeed(seed), mPosition(start)
{
    if (mLengths.empty())
        throw Error(ErrorKind::InvalidInput, "there are no examples to batch");
    if (mBatchSize < 1)
        throw Error(ErrorKind::InvalidInput, "the batch size must be at least 1");
    if (start.epoch < 0 || start.batch < 0 || start.batch >= batchesPerEpoch())
        throw Error(ErrorKind::InvalidInput, "cannot resume at epoch " + std::to_string(start.epoch) + ", batch "
                                                 + std::to_string(start.batch) + ": an epoch has "
                                                 + std::to_string(batchesPerEpoch()) + " batches");
}

std::int64_t BatchSampler::batchesPerEpoch() const
{
    return (static_cast<std::int64_t>(mLengths.size()) + mBatchSize - 1) / mBatchSize;
}

void BatchSampler::loadEpoch(std::int64_t epoch)
{
    mEpochOrder = epochOrder(mLengths, mBatchSize, mOrder, mSeed, epoch);
    mLoadedEpoch = epoch;
}

std::vector<std::int64_t> BatchSampler::next()
{
    if (mLoadedEpoch != mPosition.epoch)
        loadEpoch(mPosition.epoch);
    const auto total = static_cast<std::int64_t>(mEpochOrder.size());
    const std::int64_t first = mPosition.batch * mBatchSize;
    const std::int64_t last = std::min(total, first + mBatchSize);
    std::vector<std::int64_t> batch(mEpochOrder.begin() + first, mEpochOrder.begin() + last);
    if (++mPosition.batch == batchesPerEpoch()) {
        ++mPosition.epoch;
        mPosition.batch = 0;
    }
    return batch;
}

} // namespace ft
