// train_step.h: one micro-batch through the classifier: forward, the
// cross-entropy loss (mean over the batch, optionally class-weighted), and
// backward into the parameters' gradients; for a language model (labels per
// token) the next-token loss instead. The optimiser step, clipping and
// schedule are the trainer's.
#pragma once

#include "models/tensor_batch.h"

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

namespace ft {

class Classifier;

// Cross-entropy as torch.nn.CrossEntropyLoss(weight=classWeights) with mean reduction.
at::Tensor classificationLoss(const at::Tensor &logits, const at::Tensor &labels, const at::Tensor &classWeights = {});

// A language model's loss: next-token cross-entropy, the mean over the target
// tokens (labels [batch, length], -100 where none counts), as transformers' ForCausalLMLoss.
at::Tensor causalLmLoss(const at::Tensor &logits, const at::Tensor &labels);

// class_weights "balanced": n / (classes x count) per class of `labels` (label
// ids), as scikit-learn's compute_class_weight; 0 for a class with no example.
at::Tensor balancedClassWeights(const std::vector<std::int64_t> &labels, std::size_t classes);

// Adds d(loss * lossScale)/dparams to the gradients and returns the loss
// (unscaled). lossScale is 1 / gradient_accumulation_steps when accumulating.
double forwardBackward(Classifier &model, const TensorBatch &batch, double lossScale,
                       const at::Tensor &classWeights = {});

} // namespace ft
