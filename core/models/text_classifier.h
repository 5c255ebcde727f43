// text_classifier.h: the text classifiers beside BERT behind the Classifier
// interface: DistilBertForSequenceClassification, RoBERTa's and XLM-R's
// RobertaForSequenceClassification, GPT2ForSequenceClassification and
// LlamaForSequenceClassification. Their
// checkpoint folders load as transformers loads them
// (models/encoder_checkpoint.h), and save() writes folders that
// from_pretrained reads.
#pragma once

#include "models/bert_config.h"
#include "models/classifier.h"
#include "models/distilbert_model.h"
#include "models/gpt2_model.h"
#include "models/llama_model.h"
#include "models/load_report.h"
#include "models/roberta_model.h"

#include <nlohmann/json_fwd.hpp>

#include <filesystem>

namespace ft {

// Whether config.json's model_type is one of these families ("bert" is not).
bool hasTextClassifier(const std::string &modelType);

struct LoadedTextClassifier {
    ClassifierPtr model; // in eval mode, on the options' device
    LoadReport report;   // initialized: the head's tensors when new; unexpected: other heads' tensors
};

// config.json and the weights of `folder`. With labels of another number than
// the checkpoint's head, or no head at all, the head starts afresh from
// `options.seed`. Throws ft::Error naming the file and tensor for anything
// missing in the encoder or misshapen.
LoadedTextClassifier loadTextClassifier(const std::filesystem::path &folder, const ClassifierOptions &options);
// A randomly initialised classifier for the config file (with the options' labels).
ClassifierPtr makeScratchTextClassifier(const std::filesystem::path &configFile, const ClassifierOptions &options);
// The same for config.json's contents in hand (a distillation student's, train/distillation.h); `source`
// names them in errors.
ClassifierPtr makeScratchTextClassifier(const nlohmann::json &config, const std::string &source,
                                       const ClassifierOptions &options);
// The same for a DistilBERT or RoBERTa/XLM-R config in hand.
ClassifierPtr makeTextClassifier(const BertConfig &config, const ClassifierOptions &options);

// The module behind a classifier of these families, or null for another (the exports, tests).
DistilBertForSequenceClassificationImpl *distilBertOf(Classifier &model);
RobertaForSequenceClassificationImpl *robertaOf(Classifier &model);
Gpt2ForSequenceClassificationImpl *gpt2Of(Classifier &model);
LlamaForSequenceClassificationImpl *llamaOf(Classifier &model);

} // namespace ft
