// distilbert_torchscript_export.h: a DistilBertForSequenceClassification as
// a TorchScript file (model.pt) with the text classifiers' signature
//
//   forward(input_ids, attention_mask, token_type_ids)   int64 [batch, sequence] each -> float32 logits
//
// (token types are taken and ignored: DistilBERT has none), state_dict()
// keys as Hugging Face's, the eval-mode forward written out for the config.
#pragma once

#include "models/distilbert_model.h"

#include <filesystem>

namespace ft {

// Written atomically. ft::Error: InvalidInput for a model with LoRA branches
// (merge them first), Io when the file cannot be written.
void writeDistilBertTorchScript(const DistilBertForSequenceClassificationImpl &model, const std::filesystem::path &file);

} // namespace ft
