// unicode.h: UTF-8 decoding and encoding plus the character classes BERT
// and GPT-2 tokenization need (over libutf8proc), defined as Hugging Face's
// Rust tokenizers library defines them.
#pragma once

#include <cstddef>
#include <string>

namespace ft::unicode {

constexpr char32_t kReplacementChar = 0xFFFD;

// Decodes the code point that starts at `p` (requires p < end) into `cp` and
// returns the number of bytes it used. A byte that does not start a valid,
// complete, shortest-form sequence of a scalar value (no surrogates, nothing
// above U+10FFFF) decodes as U+FFFD and uses exactly that one byte, so
// decoding never fails and every byte belongs to exactly one code point.
inline std::size_t decodeUtf8(const char *p, const char *end, char32_t &cp)
{
    const auto b0 = static_cast<unsigned char>(*p);
    if (b0 < 0x80) {
        cp = b0;
        return 1;
    }
    std::size_t length = 0;
    char32_t value = 0;
    char32_t minimum = 0;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        length = 2;
        value = b0 & 0x1F;
        minimum = 0x80;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        length = 3;
        value = b0 & 0x0F;
        minimum = 0x800;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        length = 4;
        value = b0 & 0x07;
        minimum = 0x10000;
    } else {
        cp = kReplacementChar;
        return 1;
    }
    if (static_cast<std::size_t>(end - p) < length) {
        cp = kReplacementChar;
        return 1;
    }
    for (std::size_t i = 1; i < length; ++i) {
        const auto b = static_cast<unsigned char>(p[i]);
        if ((b & 0xC0) != 0x80) {
            cp = kReplacementChar;
            return 1;
        }
        value = (value << 6) | (b & 0x3F);
    }
    if (value < minimum || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) {
        cp = kReplacementChar;
        return 1;
    }
    cp = value;
    return length;
}

// Appends the UTF-8 form of a scalar value.
inline void appendUtf8(std::string &out, char32_t cp)
{
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

// Rust's char::is_whitespace (the Unicode White_Space property), which also
// covers \t \n \r: what BertNormalizer turns into ' ' and BertPreTokenizer
// splits on.
bool isNonAsciiWhitespace(char32_t cp);
inline bool isWhitespace(char32_t cp)
{
    return cp < 0x80 ? cp == ' ' || (cp >= 0x09 && cp <= 0x0D) : isNonAsciiWhitespace(cp);
}
// Unicode category C* (Cc, Cf, Cn, Co, Cs) except \t \n \r: what
// BertNormalizer's clean_text removes (together with U+0000 and U+FFFD).
bool isControl(char32_t cp);
// Any ASCII punctuation or symbol (!"#$%&'()*+,-./:;<=>?@[\]^_`{|}~) or
// Unicode category P*: BertPreTokenizer makes each one a word of its own.
bool isNonAsciiPunctuation(char32_t cp);
inline bool isPunctuation(char32_t cp)
{
    if (cp < 0x80)
        return (cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126);
    return isNonAsciiPunctuation(cp);
}
// The CJK ideograph ranges of BertNormalizer's handle_chinese_chars (the
// Rust library's table, whose Extension E range starts at U+2B920).
bool isChineseChar(char32_t cp);
// Unicode category Mn: what strip_accents drops after NFD.
bool isNonspacingMark(char32_t cp);
// Canonical_Combining_Class, for the canonical reordering NFD performs.
int combiningClass(char32_t cp);
// Unicode category L* (Lu, Ll, Lt, Lm, Lo) and N* (Nd, Nl, No): the \p{L}
// and \p{N} of GPT-2's pre-tokenizer regex.
bool isNonAsciiLetter(char32_t cp);
inline bool isLetter(char32_t cp)
{
    return cp < 0x80 ? (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') : isNonAsciiLetter(cp);
}
bool isNonAsciiNumber(char32_t cp);
inline bool isNumber(char32_t cp)
{
    return cp < 0x80 ? cp >= '0' && cp <= '9' : isNonAsciiNumber(cp);
}
// Letter, mark, decimal digit, connector punctuation or a joiner: the
// characters of a regex \w, which added tokens' single_word flag looks at.
bool isWordChar(char32_t cp);

// Writes the full canonical decomposition (NFD, without the reordering of
// marks) of one code point to `out` and returns how many code points it has
// (at most kMaxDecomposition).
constexpr std::size_t kMaxDecomposition = 8;
std::size_t decompose(char32_t cp, char32_t *out);

// Rust's char::to_lowercase: the lower-case mapping of one character without
// context (no final-sigma rule). Writes one or two code points to `out`
// (two only for U+0130, which lowers to i + U+0307) and returns the count.
std::size_t toLower(char32_t cp, char32_t *out);

} // namespace ft::unicode
