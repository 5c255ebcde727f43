// bert_classifier.h: BertForSequenceClassification behind the Classifier
// interface (text input: token ids, attention mask, token types).
#pragma once

#include "models/bert_model.h"
#include "models/classifier.h"

namespace ft {

class BertClassifier : public Classifier {
public:
    explicit BertClassifier(BertForSequenceClassification model);

    InputKind inputKind() const override { return InputKind::Text; }
    std::string architecture() const override { return "BertForSequenceClassification"; }
    std::vector<std::string> labels() const override;
    nlohmann::json configJson() const override;
    torch::nn::Module &module() override;
    at::Tensor logits(const TensorBatch &batch) override;
    TensorMap state() const override;
    void loadState(const TensorMap &tensors, const std::string &source) override;
    void save(const std::filesystem::path &folder) const override;
    void freeze(std::int64_t layers) override;
    std::string peftTaskType() const override { return "SEQ_CLS"; }

    BertForSequenceClassification bert() const { return mModel; }

private:
    BertForSequenceClassification mModel;
};

} // namespace ft
