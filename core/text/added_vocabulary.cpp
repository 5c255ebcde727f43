// added_vocabulary.cpp: finding added tokens in text the way tokenizers'
// AddedVocabulary does (a leftmost-longest, non-overlapping scan).
#include "text/added_vocabulary.h"

#include "text/bert_normalizer.h"
#include "text/unicode.h"

#include <algorithm>
#include <utility>

namespace ft {

namespace {

bool isContinuationByte(char c)
{
    return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

// The code point that ends text[0, at) (at > 0).
char32_t charBefore(std::string_view text, std::size_t at)
{
    std::size_t start = at - 1;
    while (start > 0 && at - start < 4 && isContinuationByte(text[start]))
        --start;
    char32_t cp;
    const std::size_t used = unicode::decodeUtf8(text.data() + start, text.data() + at, cp);
    return start + used == at ? cp : unicode::kReplacementChar;
}

char32_t charAt(std::string_view text, std::size_t at, std::size_t *length = nullptr)
{
    char32_t cp;
    const std::size_t used = unicode::decodeUtf8(text.data() + at, text.data() + text.size(), cp);
    if (length)
        *length = used;
    return cp;
}

} // namespace

AddedVocabulary::AddedVocabulary(std::vector<AddedToken> tokens, const BertNormalizer &normalizer)
    : mTokens(std::move(tokens))
{
    std::vector<NormalizedChar> chars;
    for (std::size_t i = 0; i < mTokens.size(); ++i) {
        const AddedToken &token = mTokens[i];
        if (token.content.empty())
            continue;
        if (!token.normalized) {
            mRaw.add(token.content, i);
            continue;
        }
        chars.clear();
        normalizer.normalize(token.content, 0, chars);
        std::string pattern;
        for (const NormalizedChar &c : chars)
            unicode::appendUtf8(pattern, c.cp);
        if (!pattern.empty())
            mNormalized.add(std::move(pattern), i);
    }
}

std::int32_t AddedVocabulary::find(std::string_view content) const
{
    for (const AddedToken &token : mTokens) {
        if (token.content == content)
            return token.id;
    }
    return -1;
}

const std::string *AddedVocabulary::content(std::int64_t id) const
{
    for (const AddedToken &token : mTokens) {
        if (token.id == id)
            return &token.content;
    }
    return nullptr;
}

void AddedVocabulary::Matcher::add(std::string pattern, std::size_t token)
{
    const auto first = static_cast<unsigned char>(pattern.front());
    mPatterns.push_back(Pattern{std::move(pattern), token});
    auto &bucket = mByFirstByte[first];
    bucket.push_back(static_cast<std::uint32_t>(mPatterns.size() - 1));
    // Longest first; among equals the one added first, as HF's trie does.
    std::stable_sort(bucket.begin(), bucket.end(), [this](std::uint32_t a, std::uint32_t b) {
        return mPatterns[a].text.size() > mPatterns[b].text.size();
    });
}

void AddedVocabulary::Matcher::find(const std::vector<AddedToken> &tokens, std::string_view text,
                                    std::vector<Match> &out) const
{
    if (mPatterns.empty())
        return;
    std::size_t previousEnd = 0;
    std::size_t pos = 0;
    while (pos < text.size()) {
        const auto &bucket = mByFirstByte[static_cast<unsigned char>(text[pos])];
        const Pattern *found = nullptr;
        for (std::uint32_t index : bucket) {
            if (text.substr(pos).starts_with(mPatterns[index].text)) {
                found = &mPatterns[index];
                break;
            }
        }
        if (!found) {
            ++pos;
            continue;
        }
        std::size_t start = pos;
        std::size_t stop = pos + found->text.size();
        pos = stop; // the scan goes on after a match, also after one the rules below refuse
        const AddedToken &token = tokens[found->token];
        if (token.singleWord) {
            const bool spaceBefore = start == 0 || !unicode::isWordChar(charBefore(text, start));
            const bool spaceAfter = stop == text.size() || !unicode::isWordChar(charAt(text, stop));
            if (!spaceBefore || !spaceAfter)
                continue;
        }
        if (token.lstrip) {
            while (start > previousEnd && unicode::isWhitespace(charBefore(text, start))) {
                std::size_t at = start - 1;
                while (at > 0 && isContinuationByte(text[at]))
                    --at;
                start = at;
            }
        }
        if (token.rstrip) {
            std::size_t length = 0;
            while (stop < text.size() && unicode::isWhitespace(charAt(text, stop, &length)))
                stop += length;
            pos = stop;
        }
        out.push_back(Match{start, stop, token.id});
        previousEnd = stop;
    }
}

} // namespace ft
