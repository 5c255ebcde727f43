// tensor_batch.h: one batch of model inputs and labels, whatever the model's
// input kind: token ids with their masks for text, pixel values for images.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>

namespace ft {

struct TensorBatch {
    at::Tensor inputIds;      // text: [batch, length] int64
    at::Tensor attentionMask; // text: [batch, length] int64, 1 = real token
    at::Tensor tokenTypeIds;  // text: [batch, length] int64
    at::Tensor pixelValues;   // images: [batch, 3, height, width] float32, normalised
    at::Tensor labels;        // [batch] int64
    std::int64_t realTokens = 0; // text: unpadded tokens (throughput)

    std::int64_t size() const
    {
        return inputIds.defined() ? inputIds.size(0) : pixelValues.defined() ? pixelValues.size(0) : 0;
    }
};

} // namespace ft
