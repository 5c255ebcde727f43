// text_torchscript_export.h: the text classifiers beside BERT (DistilBERT,
// RoBERTa and XLM-R, GPT-2, Llama) as TorchScript files (model.pt) with BERT's signature
//
//   forward(input_ids, attention_mask, token_type_ids)   int64 [batch, sequence] each -> float32 logits
//
// (token types are taken and ignored by DistilBERT, GPT-2 and Llama), state_dict()
// keys as Hugging Face's, the eval-mode forward written out for the config.
#pragma once

#include "models/distilbert_model.h"
#include "models/gpt2_model.h"
#include "models/llama_model.h"
#include "models/roberta_model.h"

#include <filesystem>

namespace ft {

// Written atomically. ft::Error: InvalidInput for a model with LoRA branches
// (merge them first), Io when the file cannot be written.
void writeDistilBertTorchScript(const DistilBertForSequenceClassificationImpl &model, const std::filesystem::path &file);
void writeRobertaTorchScript(const RobertaForSequenceClassificationImpl &model, const std::filesystem::path &file);
void writeGpt2TorchScript(const Gpt2ForSequenceClassificationImpl &model, const std::filesystem::path &file);
void writeLlamaTorchScript(const LlamaForSequenceClassificationImpl &model, const std::filesystem::path &file);

} // namespace ft
