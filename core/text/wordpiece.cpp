// wordpiece.cpp: greedy longest-match-first WordPiece, as tokenizers'
// models/wordpiece does it, without building a string per lookup.
#include "text/wordpiece.h"

#include <algorithm>
#include <stdexcept>

namespace ft {

namespace {

bool isContinuationByte(char c)
{
    return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

} // namespace

WordPiece::WordPiece(Vocab vocab, std::string unkToken, std::string continuingSubwordPrefix,
                     std::size_t maxInputCharsPerWord)
    : mVocab(std::move(vocab))
    , mUnkToken(std::move(unkToken))
    , mPrefix(std::move(continuingSubwordPrefix))
    , mMaxInputChars(maxInputCharsPerWord)
{
    mUnkId = mVocab.find(mUnkToken);
    if (mUnkId < 0)
        throw std::invalid_argument("WordPiece: the unknown token is not in the vocabulary");
    mWordStarts.reserve(mVocab.size());
    mVocab.forEach([this](std::string_view token, std::int32_t id) {
        mWordStarts.insert(token, id);
        if (token.starts_with(mPrefix))
            mContinuations.insert(token.substr(mPrefix.size()), id);
    });
}

void WordPiece::tokenize(std::string_view word, std::size_t charCount, std::vector<Piece> &out) const
{
    const auto length = static_cast<std::uint32_t>(word.size());
    if (charCount > mMaxInputChars) {
        out.push_back(Piece{mUnkId, 0, length});
        return;
    }
    const std::size_t firstPiece = out.size();
    std::size_t start = 0;
    while (start < word.size()) {
        const TokenMap &pieces = start == 0 ? mWordStarts : mContinuations;
        // Nothing longer than the longest key can match: start there, on a
        // character boundary, and shorten one character at a time.
        std::size_t end = std::min(word.size(), start + pieces.maxKeyLength());
        while (end > start && end < word.size() && isContinuationByte(word[end]))
            --end;
        std::int32_t id = -1;
        while (end > start) {
            id = pieces.find(word.substr(start, end - start));
            if (id >= 0)
                break;
            do {
                --end;
            } while (end > start && isContinuationByte(word[end]));
        }
        if (id < 0) {
            out.resize(firstPiece);
            out.push_back(Piece{mUnkId, 0, length});
            return;
        }
        out.push_back(Piece{id, static_cast<std::uint32_t>(start), static_cast<std::uint32_t>(end)});
        start = end;
    }
}

} // namespace ft
