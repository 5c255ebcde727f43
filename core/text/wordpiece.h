// wordpiece.h: the WordPiece model: a word splits greedily into the longest
// vocabulary pieces from the left, pieces after the first carrying the
// continuation prefix (##); a word with a position no piece matches, or one
// longer than max_input_chars_per_word characters, becomes one [UNK].
#pragma once

#include "text/vocab.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ft {

class WordPiece {
public:
    // A piece of a word: its id and its byte range in the word.
    struct Piece {
        std::int32_t id;
        std::uint32_t begin;
        std::uint32_t end;
    };

    WordPiece() = default;
    // Throws std::invalid_argument when `unkToken` is not in `vocab` (the
    // loaders check first and name the file).
    WordPiece(Vocab vocab, std::string unkToken, std::string continuingSubwordPrefix,
              std::size_t maxInputCharsPerWord);

    // Appends the pieces of `word` (valid UTF-8 of `charCount` code points).
    void tokenize(std::string_view word, std::size_t charCount, std::vector<Piece> &out) const;

    const Vocab &vocab() const { return mVocab; }
    std::int32_t unkId() const { return mUnkId; }
    const std::string &unkToken() const { return mUnkToken; }
    const std::string &continuingSubwordPrefix() const { return mPrefix; }
    std::size_t maxInputCharsPerWord() const { return mMaxInputChars; }

private:
    Vocab mVocab;
    TokenMap mWordStarts;     // every token, for the first piece of a word
    TokenMap mContinuations;  // tokens that start with the prefix, without it
    std::string mUnkToken = "[UNK]";
    std::string mPrefix = "##";
    std::size_t mMaxInputChars = 100;
    std::int32_t mUnkId = -1;
};

} // namespace ft
