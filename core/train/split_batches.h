// split_batches.h: one split of a run's data as tensor batches, whatever the
// input kind: the batch sampler groups by its lengths, the gradient
// accumulator and the evaluator ask it for the rows they want as tensors.
// Text splits are tokenised ahead (train/token_batches.h); image splits are
// decoded, augmented and normalised on worker threads (train/image_split_batches.h).
#pragma once

#include "models/tensor_batch.h"

#include <c10/core/Device.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace ft {

class SplitBatches {
public:
    virtual ~SplitBatches() = default;

    std::int64_t size() const { return static_cast<std::int64_t>(lengths().size()); }
    // Label id per example; empty when the targets are tokens.
    virtual const std::vector<std::int64_t> &labels() const = 0;
    // Whether batches carry per-token targets (a language model's data,
    // labels [batch, length] with -100 where no loss is counted) instead of one label per row.
    virtual bool tokenTargets() const { return false; }
    // With tokenTargets(): the tokens of a row the loss counts (its mean is over them).
    virtual std::int64_t targetTokens(std::int64_t row) const
    {
        (void)row;
        return 1;
    }
    // Per example, its token count (1 for an image): what batches are grouped
    // and evaluation is ordered by.
    virtual const std::vector<std::int64_t> &lengths() const = 0;

    // The rows as one batch on `device`. `epoch` seeds training augmentations,
    // so an example is augmented differently each epoch and identically when a
    // run resumes. Throws ft::Error naming the example's file at fault.
    virtual TensorBatch batch(std::span<const std::int64_t> rows, std::int64_t epoch, c10::Device device) = 0;
    // A hint that these rows are wanted next: the image pipeline starts
    // preparing them while the model computes.
    virtual void prefetch(std::span<const std::int64_t> rows, std::int64_t epoch)
    {
        (void)rows;
        (void)epoch;
    }
    // One example's size for messages ("32 tokens", "224x224 pixels"); empty when it varies.
    virtual std::string exampleSize() const = 0;
};

} // namespace ft
