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

at::Tensor causalLmLoss(const at::Tensor &logits, const at::Tensor &labels)
{
    // Position t predicts token t + 1, as transformers' ForCausalLMLoss shifts.
    const std::int64_t length = logits.size(1);
    const at::Tensor predicted = logits.narrow(1, 0, length - 1).to(at::kFloat).reshape({-1, logits.size(2)});
    const at::Tensor targets = labels.narrow(1, 1, length - 1).reshape({-1});
    return at::nll_loss(at::log_softmax(predicted, -1), targets, {}, at::Reduction::Mean, /*ignore_index=*/-100);
}

at::Tensor balancedClassWeights(const std::vector<std::int64_t> &labels, std::size_t classes)
{
    std::vector<double> counts(classes, 0.0);
    for (const auto label : labels)
        counts[static_cast<size_t>(label)] += 1;
    std::vector<float> weights;
    for (const double count : counts)
        weights.push_back(count > 0 ? static_cast<float>(double(labels.size()) / (double(classes) * count)) : 0.0f);
    return at::tensor(weights);
}

double forwardBackward(Classifier &model, const TensorBatch &batch, double lossScale,
                       const at::Tensor &classWeights)
{
    const at::Tensor logits = model.logits(batch);
    const at::Tensor loss = batch.labels.dim() == 2 ? causalLmLoss(logits, batch.labels)
                                                    : classificationLoss(logits, batch.labels, classWeights);
    (lossScale == 1.0 ? loss : loss * lossScale).backward();
    return loss.item<double>();
}

} // namespace ft
