// batching.h: which examples go in which batch, epoch after epoch. Orders are
// a pure function of (seed, epoch), the same on every platform, so a run
// resumed at a saved BatchPosition continues with exactly the batches the
// uninterrupted run would have seen.
#pragma once

#include <cstdint>
#include <random>
#include <span>
#include <vector>

namespace ft {

enum class BatchOrder {
    Sequential,    // 0, 1, 2, ...: evaluation
    Shuffled,      // a random permutation per epoch
    LengthGrouped, // transformers' LengthGroupedSampler: less padding for the same randomness
};

struct BatchPosition {
    std::int64_t epoch = 0; // 0-based
    std::int64_t batch = 0; // the next batch within the epoch, 0-based
    bool operator==(const BatchPosition &) const = default;
};

// transformers' get_length_grouped_indices: a random permutation cut into
// megabatches of min(n / (4 * batchSize), 50) (at least 1) batches, each
// sorted by length, longest first (stable for ties); then the longest example
// of all is swapped to the very front, so the first batch is the largest and
// an out-of-memory shows at once.
std::vector<std::int64_t> lengthGroupedIndices(std::span<const std::int64_t> lengths, std::int64_t batchSize,
                                               std::mt19937_64 &rng);

// The order of every example in `epoch`; the random ones draw from
// std::mt19937_64(seed + epoch), as accelerate seeds a sampler per epoch.
std::vector<std::int64_t> epochOrder(std::span<const std::int64_t> lengths, std::int64_t batchSize, BatchOrder order,
                                     std::uint64_t seed, std::int64_t epoch);

class BatchSampler {
public:
    // `lengths`: the token count of every example. Starts at `start`, the
    // position a checkpoint saved. Throws ft::Error (InvalidInput) for no
    // examples, a batch size below 1 or a position past the epoch's end.
    BatchSampler(std::vector<std::int64_t> lengths, std::int64_t batchSize, BatchOrder order, std::uint64_t seed,
                 BatchPosition start = {});

    // Batches per epoch: ceil(examples / batch size); the last may be smaller.
    std::int64_t batchesPerEpoch() const;
    // The position of the batch next() returns next: what a checkpoint saves.
    const BatchPosition &position() const { return mPosition; }
    // The next batch's example indices; after an epoch's last batch, the
    // next epoch begins.
    std::vector<std::int64_t> next();

private:
    void loadEpoch(std::int64_t epoch);

    std::vector<std::int64_t> mLengths;
    std::int64_t mBatchSize;
    BatchOrder mOrder;
    std::uint64_t mSeed;
    BatchPosition mPosition;
    std::int64_t mLoadedEpoch = -1;
    std::vector<std::int64_t> mEpochOrder;
};

} // namespace ft
