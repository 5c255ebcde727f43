// memory_estimate.cpp
#include "train/memory_estimate.h"

#include "models/bert_config.h"
#include "train/run_config.h"

#include <algorithm>
#include <string>

namespace ft {

namespace {

// Parameters of the LoRA branches on one encoder layer: r x (in + out) for
// each linear layer a target module names (BERT's query, key, value, and
// "dense" for the attention output, intermediate and output projections).
std::int64_t loraPerLayer(const BertConfig &m, const RunConfig &c)
{
    const std::int64_t h = m.hiddenSize, i = m.intermediateSize, r = c.loraR;
    std::int64_t total = 0;
    for (const std::string &target : c.loraTargetModules) {
        if (target == "query" || target == "key" || target == "value")
            total += r * (h + h);
        else if (target == "dense")
            total += r * (h + h) + r * (h + i) + r * (i + h);
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
        std::int64_t lora = layers * loraPerLayer(m, c);
        // "dense" also names the pooler's projection, which PEFT's matching adapts too.
        if (std::find(c.loraTargetModules.begin(), c.loraTargetModules.end(), "dense") != c.loraTargetModules.end())
            lora += c.loraR * 2 * h;
        e.parameters += lora;
        e.trainableParameters = lora + classifier;
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
