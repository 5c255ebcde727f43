// tokenizer_model.h: what a loaded tokenizer is made of (normalizer, the
// word model: WordPiece, byte-level BPE or SentencePiece, added tokens,
// template, special tokens) and the pipeline that turns one text into
// tokens with the byte spans they came from, and ids back into text.
#pragma once

#include "text/added_vocabulary.h"
#include "text/bert_normalizer.h"
#include "text/byte_level_bpe.h"
#include "text/post_processor.h"
#include "text/sentencepiece_bpe.h"
#include "text/sentencepiece_tokenizer.h"
#include "text/wordpiece.h"

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace ft {

struct TokenizerModel {
    // BERT's; the identity for byte-level BPE, whose tokenizers (GPT-2,
    // RoBERTa) have no normalizer and read the raw text, and for
    // SentencePiece, which normalizes inside libsentencepiece.
    BertNormalizer normalizer;
    std::variant<WordPiece, ByteLevelBpe, SentencePieceModel, SentencePieceBpe> words; // splits words into tokens
    AddedVocabulary added;
    PostProcessor postProcessor;
    std::int64_t unkId = -1;
    std::int64_t padId = -1;
    std::int64_t clsId = -1;
    std::int64_t sepId = -1;
    std::int64_t maskId = -1;
    std::int64_t bosId = -1;
    std::int64_t eosId = -1;
    std::size_t modelMaxLength = 0; // 0: the files do not say
    std::filesystem::path source;   // the file it was loaded from, for messages

    const WordPiece *wordPiece() const { return std::get_if<WordPiece>(&words); }
    const ByteLevelBpe *byteLevelBpe() const { return std::get_if<ByteLevelBpe>(&words); }
    const SentencePieceModel *sentencePiece() const { return std::get_if<SentencePieceModel>(&words); }
    const SentencePieceBpe *sentencePieceBpe() const { return std::get_if<SentencePieceBpe>(&words); }
    const Vocab &vocab() const;

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
    ByteLevelBpe::Scratch bpe;
    std::vector<ByteLevelBpe::Piece> bpePieces;
    std::vector<SentencePieceModel::Piece> spmPieces;
    std::vector<SentencePieceBpe::Piece> bpePiecesSp;
};

// Appends the tokens of `text` to `out`: added tokens matched in the raw
// text, then per remaining segment normalization, normalized added tokens,
// and BERT pre-tokenization and WordPiece, or GPT-2's split and byte-level
// BPE. Throws ft::Error(InvalidInput) for a text of 4 GiB or more (spans are
// 32-bit).
void tokenizeText(const TokenizerModel &model, std::string_view text, TokenizeScratch &scratch,
                  std::vector<TokenPiece> &out);

// HF's trim_offsets for byte-level tokens (the ByteLevel and RoBERTa
// post-processors): the spaces a token starts or ends with ("Ġ", or the
// whitespace an added token's lstrip/rstrip took) leave its span; with the
// processor's add_prefix_space, the one space the pre-tokenizer put before a
// text's first token stays. `pieces` are the tokens of `text`.
void trimOffsets(const TokenizerModel &model, std::string_view text, std::vector<TokenPiece> &pieces);

// The text of `ids` as HF's decoders write it: byte-level BPE maps the
// characters of the tokens back to bytes (invalid UTF-8 becomes U+FFFD);
// WordPiece joins tokens with spaces, glues ## pieces and cleans up spaces
// before punctuation; SentencePiece turns "▁" into spaces (Metaspace). Ids
// of no token are left out, as are special added tokens when
// `skipSpecialTokens`.
std::string decodeIds(const TokenizerModel &model, std::span<const std::int64_t> ids, bool skipSpecialTokens);

} // namespace ft
