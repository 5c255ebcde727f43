// token_batches.h: a tokenised split (train/encoded_split.h) as SplitBatches,
// padded per batch to its longest row or to a fixed length.
#pragma once

#include "train/encoded_split.h"
#include "train/split_batches.h"

namespace ft {

class TokenBatches : public SplitBatches {
public:
    // `padTo` 0 pads each batch to its longest row.
    TokenBatches(EncodedSplit split, std::int64_t padId, std::int64_t padTo);

    const std::vector<std::int64_t> &labels() const override { return mSplit.labels; }
    const std::vector<std::int64_t> &lengths() const override { return mSplit.lengths; }
    bool tokenTargets() const override { return !mSplit.responseStarts.empty(); }
    std::int64_t targetTokens(std::int64_t row) const override;
    TensorBatch batch(std::span<const std::int64_t> rows, std::int64_t epoch, c10::Device device) override;
    std::string exampleSize() const override;

    const EncodedSplit &split() const { return mSplit; }

private:
    EncodedSplit mSplit;
    std::int64_t mPadId;
    std::int64_t mPadTo;
};

} // namespace ft
