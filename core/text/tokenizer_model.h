// tokenizer_model.h: what a loaded tokenizer is made of (normalizer,
// WordPiece, added tokens, template, special tokens) and the pipeline that
// turns one text into tokens with the byte spans they came from.
#pragma once

#include "text/added_vocabulary.h"
#include "text/bert_normalizer.h"
#include "text/post_processor.h"
#include "text/wordpiece.h"

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace ft {

struct TokenizerModel {
    BertNormalizer normalizer;
    WordPiece wordPiece;
    AddedVocabulary added;
    PostProcessor postProcessor;
    std::int64_t padId = -1;
    std::int64_t clsId = -1;
    std::int64_t sepId = -1;
    std::int64_t maskId = -1;
    std::size_t modelMaxLength = 0; // 0: the files do not say
    std::filesystem::path source;   // the file it was loaded from, for messages

    // The id of a token of the vocabulary or an added token, or -1.
    std::int64_t idOf(std::string_view token) const;
    // The token with `id` (added tokens first, as HF looks), or empty.
    std::string_view tokenOf(std::int64_t id) const;
    bool hasId(std::int64_t id) const;
};

// A token of one text: its id and the bytes of the text it covers.
struct TokenPiece {
    std::int32_t id;
    std::uint32_t begin;
    std::uint32_t end;
};

// Buffers tokenizeText reuses from call to call, so encoding a batch
// allocates almost nothing per row. One per thread.
struct TokenizeScratch {
    std::vector<AddedVocabulary::Match> rawMatches;
    std::vector<AddedVocabulary::Match> normalizedMatches;
    std::vector<NormalizedChar> chars;
    std::string normalizedText;
    std::vector<std::uint32_t> charStarts; // byte offset of each char in normalizedText
    std::string word;
    std::vector<std::uint32_t> wordStarts; // byte offset of each char in word
    std::vector<WordPiece::Piece> pieces;
};

// Appends the tokens of `text` to `out`: added tokens matched in the raw
// text, then per remaining segment normalization, normalized added tokens,
// BERT pre-tokenization and WordPiece. Throws ft::Error(InvalidInput) for a
// text of 4 GiB or more (spans are 32-bit).
void tokenizeText(const TokenizerModel &model, std::string_view text, TokenizeScratch &scratch,
                  std::vector<TokenPiece> &out);

} // namespace ft
