// gpt2_onnx_export.h: a GPT2ForSequenceClassification as an ONNX model with
// the text classifiers' inputs (input_ids, attention_mask, token_type_ids,
// the last unused) and output (logits), node for node what gpt2_model.cpp
// computes: Conv1D layers as MatMul + Add on HF's [in, out] weights, the
// causal mask a slice of a lower-triangular table times the padding mask,
// the logits read at the last non-padding token (ArgMax, GatherElements).
#pragma once

#include "export/onnx_export.h"
#include "models/gpt2_model.h"

#include <filesystem>

namespace ft {

// Written atomically. ft::Error: InvalidInput for a model with LoRA branches,
// Incompatible for int8 quantisation (not built for GPT-2), Io when the file
// cannot be written.
OnnxExportReport writeGpt2Onnx(const Gpt2ForSequenceClassificationImpl &model, const std::filesystem::path &file,
                               const OnnxExportOptions &options = {});

} // namespace ft
