// gradient_accumulator.h: the gradients of one optimiser step. The step's
// batches (gradient_accumulation_steps of them, as the sampler drew them) go
// through forward and backward in chunks of at most microBatchRows() rows,
// each chunk's mean loss weighted by its share of its batch, so the gradient
// is the batches' mean whatever the chunking. When the device runs out of
// memory the chunks are halved and the step starts over with the same rows:
// the effective batch, and so the training recipe, stay the same.
#pragma once

#include "train/split_batches.h"

#include <ATen/Tensor.h>
#include <c10/core/Device.h>

#include <cstdint>
#include <functional>
#include <vector>

namespace ft {

class AdamW;
class Classifier;
class Distiller;
class GradientBuckets;

struct AccumulatedGradients {
    double loss = 0; // mean of the batches' mean losses (unscaled)
    std::int64_t samples = 0;
    std::int64_t tokens = 0; // real (unpadded)
};

struct GradientAccumulatorOptions {
    std::int64_t microBatchRows = 0; // chunk size; 0 = whole batches
    // Data-parallel training: each batch is the global one, cut into
    // worldSize slices as evenly as its rows allow; this worker computes
    // slice `rank`, weighted by its share of the batch, so that summing the
    // workers' gradients gives the single-process gradient.
    int rank = 0;
    int worldSize = 1;
    // When set (data-parallel runs), the gradients are summed over the
    // workers during the step's last backward pass, and accumulate() returns
    // the sums.
    GradientBuckets *workerSums = nullptr;
    c10::Device device = c10::Device(c10::kCPU);
    at::Tensor classWeights;         // per label, or undefined
    // Distillation (train/distillation.h): the teacher runs on each chunk and the loss mixes its
    // soft targets with the labels; null: cross-entropy alone.
    Distiller *distiller = nullptr;
    // Called with a chunk's row count before its forward pass; a test throws
    // an out-of-memory error from here to drive the recovery.
    std::function<void(std::int64_t rows)> beforeChunk;
    // Told the new chunk size after an out-of-memory error.
    std::function<void(std::int64_t rows)> onShrink;
};

class GradientAccumulator {
public:
    GradientAccumulator(SplitBatches &split, GradientAccumulatorOptions options);

    // Adds the gradients of mean-over-batches loss x lossScale into the
    // model's (zeroed) gradients. `epochs` gives each batch's epoch (which
    // seeds image augmentations); empty: all 0. Throws ft::Error
    // (Incompatible) when even one row at a time does not fit, naming the
    // example size; also when memory runs out once the workers' sums began.
    AccumulatedGradients accumulate(Classifier &model, AdamW &optimizer,
                                    const std::vector<std::vector<std::int64_t>> &batches, double lossScale,
                                    const std::vector<std::int64_t> &epochs = {});

    std::int64_t microBatchRows() const { return mOptions.microBatchRows; }

private:
    AccumulatedGradients tryAccumulate(Classifier &model, const std::vector<std::vector<std::int64_t>> &batches,
                                       double lossScale, const std::vector<std::int64_t> &epochs);
    double weightOf(std::span<const std::int64_t> rows) const;

    SplitBatches &mSplit;
    GradientAccumulatorOptions mOptions;
    std::vector<double> mClassWeights; // host copy; empty = all 1
};

// Worker `rank`'s slice of a global batch of a data-parallel run: the rows cut
// into `worldSize` parts as evenly as they allow.
std::span<const std::int64_t> workerSlice(std::span<const std::int64_t> batch, int rank, int worldSize);

// Whether an exception is the device (or host) running out of memory.
bool isOutOfMemory(const std::exception &error);

} // namespace ft
