// memory_estimate.cpp
#include "train/memory_estimate.h"

#include "models/bert_config.h"
#include "models/model_family.h"
#include "train/run_config.h"

#include <algorithm>
#include <string>

namespace ft {

namespace {

// Parameters of the LoRA branches on one encoder layer: r x (in + out) for
// each linear layer a target names, as PEFT matches names (BERT's "dense" is
// the attention output, intermediate and output projections).
std::int64_t loraPerLayer(const BertConfig &m, const std::vector<std::string> &targets, std::int64_t r)
{
    const std::int64_t h = m.hiddenSize, i = m.intermediateSize;
    struct Layer {
        const char *name;
        std::int64_t in, out;
    };
    const std::vector<Layer> layers = m.isDistilBert()
        ? std::vector<Layer>{{"q_lin", h, h}, {"k_lin", h, h}, {"v_lin", h, h}, {"out_lin", h, h}, {"lin1", h, i},
                             {"lin2", i, h}}
        : std::vector<Layer>{{"query", h, h}, {"key", h, h}, {"value", h, h}, {"dense", h, h}, {"dense", h, i},
                             {"dense", i, h}};
    std::int64_t total = 0;
    for (const Layer &layer : layers)
        for (const std::string &target : targets)
            if (target == layer.name || target == kLoraAllLinear) {
                total += r * (layer.in + layer.out);
                break;
            }
    return total;
}

} // namespace

MemoryEstimate estimateTrainingMemory(const BertConfig &m, const RunConfig &c, std::int64_t sequenceLength)
{
    const std::int64_t h = m.hiddenSize, layers = m.numHiddenLayers, inter = m.intermediateSize;
    const std::int64_t layer = 4 * (h * h + h) + 2 * (h * inter) + inter + h + 4 * h;
    const std::int64_t pooler = h * h + h;
    const std::int64_t classifier = m.numLabels() * h + m.numLabels();

    MemoryEstimate e;
    e.parameters = bertParameterCount(m);
    switch (c.method) {
    case TrainMethod::Full:
        e.trainableParameters = e.parameters;
        break;
    case TrainMethod::Freeze:
        e.trainableParameters = c.freezeLayers < 0 ? classifier
                                                   : (layers - std::min(c.freezeLayers, layers)) * layer + pooler
                                                         + classifier;
        break;
    case TrainMethod::Lora: {
        const std::vector<std::string> targets = resolvedLoraTargets(c.loraTargetModules, m.modelType);
        std::int64_t lora = layers * loraPerLayer(m, targets, c.loraR);
        // "dense" also names BERT's pooler projection, which PEFT's matching adapts too.
        const bool pooler = !m.isDistilBert()
                            && std::any_of(targets.begin(), targets.end(),
                                           [](const std::string &t) { return t == "dense" || t == kLoraAllLinear; });
        if (pooler)
            lora += c.loraR * 2 * h;
        e.parameters += lora;
        e.trainableParameters = lora + classifier;
        break;
    }
    case TrainMethod::Adapter:
    case TrainMethod::Prefix:
    case TrainMethod::Prompt: { // models/peft_methods.h: the method's modules and the head train
        const std::int64_t b = std::max<std::int64_t>(1, h / std::max<std::int64_t>(1, c.adapterReductionFactor));
        const std::int64_t tokens = c.numVirtualTokens, enc = c.encoderHiddenSize > 0 ? c.encoderHiddenSize : h;
        std::int64_t added = tokens * h; // prompt
        if (c.method == TrainMethod::Adapter)
            added = layers * (c.adapterType == AdapterType::Houlsby ? 2 : 1) * (2 * h * b + b + h);
        else if (c.method == TrainMethod::Prefix)
            added = c.prefixProjection ? tokens * h + h * enc + enc + (enc + 1) * 2 * layers * h : tokens * 2 * layers * h;
        e.parameters += added;
        e.trainableParameters = added + classifier;
        break;
    }
    }
    e.weightBytes = 4.0 * double(e.parameters);
    e.gradientBytes = 4.0 * double(e.trainableParameters);
    e.optimizerBytes = 8.0 * double(e.trainableParameters);

    // Values kept for backward per token and layer, in floats: the layer input,
    // Q, K, V, the attention context, its projection, two norms' inputs, the
    // dropout masks (about 10 x hidden); the feed-forward input and GELU
    // input/output (2 x intermediate); per head, the scores, the
    // probabilities and their dropout mask (3 x heads x length).
    const double batch = double(c.perDeviceTrainBatchSize), length = double(sequenceLength);
    const double perTokenPerLayer = 10.0 * double(h) + 2.0 * double(inter)
                                    + 3.0 * double(m.numAttentionHeads) * length;
    const double bytesPerValue = (c.bf16 || c.fp16) ? 2.0 : 4.0;
    e.activationBytes = bytesPerValue * batch * length * (double(layers) * perTokenPerLayer + 4.0 * double(h));
    return e;
}

} // namespace ft
