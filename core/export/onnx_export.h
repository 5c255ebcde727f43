// onnx_export.h: a fine-tuned BertForSequenceClassification as an ONNX model
// that ONNX Runtime (or any runtime with the standard ai.onnx ops) serves:
//
//   inputs   input_ids, attention_mask, token_type_ids   int64 [batch, sequence]
//   output   logits                                      float32 [batch, num_labels]
//
// "batch" and "sequence" are dynamic. The graph mirrors bert_model.cpp op for
// op (HF's eager BERT): LayerNormalization (opset 17), GELU written out with
// Erf or Tanh as the config's hidden_act says, attention as Reshape/Transpose/
// MatMul/Softmax with HF's additive mask (1 - mask) * float32 lowest. Float
// weights are initializers under Hugging Face's names (Linear weights keep
// HF's [out, in] layout, behind a Transpose that runtimes fold).
//
// quantizeInt8 is onnxruntime.quantization.quantize_dynamic's recipe for the
// encoder's and the pooler's linear layers: weights int8, symmetric, one scale
// per output feature ("<layer>.weight_quantized" [in, out], "<layer>.weight_scale"
// [out], "<layer>.weight_zero_point" 0); activations quantised at run time by
// DynamicQuantizeLinear (uint8), then MatMulInteger, Cast, Mul by the scales,
// Add the float bias. Embeddings, LayerNorms and the classifier (tiny, and
// the layer whose error reaches the logits undamped) stay float32.
#pragma once

#include "models/bert_model.h"
#include "models/distilbert_model.h"
#include "models/roberta_model.h"

#include <cstdint>
#include <string>
#include <filesystem>

namespace ft {

struct OnnxExportOptions {
    bool quantizeInt8 = false;
    // 17 to 21: the graph's ops mean the same in all of them; 17 is the first with LayerNormalization.
    int opset = 17;
};

struct OnnxExportReport {
    std::int64_t bytes = 0;                 // size of the written file
    std::int64_t quantizedLinearLayers = 0; // 0 without quantizeInt8
    int opset = 0;
};

// Writes `file` atomically (a temporary file beside it, then a rename: a failed write leaves no
// partial file and any old file as it was), with producer "Finetune Studio" and the config's
// id2label in the model's metadata. Throws ft::Error: InvalidInput for a model with LoRA branches
// (merge them first, models/lora.h) or an unsupported opset, Io when the file cannot be written.
OnnxExportReport writeOnnx(const BertForSequenceClassificationImpl &model, const std::filesystem::path &file,
                           const OnnxExportOptions &options = {});
// DistilBERT's: the same inputs (token_type_ids taken and unused), the same quantisation (its
// pre_classifier counts as the pooler).
OnnxExportReport writeOnnx(const DistilBertForSequenceClassificationImpl &model, const std::filesystem::path &file,
                           const OnnxExportOptions &options = {});
// RoBERTa's and XLM-R's: positions from the input ids (Equal, Not, CumSum), the dense + tanh head.
OnnxExportReport writeOnnx(const RobertaForSequenceClassificationImpl &model, const std::filesystem::path &file,
                           const OnnxExportOptions &options = {});

// Shared by the text graphs: "/<module>/<op>", torch.onnx.export's node names, and hidden_act
// applied to the value `x` as applyHiddenAct computes it (nodes named under `module`).
class OnnxGraphBuilder;
std::string onnxNodeName(const std::string &module, const std::string &op);
// The inputs every text graph takes: input_ids, attention_mask, token_type_ids, int64 [batch, sequence].
void addTextClassifierInputs(OnnxGraphBuilder &graph);
std::string onnxActivation(OnnxGraphBuilder &graph, HiddenAct act, const std::string &module, const std::string &x);

} // namespace ft
