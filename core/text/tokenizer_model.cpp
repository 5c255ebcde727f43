// tokenizer_model.cpp: the text -> tokens pipeline of HF's fast tokenizer
// (added tokens, normalizer, pre-tokenizer, model) keeping byte spans.
#include "text/tokenizer_model.h"

#include "common/error.h"
#include "text/bert_pre_tokenizer.h"
#include "text/unicode.h"

#include <algorithm>

namespace ft {

namespace {

// Appends the word pieces of one word, chars[0, count), with the span of
// input bytes each piece's characters came from.
void tokenizeWord(const TokenizerModel &model, const NormalizedChar *chars, std::size_t count,
                  TokenizeScratch &scratch, std::vector<TokenPiece> &out)
{
    std::string &word = scratch.word;
    std::vector<std::uint32_t> &starts = scratch.wordStarts;
    word.clear();
    starts.clear();
    for (std::size_t i = 0; i < count; ++i) {
        starts.push_back(static_cast<std::uint32_t>(word.size()));
        unicode::appendUtf8(word, chars[i].cp);
    }
    starts.push_back(static_cast<std::uint32_t>(word.size()));

    scratch.pieces.clear();
    model.wordPiece.tokenize(word, count, scratch.pieces);
    std::size_t c = 0;
    for (const WordPiece::Piece &piece : scratch.pieces) {
        while (starts[c] < piece.begin)
            ++c;
        std::uint32_t begin = chars[c].begin;
        std::uint32_t end = chars[c].end;
        for (; starts[c] < piece.end; ++c) {
            begin = std::min(begin, chars[c].begin);
            end = std::max(end, chars[c].end);
        }
        out.push_back(TokenPiece{piece.id, begin, end});
    }
}

void tokenizeWords(const TokenizerModel &model, const NormalizedChar *chars, std::size_t count,
                   TokenizeScratch &scratch, std::vector<TokenPiece> &out)
{
    splitBertWords(chars, count, [&](std::size_t first, std::size_t last) {
        tokenizeWord(model, chars + first, last - first, scratch, out);
    });
}

// One stretch of text between raw added tokens: text[begin, end).
void tokenizeSegment(const TokenizerModel &model, std::string_view text, std::size_t begin, std::size_t end,
                     TokenizeScratch &scratch, std::vector<TokenPiece> &out)
{
    std::vector<NormalizedChar> &chars = scratch.chars;
    chars.clear();
    model.normalizer.normalize(text.substr(begin, end - begin), static_cast<std::uint32_t>(begin), chars);
    if (!model.added.hasNormalized()) {
        tokenizeWords(model, chars.data(), chars.size(), scratch, out);
        return;
    }

    // Normalized added tokens are found in the normalized text; the words
    // between them go on to the pre-tokenizer.
    std::string &normalized = scratch.normalizedText;
    std::vector<std::uint32_t> &starts = scratch.charStarts;
    normalized.clear();
    starts.clear();
    for (const NormalizedChar &c : chars) {
        starts.push_back(static_cast<std::uint32_t>(normalized.size()));
        unicode::appendUtf8(normalized, c.cp);
    }
    starts.push_back(static_cast<std::uint32_t>(normalized.size()));
    scratch.normalizedMatches.clear();
    model.added.findNormalized(normalized, scratch.normalizedMatches);
    const auto charAt = [&](std::size_t byte) {
        return static_cast<std::size_t>(std::lower_bound(starts.begin(), starts.end(), byte) - starts.begin());
    };
    std::size_t done = 0;
    for (const AddedVocabulary::Match &match : scratch.normalizedMatches) {
        const std::size_t first = charAt(match.begin);
        const std::size_t last = charAt(match.end);
        tokenizeWords(model, chars.data() + done, first - done, scratch, out);
        std::uint32_t spanBegin = chars[first].begin;
        std::uint32_t spanEnd = chars[first].end;
        for (std::size_t c = first; c < last; ++c) {
            spanBegin = std::min(spanBegin, chars[c].begin);
            spanEnd = std::max(spanEnd, chars[c].end);
        }
        out.push_back(TokenPiece{match.id, spanBegin, spanEnd});
        done = last;
    }
    tokenizeWords(model, chars.data() + done, chars.size() - done, scratch, out);
}

} // namespace

std::int64_t TokenizerModel::idOf(std::string_view token) const
{
    const std::int32_t addedId = added.find(token);
    return addedId >= 0 ? addedId : wordPiece.vocab().find(token);
}

std::string_view TokenizerModel::tokenOf(std::int64_t id) const
{
    if (const std::string *content = added.content(id))
        return *content;
    return wordPiece.vocab().token(id);
}

bool TokenizerModel::hasId(std::int64_t id) const
{
    return added.content(id) != nullptr || wordPiece.vocab().hasId(id);
}

void tokenizeText(const TokenizerModel &model, std::string_view text, TokenizeScratch &scratch,
                  std::vector<TokenPiece> &out)
{
    if (text.size() >= 0xFFFFFFFFu) {
        throw Error(ErrorKind::InvalidInput,
                    "a text of " + std::to_string(text.size()) + " bytes is too long to tokenize (4 GiB at most)");
    }
    scratch.rawMatches.clear();
    model.added.findRaw(text, scratch.rawMatches);
    std::size_t done = 0;
    for (const AddedVocabulary::Match &match : scratch.rawMatches) {
        if (done < match.begin)
            tokenizeSegment(model, text, done, match.begin, scratch, out);
        out.push_back(TokenPiece{match.id, static_cast<std::uint32_t>(match.begin),
                                 static_cast<std::uint32_t>(match.end)});
        done = match.end;
    }
    if (done < text.size())
        tokenizeSegment(model, text, done, text.size(), scratch, out);
}

} // namespace ft
