// roberta_model.h: RobertaForSequenceClassification (and XLM-R's, the same
// modules) under Hugging Face's names: BERT's encoder as "roberta" (positions
// from pad_token_id + 1, no pooler) and RobertaClassificationHead as
// "classifier" (dense, tanh, out_proj on the <s> token).
#pragma once

#include "models/bert_config.h"
#include "models/bert_model.h"

#include <torch/nn/module.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include <cstdint>
#include <string_view>

namespace ft {

class RobertaClassificationHeadImpl : public torch::nn::Module {
public:
    explicit RobertaClassificationHeadImpl(const BertConfig &config);
    // out_proj(dropout(tanh(dense(dropout(first token))))).
    at::Tensor forward(const at::Tensor &hidden);

private:
    torch::nn::Linear mDense{nullptr};
    torch::nn::Dropout mDropout{nullptr};
    torch::nn::Linear mOutProj{nullptr};
};
TORCH_MODULE(RobertaClassificationHead);

class RobertaForSequenceClassificationImpl : public torch::nn::Module {
public:
    // Modules sized by `config` (model_type "roberta" or "xlm-roberta"); call
    // initWeights() or load a checkpoint before use.
    explicit RobertaForSequenceClassificationImpl(const BertConfig &config);
    SequenceClassifierOutput forward(const at::Tensor &inputIds, const at::Tensor &attentionMask = {},
                                     const at::Tensor &tokenTypeIds = {});

    // transformers' _init_weights for a seed; with a prefix only the modules under it.
    void initWeights(std::uint64_t seed, std::string_view prefix = {});

    const BertConfig &config() const { return mConfig; }
    // "RobertaForSequenceClassification" or "XLMRobertaForSequenceClassification".
    std::string architecture() const;

private:
    BertConfig mConfig;
    BertModel mRoberta{nullptr};
    RobertaClassificationHead mClassifier{nullptr};
};
TORCH_MODULE(RobertaForSequenceClassification);

} // namespace ft
