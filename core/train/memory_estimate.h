// memory_estimate.h: how much memory a run will need before it starts, so
// the run dialog can warn when it will not fit: the weights, the gradients
// and AdamW's two moments of what trains, and the activations backward keeps
// for a batch at its length. An estimate in the spirit of the usual
// transformer accounting (per layer: the Q/K/V/output projections, the
// attention scores and probabilities, the feed-forward block, the norms and
// dropout masks), not a measurement; allocator slack is not included.
#pragma once

#include "models/text_model_size.h"

#include <cstdint>

namespace ft {

struct BertConfig;
struct RunConfig;

struct MemoryEstimate {
    std::int64_t parameters = 0;          // all weights, LoRA branches included
    std::int64_t trainableParameters = 0;
    double weightBytes = 0;
    double gradientBytes = 0;
    double optimizerBytes = 0;            // AdamW's first and second moments
    double activationBytes = 0;           // for one micro-batch of `sequenceLength` tokens

    double totalBytes() const { return weightBytes + gradientBytes + optimizerBytes + activationBytes; }
};

// `sequenceLength`: the padded length of a batch (max_length when padding to
// it; a typical batch's longest example with dynamic padding). `model` is
// the classifier or, for task causal-lm, the language model
// (models/text_model_size.h); a BertConfig is its BERT-family classifier.
MemoryEstimate estimateTrainingMemory(const TextModelSize &model, const RunConfig &config, std::int64_t sequenceLength);
MemoryEstimate estimateTrainingMemory(const BertConfig &model, const RunConfig &config, std::int64_t sequenceLength);

} // namespace ft
