// dynamic_quantization.h: int8 dynamic quantisation of a classifier's linear layers for CPU
// inference, torch.ao.quantization.quantize_dynamic's recipe: each weight quantised once to int8,
// symmetric (zero point 0, scale max|w| / 127.5 as its MinMaxObserver computes it), per tensor
// (its default_dynamic_qconfig) or per output feature (per_channel_dynamic_qconfig), prepacked by
// quantized::linear_prepack; activations quantised to uint8 at run time, row block by row block,
// inside quantized::linear_dynamic, which returns float32. The encoder's and pooler's linear
// layers (every LoraLinear) are quantised; embeddings, LayerNorms and the classification head
// stay float32, as in the onnx-int8 export (export/onnx_export.h): the head is tiny, and its error
// reaches the logits undamped.
#pragma once

#include "models/classifier.h"

#include <ATen/core/Tensor.h>
#include <ATen/core/ivalue.h>

#include <cstdint>
#include <string>

namespace ft {

struct DynamicQuantizationOptions {
    bool perChannel = false; // one scale per output feature; else one per weight (quantize_dynamic's default)
    // Activations in 7 bits, which quantize_dynamic's modules ask for to keep fbgemm's AVX2 kernels
    // from saturating their 16-bit sums. oneDNN and QNNPACK do not need it (QNNPACK ignores it), so
    // it is off unless the engine is fbgemm or x86: 8 bits halve the activations' rounding error.
    bool reduceRange = false;
};

// "int8" (per tensor) or "int8-per-channel"; ft::Error (InvalidInput) naming the choices.
DynamicQuantizationOptions dynamicQuantizationFromString(const std::string &name);

struct DynamicQuantizationReport {
    std::string engine;            // LibTorch's quantised engine: "onednn", "qnnpack", "fbgemm" or "x86"
    std::int64_t layers = 0;       // linear layers quantised
    std::int64_t int8Weights = 0;  // weights held as int8
    std::int64_t bytes = 0;        // the model's tensors as held: int8 weights with a float32 scale per
                                   // tensor or channel, every other tensor float32
    std::int64_t floatBytes = 0;   // all of them float32
};

// Makes LibTorch's best quantised engine for dynamic linear layers the current one (x86 or
// fbgemm, else QNNPACK, else oneDNN) and returns its name; ft::Error (Incompatible) when LibTorch
// was built without any.
std::string selectQuantizedEngine();

// One linear layer, weight [out, in] float32 and bias [out] (or undefined).
class QuantizedLinear {
public:
    QuantizedLinear(const at::Tensor &weight, const at::Tensor &bias, const DynamicQuantizationOptions &options);
    // float32 [..., in] -> float32 [..., out], without autograd.
    at::Tensor forward(const at::Tensor &input) const;
    const at::Tensor &quantizedWeight() const { return mWeight; } // qint8, per tensor or per channel (axis 0)

private:
    at::Tensor mWeight;
    c10::IValue mPacked; // quantized::linear_prepack's LinearPackedParamsBase
    std::int64_t mOutFeatures = 0;
    bool mReduceRange = false;
};

// The symmetric int8 quantisation of `weight` [out, in] as quantize_dynamic's weight observers do it.
at::Tensor quantizeWeightSymmetric(const at::Tensor &weight, bool perChannel);

// Quantises every LoraLinear of `model` in place for inference and puts it in eval mode; the
// float weights stay (state(), save() and exports see the float model). ft::Error (Incompatible)
// for a model off the CPU, with LoRA branches (merge them first), or without linear layers to
// quantise (ResNet).
DynamicQuantizationReport quantizeDynamic(Classifier &model, const DynamicQuantizationOptions &options = {});

} // namespace ft
