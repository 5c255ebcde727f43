// bert_pre_tokenizer.h: Hugging Face's BertPreTokenizer: normalized text
// splits into words at whitespace (dropped) and around every punctuation
// character (each a word of its own).
#pragma once

#include "text/bert_normalizer.h"
#include "text/unicode.h"

#include <cstddef>

namespace ft {

// Calls onWord(first, last) for each word, as a range of indices into `chars`.
template <typename OnWord>
void splitBertWords(const NormalizedChar *chars, std::size_t count, OnWord &&onWord)
{
    std::size_t start = 0;
    for (std::size_t i = 0; i < count; ++i) {
        const char32_t cp = chars[i].cp;
        if (unicode::isWhitespace(cp)) {
            if (start < i)
                onWord(start, i);
            start = i + 1;
        } else if (unicode::isPunctuation(cp)) {
            if (start < i)
                onWord(start, i);
            onWord(i, i + 1);
            start = i + 1;
        }
    }
    if (start < count)
        onWord(start, count);
}

} // namespace ft
