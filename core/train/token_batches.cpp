// token_batches.cpp
#include "train/token_batches.h"

#include "train/collate.h"

#include <algorithm>

namespace ft {

TokenBatches::TokenBatches(EncodedSplit split, std::int64_t padId, std::int64_t padTo)
    : mSplit(std::move(split)), mPadId(padId), mPadTo(padTo)
{
}

TensorBatch TokenBatches::batch(std::span<const std::int64_t> rows, std::int64_t, c10::Device device)
{
    return collate(mSplit, rows, mPadId, mPadTo, device);
}

std::string TokenBatches::exampleSize() const
{
    return mPadTo > 0 ? std::to_string(mPadTo) + " tokens" : std::string();
}

std::int64_t TokenBatches::targetTokens(std::int64_t row) const
{
    if (mSplit.responseStarts.empty())
        return 1;
    // Position t predicts token t + 1: the targets are the tokens after the first from the response on.
    const std::int64_t length = std::min(mSplit.lengths[row], mPadTo > 0 ? mPadTo : mSplit.lengths[row]);
    return std::max<std::int64_t>(0, length - std::max<std::int64_t>(1, mSplit.responseStarts[row]));
}

} // namespace ft
