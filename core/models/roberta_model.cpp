// roberta_model.cpp: following transformers' modeling_roberta.py.
#include "models/roberta_model.h"

#include "common/error.h"
#include "models/hf_init.h"

#include <ATen/Functions.h>

namespace ft {

RobertaClassificationHeadImpl::RobertaClassificationHeadImpl(const BertConfig &config)
{
    mDense = register_module("dense", torch::nn::Linear(config.hiddenSize, config.hiddenSize));
    mDropout = register_module("dropout", torch::nn::Dropout(config.classifierDropoutProb()));
    mOutProj = register_module("out_proj", torch::nn::Linear(config.hiddenSize, config.numLabels()));
}

at::Tensor RobertaClassificationHeadImpl::forward(const at::Tensor &hidden)
{
    const at::Tensor first = mDropout(hidden.select(1, 0));
    return mOutProj(mDropout(at::tanh(mDense(first))));
}

RobertaForSequenceClassificationImpl::RobertaForSequenceClassificationImpl(const BertConfig &config) : mConfig(config)
{
    if (!config.isRoberta())
        throw Error(ErrorKind::Internal, "RobertaForSequenceClassification needs a roberta config, not "
                                             + config.modelType);
    mRoberta = register_module("roberta", BertModel(config));
    mClassifier = register_module("classifier", RobertaClassificationHead(config));
}

SequenceClassifierOutput RobertaForSequenceClassificationImpl::forward(const at::Tensor &inputIds,
                                                                       const at::Tensor &attentionMask,
                                                                       const at::Tensor &tokenTypeIds)
{
    BertModelOutput base = mRoberta(inputIds, attentionMask, tokenTypeIds);
    SequenceClassifierOutput output;
    output.logits = mClassifier(base.lastHiddenState);
    output.lastHiddenState = std::move(base.lastHiddenState);
    return output;
}

void RobertaForSequenceClassificationImpl::initWeights(std::uint64_t seed, std::string_view prefix)
{
    initLikeTransformers(*this, mConfig.initializerRange, seed, prefix);
}

std::string RobertaForSequenceClassificationImpl::architecture() const
{
    return mConfig.modelType == "xlm-roberta" ? "XLMRobertaForSequenceClassification"
                                              : "RobertaForSequenceClassification";
}

} // namespace ft
