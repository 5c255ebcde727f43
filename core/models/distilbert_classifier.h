// distilbert_classifier.h: DistilBertForSequenceClassification behind the
// Classifier interface, and DistilBERT checkpoint folders to and from it:
// DistilBertForSequenceClassification folders as they are, and the base
// checkpoints people start from (DistilBertModel keys without "distilbert.",
// DistilBertForMaskedLM's with its vocab_* head) with a new head, as
// from_pretrained does.
#pragma once

#include "models/classifier.h"
#include "models/distilbert_model.h"
#include "models/load_report.h"

#include <filesystem>

namespace ft {

class DistilBertClassifier : public Classifier {
public:
    explicit DistilBertClassifier(DistilBertForSequenceClassification model);

    InputKind inputKind() const override { return InputKind::Text; }
    std::string architecture() const override { return "DistilBertForSequenceClassification"; }
    std::vector<std::string> labels() const override;
    nlohmann::json configJson() const override;
    torch::nn::Module &module() override;
    at::Tensor logits(const TensorBatch &batch) override;
    TensorMap state() const override;
    void loadState(const TensorMap &tensors, const std::string &source) override;
    void save(const std::filesystem::path &folder) const override;
    void freeze(std::int64_t layers) override;
    std::string peftTaskType() const override { return "SEQ_CLS"; }

    DistilBertForSequenceClassification distilBert() const { return mModel; }

private:
    DistilBertForSequenceClassification mModel;
};

struct LoadedDistilBert {
    DistilBertForSequenceClassification model{nullptr}; // in eval mode
    LoadReport report; // initialized: the head's tensors when new; unexpected: tensors of other heads
};

// config.json (model_type "distilbert") and the weights of `folder`. With
// labels of another number than the checkpoint's head, or no head at all,
// pre_classifier and classifier start afresh from `options.seed`. Throws
// ft::Error naming the file and tensor for anything missing in the encoder or
// misshapen.
LoadedDistilBert loadDistilBert(const std::filesystem::path &folder, const ClassifierOptions &options);

} // namespace ft
