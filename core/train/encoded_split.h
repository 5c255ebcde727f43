// encoded_split.h: a dataset split tokenised once, before training: every
// example's token ids and types in one contiguous arena (no per-example
// allocations), its label id and its length, which the batch sampler groups
// by. Torch-free; collate.h turns chosen rows into tensors.
#pragma once

#include "store/datasets.h"

#include <cstdint>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

namespace ft {

class Tokenizer;

struct EncodedSplit {
    std::vector<std::int64_t> ids;      // all examples, back to back
    std::vector<std::int64_t> typeIds;  // likewise
    std::vector<std::int64_t> offsets;  // example i is [offsets[i], offsets[i + 1])
    std::vector<std::int64_t> labels;   // label id per example (none for a language model's data)
    // A language model's data (train/causal_lm_data.h): per example, its
    // first token the loss counts (the response's); empty for a classifier's.
    std::vector<std::int64_t> responseStarts;
    std::vector<std::int64_t> lengths;  // tokens per example
    std::int64_t truncated = 0;         // examples cut to max_length

    std::int64_t size() const { return static_cast<std::int64_t>(lengths.size()); }
    std::span<const std::int64_t> idsOf(std::int64_t i) const;
    std::span<const std::int64_t> typeIdsOf(std::int64_t i) const;
};

// Tokenises `examples` (with their text pairs) to at most `maxLength` tokens.
// Examples without a label, or with one not in `labelIds`, are skipped.
EncodedSplit encodeSplit(const Tokenizer &tokenizer, std::span<const Example> examples,
                         const std::unordered_map<std::string, std::int64_t> &labelIds, std::int64_t maxLength);

} // namespace ft
