// hf_init.h: transformers' _init_weights for the text encoders (BERT,
// DistilBERT, ...), reproducible for a seed: Linear and Embedding weights
// N(0, initializer_range), biases 0, LayerNorm 1/0, the padding row 0.
#pragma once

#include <torch/nn/module.h>

#include <cstdint>
#include <string_view>

namespace ft {

// Initialises the modules of `root`; with a prefix ("classifier",
// "bert.pooler") only those under it: a head the checkpoint lacks. Values are
// drawn on the CPU in float32 whatever the device and dtype, so a seed gives
// the same weights everywhere.
void initLikeTransformers(torch::nn::Module &root, double std, std::uint64_t seed, std::string_view prefix = {});

} // namespace ft
