// bert_normalizer.h: Hugging Face's BertNormalizer (clean_text,
// handle_chinese_chars, strip_accents, lowercase) on code points that
// remember which bytes of the input they came from.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace ft {

// One character of normalized text and the bytes of the original input it
// came from (a character that NFD or lower-casing expands gives each of its
// parts the whole span).
struct NormalizedChar {
    char32_t cp;
    std::uint32_t begin;
    std::uint32_t end;
};

struct BertNormalizerOptions {
    bool cleanText = true;          // drop NUL, U+FFFD and C* characters; whitespace becomes ' '
    bool handleChineseChars = true; // put spaces around CJK ideographs
    std::optional<bool> stripAccents; // NFD, then drop Mn; unset follows lowercase
    bool lowercase = true;          // per-character lower-case mapping
};

class BertNormalizer {
public:
    // The identity: what a tokenizer.json without a normalizer does.
    static BertNormalizer identity();

    BertNormalizer() = default;
    explicit BertNormalizer(const BertNormalizerOptions &options);

    // Normalizes `text`, whose first byte is at offset `base` of the input,
    // appending its characters to `out`. Invalid UTF-8 bytes read as U+FFFD
    // (which clean_text then removes, as HF does with a literal U+FFFD).
    void normalize(std::string_view text, std::uint32_t base, std::vector<NormalizedChar> &out) const;

    const BertNormalizerOptions &options() const { return mOptions; }
    bool stripsAccents() const { return mStripAccents; }

private:
    // Appends the NFD form of one character, lower-cased when asked, in
    // canonical order; true when it has nonspacing marks.
    bool appendDecomposed(char32_t cp, std::uint32_t begin, std::uint32_t end, std::size_t segmentStart,
                          std::vector<NormalizedChar> &out) const;

    BertNormalizerOptions mOptions;
    bool mStripAccents = true;
};

} // namespace ft
