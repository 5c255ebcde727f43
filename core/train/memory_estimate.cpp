// memory_estimate.cpp
#include "train/memory_estimate.h"

#include "models/bert_config.h"
#include "models/model_family.h"
#include "train/run_config.h"

#include <algorithm>
#include <string>

namespace ft {

namespace {

bool targeted(const std::string &name, const std::vector<std::string> &targets)
{
    return std::any_of(targets.begin(), targets.end(),
                       [&](const std::string &target) { return target == name || target == kLoraAllLinear; });
}

// Parameters of the LoRA branches, r x (in + out) for each linear layer a target names, as PEFT matches
// names (BERT's "dense" is the attention output, intermediate and output projections, and its pooler).
std::int64_t loraParameters(const TextModelSize &m, const std::vector<std::string> &targets, std::int64_t r)
{
    std::int64_t perLayer = 0, top = 0;
    for (const LinearShape &linear : m.layerLinears)
        if (targeted(linear.name, targets))
            perLayer += r * (linear.in + linear.out);
    for (const LinearShape &linear : m.topLinears)
        if (targeted(linear.name, targets))
            top += r * (linear.in + linear.out);
    return m.layers * perLayer + top;
}

// What adapters, a prefix or a prompt add (models/peft_methods.h).
std::int64_t methodParameters(const TextModelSize &m, const RunConfig &c)
{
    const std::int64_t h = m.hidden, tokens = c.numVirtualTokens;
    switch (c.method) {
    case TrainMethod::Adapter: {
        const std::int64_t b = std::max<std::int64_t>(1, h / std::max<std::int64_t>(1, c.adapterReductionFactor));
        return m.layers * (c.adapterType == AdapterType::Houlsby ? 2 : 1) * (2 * h * b + b + h);
    }
    case TrainMethod::Prefix: {
        const std::int64_t width = m.keyValueWidth, enc = c.encoderHiddenSize > 0 ? c.encoderHiddenSize : width;
        const std::int64_t table = 2 * m.layers * width;
        return c.prefixProjection ? tokens * width + width * enc + enc + (enc + 1) * table : tokens * table;
    }
    case TrainMethod::Prompt:
        return tokens * h;
    default:
        return 0;
    }
}

} // namespace

MemoryEstimate estimateTrainingMemory(const TextModelSize &m, const RunConfig &c, std::int64_t sequenceLength)
{
    MemoryEstimate e;
    e.parameters = m.parameters();
    // A causal LM has no head that trains beside a method (PEFT's CAUSAL_LM saves none).
    const std::int64_t head = m.causalLm ? 0 : m.headParameters;
    switch (c.method) {
    case TrainMethod::Full:
        e.trainableParameters = e.parameters;
        break;
    case TrainMethod::Freeze: // models/classifier.h: the embeddings and the lower layers, or all but the head
        e.trainableParameters = c.freezeLayers < 0 ? head
                                                   : e.parameters - m.embeddingParameters
                                                         - std::min(c.freezeLayers, m.layers) * m.layerParameters;
        break;
    case TrainMethod::Lora: {
        const std::int64_t lora = loraParameters(m, resolvedLoraTargets(c.loraTargetModules, m.modelType), c.loraR);
        e.parameters += lora;
        e.trainableParameters = lora + head;
        break;
    }
    case TrainMethod::Adapter:
    case TrainMethod::Prefix:
    case TrainMethod::Prompt: {
        const std::int64_t added = methodParameters(m, c);
        e.parameters += added;
        e.trainableParameters = added + head;
        break;
    }
    }
    e.weightBytes = 4.0 * double(e.parameters);
    e.gradientBytes = 4.0 * double(e.trainableParameters);
    e.optimizerBytes = 8.0 * double(e.trainableParameters);

    // Values kept for backward per token and layer, in floats: the layer input, Q, K, V, the attention
    // context, its projection, two norms' inputs, the dropout masks (about 10 x hidden); the feed-forward
    // block's (m.mlpValuesPerToken); per head, the scores, the probabilities and their dropout mask
    // (3 x heads x length). A causal LM also keeps its logits over the vocabulary and their gradient.
    const double batch = double(c.perDeviceTrainBatchSize), length = double(sequenceLength);
    const double perTokenPerLayer = 10.0 * double(m.hidden) + double(m.mlpValuesPerToken)
                                    + 3.0 * double(m.heads) * length;
    const double perToken = double(m.layers) * perTokenPerLayer + 4.0 * double(m.hidden)
                            + (m.causalLm ? 2.0 * double(m.vocab) : 0.0);
    const double bytesPerValue = (c.bf16 || c.fp16) ? 2.0 : 4.0;
    e.activationBytes = bytesPerValue * batch * length * perToken;
    return e;
}

MemoryEstimate estimateTrainingMemory(const BertConfig &model, const RunConfig &config, std::int64_t sequenceLength)
{
    return estimateTrainingMemory(textModelSize(model), config, sequenceLength);
}

} // namespace ft
