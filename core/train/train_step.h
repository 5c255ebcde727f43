// train_step.h: one micro-batch through the classifier: forward, the
// cross-entropy loss (mean over the batch, optionally class-weighted), and
// backward into the parameters' gradients. The optimiser step, clipping and
// schedule are the trainer's.
#pragma once

#include "models/bert_model.h"

#include <ATen/Tensor.h>

#include <cstdint>

namespace ft {

struct TensorBatch {
    at::Tensor inputIds;      // [batch, length] int64
    at::Tensor attentionMask; // [batch, length] int64, 1 = real token
    at::Tensor tokenTypeIds;  // [batch, length] int64
    at::Tensor labels;        // [batch] int64
    std::int64_t realTokens = 0;

    std::int64_t size() const { return inputIds.defined() ? inputIds.size(0) : 0; }
};

// Cross-entropy as torch.nn.CrossEntropyLoss(weight=classWeights) with mean reduction.
at::Tensor classificationLoss(const at::Tensor &logits, const at::Tensor &labels, const at::Tensor &classWeights = {});

// Adds d(loss * lossScale)/dparams to the gradients and returns the loss
// (unscaled). lossScale is 1 / gradient_accumulation_steps when accumulating.
double forwardBackward(BertForSequenceClassificationImpl &model, const TensorBatch &batch, double lossScale,
                       const at::Tensor &classWeights = {});

} // namespace ft
