// bert_normalizer.cpp: BertNormalizer, step for step as tokenizers' bert.rs
// applies it: clean text, pad CJK ideographs, NFD and drop Mn, lower-case.
#include "text/bert_normalizer.h"

#include "text/unicode.h"

#include <utility>

namespace ft {

BertNormalizer BertNormalizer::identity()
{
    BertNormalizerOptions options;
    options.cleanText = false;
    options.handleChineseChars = false;
    options.stripAccents = false;
    options.lowercase = false;
    return BertNormalizer(options);
}

BertNormalizer::BertNormalizer(const BertNormalizerOptions &options)
    : mOptions(options)
    , mStripAccents(options.stripAccents.value_or(options.lowercase))
{
}

bool BertNormalizer::appendDecomposed(char32_t cp, std::uint32_t begin, std::uint32_t end, std::size_t segmentStart,
                                      std::vector<NormalizedChar> &out) const
{
    char32_t parts[unicode::kMaxDecomposition];
    char32_t lowered[2];
    const std::size_t count = unicode::decompose(cp, parts);
    bool marks = false;
    for (std::size_t i = 0; i < count; ++i) {
        // Lower-casing here rather than after dropping the marks gives the
        // same text: after NFD every mapping is one character (U+0130, the
        // one that expands, decomposes to I + U+0307), and no mapping turns
        // a mark into a non-mark, a non-mark into a mark or changes a
        // combining class.
        char32_t c = parts[i];
        if (mOptions.lowercase) {
            unicode::toLower(c, lowered);
            c = lowered[0];
        }
        out.push_back(NormalizedChar{c, begin, end});
        marks = marks || unicode::isNonspacingMark(c);
        // Canonical ordering: a mark moves before the marks of a higher
        // combining class that precede it (a stable insertion sort over each
        // run of non-starters).
        const int ccc = unicode::combiningClass(c);
        if (ccc == 0)
            continue;
        std::size_t at = out.size() - 1;
        while (at > segmentStart && unicode::combiningClass(out[at - 1].cp) > ccc) {
            std::swap(out[at], out[at - 1]);
            --at;
        }
    }
    return marks;
}

void BertNormalizer::normalize(std::string_view text, std::uint32_t base, std::vector<NormalizedChar> &out) const
{
    const std::size_t segmentStart = out.size();
    const char *const first = text.data();
    const char *const last = first + text.size();
    char32_t lowered[2];
    bool marks = false;
    for (const char *p = first; p < last;) {
        char32_t cp;
        const auto begin = base + static_cast<std::uint32_t>(p - first);
        p += unicode::decodeUtf8(p, last, cp);
        const auto end = base + static_cast<std::uint32_t>(p - first);

        if (cp < 0x80) {
            // ASCII: nothing to decompose, no CJK, and C0 controls plus DEL
            // are the only controls; \t \n \r are whitespace.
            if (mOptions.cleanText && (cp < 0x20 || cp == 0x7F)) {
                if (cp != '\t' && cp != '\n' && cp != '\r')
                    continue;
                cp = ' ';
            }
            if (mOptions.lowercase && cp >= 'A' && cp <= 'Z')
                cp += 'a' - 'A';
            out.push_back(NormalizedChar{cp, begin, end});
            continue;
        }
        if (mOptions.cleanText) {
            if (cp == unicode::kReplacementChar || unicode::isControl(cp))
                continue;
            if (unicode::isWhitespace(cp))
                cp = ' ';
        }
        const bool chinese = mOptions.handleChineseChars && unicode::isChineseChar(cp);
        if (chinese)
            out.push_back(NormalizedChar{' ', begin, end});
        if (mStripAccents) {
            marks = appendDecomposed(cp, begin, end, segmentStart, out) || marks;
        } else if (mOptions.lowercase) {
            const std::size_t count = unicode::toLower(cp, lowered);
            for (std::size_t i = 0; i < count; ++i)
                out.push_back(NormalizedChar{lowered[i], begin, end});
        } else {
            out.push_back(NormalizedChar{cp, begin, end});
        }
        if (chinese)
            out.push_back(NormalizedChar{' ', begin, end});
    }

    // strip_accents drops the nonspacing marks once NFD has ordered them.
    if (!marks)
        return;
    std::size_t kept = segmentStart;
    for (std::size_t i = segmentStart; i < out.size(); ++i) {
        if (!unicode::isNonspacingMark(out[i].cp))
            out[kept++] = out[i];
    }
    out.resize(kept);
}

} // namespace ft
