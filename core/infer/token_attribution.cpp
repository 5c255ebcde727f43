// token_attribution.cpp
#include "infer/token_attribution.h"

#include "text/tokenizer.h"

#include <algorithm>
#include <cctype>

namespace ft {

namespace {

struct Word {
    std::size_t begin = 0;
    std::size_t end = 0;
};

// Runs of bytes that are not ASCII white space (UTF-8 continuation bytes are
// never white space, so a word never splits a character).
std::vector<Word> wordsOf(std::string_view text)
{
    std::vector<Word> words;
    std::size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i])))
            ++i;
        const std::size_t begin = i;
        while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i])))
            ++i;
        if (i > begin)
            words.push_back({begin, i});
    }
    return words;
}

} // namespace

Explanation explainPrediction(const Predictor &predictor, const Tokenizer &tokenizer, std::string_view text,
                              std::size_t maxWords)
{
    const std::vector<Word> all = wordsOf(text);
    const std::vector<Word> words(all.begin(), all.begin() + long(std::min(all.size(), maxWords)));
    std::vector<std::string> variants;
    variants.reserve(words.size() + 1);
    variants.emplace_back(text);
    for (const Word &word : words) {
        std::string without(text.substr(0, word.begin));
        without += text.substr(word.end);
        variants.push_back(std::move(without));
    }
    std::vector<std::string_view> views(variants.begin(), variants.end());
    const Predictions predictions = predictor.predict(views);

    Explanation explanation;
    const std::size_t k = predictions.numLabels;
    explanation.labels = predictor.labelNames();
    explanation.probabilities.assign(predictions.probabilities.begin(), predictions.probabilities.begin() + long(k));
    explanation.predicted = static_cast<std::size_t>(predictions.labelIds.front());
    const float base = explanation.probabilities[explanation.predicted];
    std::vector<double> wordImportance(words.size());
    for (std::size_t w = 0; w < words.size(); ++w)
        wordImportance[w] = double(base) - double(predictions.probabilities[(w + 1) * k + explanation.predicted]);

    const Encoding encoding = tokenizer.encode(text);
    for (std::size_t t = 0; t < encoding.size(); ++t) {
        const TokenSpan span = encoding.offsets[t];
        if (span.sequence != 0)
            continue; // [CLS], [SEP]
        TokenImportance token;
        token.token = std::string(tokenizer.idToToken(encoding.ids[t]));
        token.begin = span.begin;
        token.end = span.end;
        // The word the token overlaps: SentencePiece's "▁word" spans the space before it, as HF's offsets do.
        const auto word = std::find_if(words.begin(), words.end(),
                                       [&](const Word &w) { return span.begin < w.end && span.end > w.begin; });
        token.importance = word == words.end() ? 0.0 : wordImportance[std::size_t(word - words.begin())];
        explanation.tokens.push_back(std::move(token));
    }
    return explanation;
}

} // namespace ft
