// prompt_adapter.h: PEFT's adapter folders for prompt learning (PREFIX_TUNING, PROMPT_TUNING) of a text
// classifier (task_type SEQ_CLS), written from a trained model and read back onto its base model.
//
// adapter_model.safetensors, as PeftModel.save_pretrained writes it for prompt learning:
//   prompt_embeddings          [tokens, hidden] (prompt), or [tokens, layers * 2 * hidden] (prefix: the
//                              MLP's output when trained with the projection, PEFT's
//                              get_prompt_embedding_to_save)
//   base_model.<head tensor>   the head, a modules_to_save. With prompt learning PeftModel.base_model is
//                              the transformers model itself (no LoraModel between), so the prefix is
//                              "base_model." where LoRA's is "base_model.model.": base_model.classifier.weight,
//                              base_model.classifier.dense.weight (RoBERTa), base_model.pre_classifier.weight
//                              (DistilBERT), ...
// adapter_config.json holds PEFT's PromptLearningConfig fields (sorted, inference_mode true, one
// transformer submodule) and modules_to_save ["classifier", "score"], as PeftModelForSequenceClassification
// sets them (prompt learning configs carry modules_to_save since huggingface/peft#2646, July 2025, which
// fixed the versions before it that no longer trained and saved the head of prompt learning adapters).
#pragma once

#include "models/peft_method_config.h"
#include "models/tensor_map.h"

#include <nlohmann/json_fwd.hpp>

#include <filesystem>
#include <string>

namespace ft {

class Classifier;

// The adapter's tensors under adapter_model.safetensors' names, float32 on the CPU. ft::Error
// (InvalidInput) when the model has no virtual tokens.
TensorMap promptAdapterTensors(Classifier &model);

// adapter_config.json for `config` (a resolved prefix or prompt method); `baseModel` is
// base_model_name_or_path (and, with an init text, tokenizer_name_or_path).
nlohmann::ordered_json promptAdapterConfig(Classifier &model, const PeftMethodConfig &config,
                                           const std::string &baseModel, const std::string &taskType = "SEQ_CLS");

// Writes both files into `folder` (created), each atomically.
void savePromptAdapter(Classifier &model, const PeftMethodConfig &config, const std::string &baseModel,
                       const std::filesystem::path &folder, const std::string &taskType = "SEQ_CLS");

// What PeftModel.from_pretrained(base, folder) gives, on `model`, the base loaded with the adapter's
// labels: for PREFIX_TUNING and PROMPT_TUNING the virtual tokens (prompt_embeddings as their table, as
// PEFT's inference mode uses it) and the saved head; for LORA the merged weights (mergeLoraAdapterFolder).
// ft::Error naming the file and tensor or key for a missing or misshapen tensor, sizes that do not fit
// the model, or another peft_type.
void applyPeftAdapterFolder(Classifier &model, const std::filesystem::path &folder);

} // namespace ft
