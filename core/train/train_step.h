// train_step.h: one micro-batch through the classifier: forward, the
// cross-entropy loss (mean over the batch, optionally class-weighted), and
// backward into the parameters' gradients. The optimiser step, clipping and
// schedule are the trainer's.
#pragma once

#include "models/tensor_batch.h"

#include <ATen/core/Tensor.h>

namespace ft {

class Classifier;

// Cross-entropy as torch.nn.CrossEntropyLoss(weight=classWeights) with mean reduction.
at::Tensor classificationLoss(const at::Tensor &logits, const at::Tensor &labels, const at::Tensor &classWeights = {});

// Adds d(loss * lossScale)/dparams to the gradients and returns the loss
// (unscaled). lossScale is 1 / gradient_accumulation_steps when accumulating.
double forwardBackward(Classifier &model, const TensorBatch &batch, double lossScale,
                       const at::Tensor &classWeights = {});

} // namespace ft
