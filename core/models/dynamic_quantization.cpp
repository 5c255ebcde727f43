// dynamic_quantization.cpp: quantize_dynamic's weight observers and LibTorch's quantised linear
// operators, called through the dispatcher by their schema names (the packed weights are a
// TorchScript custom class, held as an IValue).
#include "models/dynamic_quantization.h"

#include "common/error.h"
#include "models/lora_linear.h"

#include <ATen/ATen.h>
#include <ATen/core/dispatch/Dispatcher.h>
#include <c10/core/GradMode.h>
#include <torch/nn/module.h>

#include <limits>
#include <memory>
#include <vector>

namespace ft {

namespace {

const c10::OperatorHandle &prepackOperator()
{
    static const c10::OperatorHandle op =
        c10::Dispatcher::singleton().findSchemaOrThrow("quantized::linear_prepack", "");
    return op;
}

const c10::OperatorHandle &linearDynamicOperator()
{
    static const c10::OperatorHandle op =
        c10::Dispatcher::singleton().findSchemaOrThrow("quantized::linear_dynamic", "");
    return op;
}

const char *engineName(at::QEngine engine)
{
    switch (engine) {
    case at::QEngine::FBGEMM: return "fbgemm";
    case at::QEngine::QNNPACK: return "qnnpack";
    case at::QEngine::ONEDNN: return "onednn";
    case at::QEngine::X86: return "x86";
    default: return "none";
    }
}

bool hasEngine(at::QEngine engine)
{
    for (const at::QEngine supported : at::globalContext().supportedQEngines())
        if (supported == engine)
            return true;
    return false;
}

} // namespace

DynamicQuantizationOptions dynamicQuantizationFromString(const std::string &name)
{
    DynamicQuantizationOptions options;
    if (name == "int8")
        return options;
    if (name == "int8-per-channel") {
        options.perChannel = true;
        return options;
    }
    throw Error(ErrorKind::InvalidInput, "unknown quantisation '" + name + "' (use int8 or int8-per-channel)");
}

std::string selectQuantizedEngine()
{
    // Debian's LibTorch 1.13 has QNNPACK and oneDNN but not fbgemm (nor x86, which picks between
    // fbgemm and oneDNN). Its oneDNN dynamic linear costs about 0.45 ms of CPU a call whatever the
    // layer's size (set-up repeated on every call), and stalls longer on a busy machine, against
    // QNNPACK's 0.04 ms. Measured on this VM's AVX-512 CPU over six BERT layers
    // (one thread, CPU time): hidden 64: float 0.8 ms, QNNPACK 2.2, oneDNN 16; hidden 256: 6.2,
    // 8.4, 20; hidden 768: 46, 52, 39. So QNNPACK before oneDNN; fbgemm, when there, before both.
    for (const at::QEngine engine :
         {at::QEngine::X86, at::QEngine::FBGEMM, at::QEngine::QNNPACK, at::QEngine::ONEDNN}) {
        if (!hasEngine(engine))
            continue;
        if (at::globalContext().qEngine() != engine)
            at::globalContext().setQEngine(engine);
        return engineName(engine);
    }
    throw Error(ErrorKind::Incompatible, "this LibTorch has no quantised engine (fbgemm, onednn or qnnpack) for int8 "
                                         "linear layers");
}

at::Tensor quantizeWeightSymmetric(const at::Tensor &weight, bool perChannel)
{
    // MinMaxObserver / PerChannelMinMaxObserver (qint8, symmetric): the range always holds 0,
    // scale = max(-min, max) / ((127 - -128) / 2), at least float32's epsilon; zero point 0.
    const at::Tensor w = weight.detach().to(at::kCPU, at::kFloat).contiguous();
    const at::Tensor low = perChannel ? std::get<0>(w.min(1)) : w.min();
    const at::Tensor high = perChannel ? std::get<0>(w.max(1)) : w.max();
    const at::Tensor range = at::maximum(at::clamp_max(low, 0).neg(), at::clamp_min(high, 0));
    const at::Tensor scale = at::clamp_min(range / (255.0 / 2.0), std::numeric_limits<float>::epsilon());
    if (!perChannel)
        return at::quantize_per_tensor(w, scale.item<double>(), 0, at::kQInt8);
    return at::quantize_per_channel(w, scale.to(at::kDouble), at::zeros({w.size(0)}, at::kLong), 0, at::kQInt8);
}

QuantizedLinear::QuantizedLinear(const at::Tensor &weight, const at::Tensor &bias,
                                 const DynamicQuantizationOptions &options)
    : mOutFeatures(weight.size(0)), mReduceRange(options.reduceRange)
{
    const std::string engine = selectQuantizedEngine();
    mReduceRange = mReduceRange || engine == "fbgemm" || engine == "x86"; // x86 runs fbgemm's kernels too
    const c10::NoGradGuard noGrad;
    mWeight = quantizeWeightSymmetric(weight, options.perChannel);
    std::vector<c10::IValue> stack{mWeight, bias.defined() ? c10::IValue(bias.detach().to(at::kCPU, at::kFloat).contiguous())
                                                           : c10::IValue()};
    prepackOperator().callBoxed(&stack);
    mPacked = std::move(stack.at(0));
}

at::Tensor QuantizedLinear::forward(const at::Tensor &input) const
{
    // The kernels take a 2-D float32 matrix; leading dimensions are folded into its rows.
    const c10::NoGradGuard noGrad;
    const at::Tensor rows = input.to(at::kFloat).reshape({-1, input.size(-1)}).contiguous();
    std::vector<c10::IValue> stack{rows, mPacked, mReduceRange};
    linearDynamicOperator().callBoxed(&stack);
    std::vector<std::int64_t> shape(input.sizes().begin(), input.sizes().end());
    shape.back() = mOutFeatures;
    return stack.at(0).toTensor().view(shape);
}

DynamicQuantizationReport quantizeDynamic(Classifier &model, const DynamicQuantizationOptions &options)
{
    torch::nn::Module &module = model.module();
    DynamicQuantizationReport report;
    report.engine = selectQuantizedEngine();
    for (const auto &item : module.named_parameters()) {
        if (!item.value().device().is_cpu())
            throw Error(ErrorKind::Incompatible, "int8 dynamic quantisation runs on the CPU; " + model.architecture()
                                                     + " is on " + item.value().device().str());
        report.floatBytes += item.value().numel() * 4;
    }
    for (const auto &item : module.named_buffers())
        report.floatBytes += item.value().numel() * 4;
    report.bytes = report.floatBytes;

    std::vector<std::shared_ptr<LoraLinearImpl>> layers;
    for (const auto &child : module.modules())
        if (auto layer = std::dynamic_pointer_cast<LoraLinearImpl>(child)) {
            if (layer->hasLora())
                throw Error(ErrorKind::Incompatible, "int8 dynamic quantisation needs the LoRA branches of "
                                                         + model.architecture() + " merged first");
            layers.push_back(layer);
        }
    if (layers.empty())
        throw Error(ErrorKind::Incompatible, model.architecture() + " has no linear layers to quantise");

    module.eval();
    for (const auto &layer : layers) {
        // GPT-2's Conv1D stores [in, out]; the kernels take Linear's [out, in].
        const at::Tensor weight = layer->layout() == WeightLayout::InOut ? layer->weight().t() : layer->weight();
        auto quantized = std::make_shared<QuantizedLinear>(weight, layer->bias(), options);
        const std::int64_t count = weight.numel();
        const std::int64_t scales = options.perChannel ? weight.size(0) : 1;
        report.int8Weights += count;
        report.bytes += count + scales * 4 - count * 4;
        layer->setQuantizedForward([quantized](const at::Tensor &input) { return quantized->forward(input); });
        ++report.layers;
    }
    return report;
}

} // namespace ft
