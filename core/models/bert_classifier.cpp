// bert_classifier.cpp
#include "models/bert_classifier.h"

#include "common/error.h"
#include "models/checkpoint.h"

namespace ft {

BertClassifier::BertClassifier(BertForSequenceClassification model) : mModel(std::move(model)) {}

std::vector<std::string> BertClassifier::labels() const
{
    return mModel->config().id2label;
}

nlohmann::json BertClassifier::configJson() const
{
    return mModel->config().toJson();
}

torch::nn::Module &BertClassifier::module()
{
    return *mModel;
}

at::Tensor BertClassifier::logits(const TensorBatch &batch)
{
    return mModel->forward(batch.inputIds, batch.attentionMask, batch.tokenTypeIds).logits;
}

TensorMap BertClassifier::state() const
{
    return bertStateDict(*mModel);
}

void BertClassifier::loadState(const TensorMap &tensors, const std::string &source)
{
    if (!applyCheckpoint(*mModel, tensors, source).complete())
        throw Error(ErrorKind::InvalidInput, source + " does not hold every weight of the model");
}

void BertClassifier::save(const std::filesystem::path &folder) const
{
    saveBert(*mModel, folder);
}

void BertClassifier::freeze(std::int64_t layers)
{
    freezeLowerLayers(*mModel, "bert.embeddings.", "bert.encoder.layer.", layers);
}

} // namespace ft
