// llama_onnx_export.h: a LlamaForSequenceClassification as an ONNX model with the text classifiers'
// inputs (input_ids, attention_mask, token_type_ids, the last unused) and output (logits), node for
// node what llama_model.cpp computes: RMSNorm written out (Pow, ReduceMean, Sqrt), the rotary tables
// precomputed by the model's own rotaryTables and sliced to the input's length, rotate_half as Slice,
// Neg and Concat, grouped-query keys and values repeated by Expand, SwiGLU as x * Sigmoid(x) times the
// up projection, and the logits read at the last non-padding token, as GPT-2's export reads them.
#pragma once

#include "export/onnx_export.h"
#include "models/llama_model.h"

#include <filesystem>

namespace ft {

// Written atomically. ft::Error: InvalidInput for a model with LoRA branches,
// Incompatible for int8 quantisation (not built for Llama), Io when the file cannot be written.
OnnxExportReport writeLlamaOnnx(const LlamaForSequenceClassificationImpl &model, const std::filesystem::path &file,
                                const OnnxExportOptions &options = {});

} // namespace ft
