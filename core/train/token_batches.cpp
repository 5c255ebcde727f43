// token_batches.cpp
#include "train/token_batches.h"

#include "train/collate.h"

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

} // namespace ft
