// token_attribution.h: why a classifier predicted what it did, for the
// studio's playground. Occlusion, without gradients: each word of the text is
// left out in turn, all variants predicted in one batch, and a word's
// importance is how much the predicted class's probability drops without it
// (negative when the word argued against that class). Every wordpiece of a
// word carries the word's importance, with its span in the text. Torch-free.
#pragma once

#include "infer/predictor.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ft {

class Tokenizer;

struct TokenImportance {
    std::string token;        // the wordpiece, e.g. "##ing"
    std::uint32_t begin = 0;  // its bytes in the text
    std::uint32_t end = 0;
    double importance = 0;    // drop in the predicted class's probability without its word
};

struct Explanation {
    std::vector<std::string> labels;
    std::vector<float> probabilities; // of the whole text, one per label
    std::size_t predicted = 0;        // index into labels
    std::vector<TokenImportance> tokens; // the text's wordpieces in order (special tokens left out)
};

// Predicts `text` and explains it by occluding its words (at most `maxWords`,
// the first ones; the rest get importance 0).
Explanation explainPrediction(const Predictor &predictor, const Tokenizer &tokenizer, std::string_view text,
                              std::size_t maxWords = 256);

} // namespace ft
