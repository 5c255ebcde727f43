// padding.h: how a batch of token sequences is padded, shared by the
// tokenizer and the run configuration.
#pragma once

namespace ft {

enum class Padding {
    Longest,   // to the longest row of the batch (HF padding="longest"): dynamic padding
    MaxLength, // to the max length (HF padding="max_length")
};

} // namespace ft
