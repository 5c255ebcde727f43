// train_step.cpp
#include "train/train_step.h"

#include "models/classifier.h"

#include <ATen/ATen.h>

namespace ft {

at::Tensor classificationLoss(const at::Tensor &logits, const at::Tensor &labels, const at::Tensor &classWeights)
{
    // log_softmax in float32 even under reduced precision, as autocast does.
    const at::Tensor logProbabilities = at::log_softmax(logits.to(at::kFloat), -1);
    return at::nll_loss(logProbabilities, labels, classWeights.defined() ? classWeights.to(at::kFloat) : at::Tensor());
}

double forwardBackward(Classifier &model, const TensorBatch &batch, double lossScale,
                       const at::Tensor &classWeights)
{
    const at::Tensor loss = classificationLoss(model.logits(batch), batch.labels, classWeights);
    (lossScale == 1.0 ? loss : loss * lossScale).backward();
    return loss.item<double>();
}

} // namespace ft
