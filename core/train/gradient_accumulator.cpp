// gradient_accumulator.cpp
#include "train/gradient_accumulator.h"

#include "common/error.h"
#include "train/adamw.h"
#include "train/distillation.h"
#include "train/gradient_buckets.h"
#include "train/train_step.h"

#include <ATen/ATen.h>
#include <c10/util/Exception.h>

#include <algorithm>
#include <new>

namespace ft {

std::span<const std::int64_t> workerSlice(std::span<const std::int64_t> batch, int rank, int worldSize)
{
    const auto workers = static_cast<size_t>(std::max(1, worldSize));
    const auto begin = batch.size() * static_cast<size_t>(rank) / workers;
    const auto end = batch.size() * static_cast<size_t>(rank + 1) / workers;
    return batch.subspan(begin, end - begin);
}

bool isOutOfMemory(const std::exception &error)
{
    return dynamic_cast<const c10::OutOfMemoryError *>(&error) != nullptr
           || dynamic_cast<const std::bad_alloc *>(&error) != nullptr;
}

GradientAccumulator::GradientAccumulator(SplitBatches &split, GradientAccumulatorOptions options)
    : mSplit(split), mOptions(std::move(options))
{
    if (mOptions.classWeights.defined()) {
        const at::Tensor weights = mOptions.classWeights.to(at::kCPU, at::kDouble).contiguous();
        mClassWeights.assign(weights.data_ptr<double>(), weights.data_ptr<double>() + weights.numel());
    }
}

double GradientAccumulator::weightOf(std::span<const std::int64_t> rows) const
{
    if (mSplit.tokenTargets()) { // a language model's loss is a mean over target tokens
        double tokens = 0;
        for (const auto row : rows)
            tokens += static_cast<double>(mSplit.targetTokens(row));
        return tokens;
    }
    if (mClassWeights.empty())
        return static_cast<double>(rows.size());
    double sum = 0;
    for (const auto row : rows)
        sum += mClassWeights[static_cast<size_t>(mSplit.labels()[static_cast<size_t>(row)])];
    return sum;
}

AccumulatedGradients GradientAccumulator::tryAccumulate(Classifier &model,
                                                        const std::vector<std::vector<std::int64_t>> &batches,
                                                        double lossScale, const std::vector<std::int64_t> &epochs)
{
    AccumulatedGradients result;
    const double perBatch = 1.0 / static_cast<double>(batches.size());
    for (size_t index = 0; index < batches.size(); ++index) {
        const std::span<const std::int64_t> batch(batches[index]);
        const std::span<const std::int64_t> rows = workerSlice(batch, mOptions.rank, mOptions.worldSize);
        const std::int64_t epoch = index < epochs.size() ? epochs[index] : 0;
        const auto chunkRows = std::max<size_t>(
            1, static_cast<size_t>(mOptions.microBatchRows > 0 ? mOptions.microBatchRows
                                                               : static_cast<std::int64_t>(rows.size())));
        // nll_loss's mean divides by the batch's summed class weights, so a
        // chunk's mean counts by its share of that sum (its share of rows
        // without class weights, of target tokens for a language model).
        const double batchWeight = weightOf(batch);
        for (size_t begin = 0; begin < rows.size(); begin += chunkRows) {
            const auto chunk = rows.subspan(begin, std::min(chunkRows, rows.size() - begin));
            const double share = chunk.size() == batch.size() || batchWeight == 0 ? 1.0 : weightOf(chunk) / batchWeight;
            if (mOptions.workerSums && index + 1 == batches.size() && begin + chunk.size() == rows.size())
                mOptions.workerSums->arm();
            if (mOptions.beforeChunk)
                mOptions.beforeChunk(static_cast<std::int64_t>(chunk.size()));
            const TensorBatch tensors = mSplit.batch(chunk, epoch, mOptions.device);
            const double scale = perBatch * share * lossScale;
            const double loss = mOptions.distiller
                                    ? mOptions.distiller->forwardBackward(model, tensors, scale, mOptions.classWeights)
                                    : forwardBackward(model, tensors, scale, mOptions.classWeights);
            result.loss += loss * perBatch * share;
            result.samples += tensors.size();
            result.tokens += tensors.realTokens;
        }
    }
    return result;
}

AccumulatedGradients GradientAccumulator::accumulate(Classifier &model, AdamW &optimizer,
                                                     const std::vector<std::vector<std::int64_t>> &batches,
                                                     double lossScale, const std::vector<std::int64_t> &epochs)
{
    for (;;) {
        std::int64_t failedRows = 0;
        try {
            const AccumulatedGradients result = tryAccumulate(model, batches, lossScale, epochs);
            if (mOptions.workerSums)
                mOptions.workerSums->finish();
            return result;
        } catch (const std::exception &e) {
            if (!isOutOfMemory(e))
                throw;
            if (mOptions.workerSums && mOptions.workerSums->started())
                throw Error(ErrorKind::Incompatible,
                            "out of memory on " + mOptions.device.str() + " in a step's last backward pass, after the workers began "
                                + "summing its gradients; lower per_device_train_batch_size or max_length (or the image size)");
            if (mOptions.workerSums)
                mOptions.workerSums->disarm();
            std::int64_t largest = 0;
            for (const auto &batch : batches)
                largest = std::max<std::int64_t>(largest, static_cast<std::int64_t>(batch.size()));
            failedRows = mOptions.microBatchRows > 0 ? std::min(mOptions.microBatchRows, largest) : largest;
        }
        // Out of the catch block, so the failed step's tensors are freed.
        optimizer.zeroGrad();
        if (failedRows <= 1)
            throw Error(ErrorKind::Incompatible,
                        "out of memory on " + mOptions.device.str() + " even with one example per micro-batch"
                            + (mSplit.exampleSize().empty() ? std::string() : " at " + mSplit.exampleSize())
                            + "; lower max_length (or the image size), train with bf16 or fp16, or use method lora");
        mOptions.microBatchRows = failedRows / 2;
        if (mOptions.onShrink)
            mOptions.onShrink(mOptions.microBatchRows);
    }
}

} // namespace ft
