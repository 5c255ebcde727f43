// tokenizer.h: the tokenizer of a Hugging Face checkpoint folder: BERT's
// WordPiece (tokenizer.json, or vocab.txt + tokenizer_config.json), the
// byte-level BPE of GPT-2 and RoBERTa (tokenizer.json, or vocab.json +
// merges.txt + tokenizer_config.json) or XLM-R's SentencePiece model
// (sentencepiece.bpe.model), encoding texts and text pairs exactly
// as HF's fast tokenizer does: ids, token types, attention masks,
// longest_first truncation, right padding and the byte offsets of every token
// in the input; and decoding ids back to text.
//
// Input text is UTF-8. A byte that is not part of valid UTF-8 reads as
// U+FFFD: BERT's clean_text removes it as it removes a real U+FFFD, byte-level
// BPE encodes U+FFFD's bytes with the one bad byte as their span. Bad bytes
// never fail an encode and never shift the offsets of other tokens.
#pragma once

#include "common/padding.h"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ft {

struct TokenizerModel;


struct EncodeOptions {
    // The longest encoding, special tokens included; 0 takes the tokenizer's
    // model_max_length.
    std::size_t maxLength = 0;
    // Truncate to maxLength with HF's longest_first strategy. When there is
    // no max length (0 here and no model_max_length) nothing is truncated.
    bool truncation = true;
    // Wrap the pieces in the template's special tokens ([CLS] ... [SEP]).
    bool addSpecialTokens = true;
    // encodeBatch only.
    Padding padding = Padding::Longest;
};

// Where a token came from: bytes [begin, end) of the UTF-8 text it was read
// from, and which text that was.
struct TokenSpan {
    std::uint32_t begin = 0;
    std::uint32_t end = 0;
    std::int8_t sequence = -1; // 0: the text, 1: the pair text, -1: a special token of the template (empty span)

    bool operator==(const TokenSpan &) const = default;
};

struct Encoding {
    std::vector<std::int64_t> ids;
    std::vector<std::int64_t> typeIds;
    std::vector<std::int64_t> attentionMask; // all 1: a single encoding is not padded
    std::vector<TokenSpan> offsets;
    std::size_t untruncatedLength = 0;       // the length before truncation, special tokens included

    std::size_t size() const { return ids.size(); }
};

// A padded batch as flat row-major rows x cols arrays, ready for a tensor
// to wrap without copying element by element.
struct BatchEncoding {
    std::int64_t rows = 0;
    std::int64_t cols = 0;
    std::vector<std::int64_t> inputIds;           // padded on the right with the pad id
    std::vector<std::int64_t> tokenTypeIds;       // padded with 0
    std::vector<std::int64_t> attentionMask;      // 1 for tokens, 0 for padding
    std::vector<std::int64_t> lengths;            // tokens (not padding) per row
    std::vector<std::int64_t> untruncatedLengths; // per row, special tokens included
};

// Immutable once loaded; copies share the loaded tables, and every const
// member may be called from several threads at once.
class Tokenizer {
public:
    // sentencepiece.bpe.model when readsSentencePieceModel (XLM-R's folders,
    // whose tokenizer.json is a Unigram model converted from it), else
    // tokenizer.json when the folder has one, else vocab.txt, else
    // vocab.json with merges.txt.
    static Tokenizer fromFolder(const std::filesystem::path &folder);
    // Also reads tokenizer_config.json (model_max_length, special token
    // names, explicit do_lower_case/strip_accents/tokenize_chinese_chars or
    // add_prefix_space/trim_offsets as transformers applies them) and
    // special_tokens_map.json beside it.
    static Tokenizer fromTokenizerJson(const std::filesystem::path &file);
    // Also reads tokenizer_config.json and special_tokens_map.json beside it.
    static Tokenizer fromVocabFile(const std::filesystem::path &file);
    // GPT-2's or RoBERTa's vocab.json and merges.txt (with
    // tokenizer_config.json and special_tokens_map.json beside vocab.json),
    // as transformers' GPT2Tokenizer or RobertaTokenizer reads them: RoBERTa's
    // <s> A </s> framing when tokenizer_class is RobertaTokenizer or the
    // special tokens are <s> and </s>, no special tokens for GPT-2.
    static Tokenizer fromVocabAndMerges(const std::filesystem::path &vocabJson, const std::filesystem::path &merges);
    // XLM-R's sentencepiece.bpe.model (with tokenizer_config.json and
    // special_tokens_map.json beside it), as transformers' XLM-R tokenizers
    // read it: spm's pieces under fairseq's ids (<s> 0, <pad> 1, </s> 2,
    // <unk> 3, spm id + 1, <mask> last), <s> A </s> and <s> A </s></s> B </s>
    // with token types 0, the spans and decoding of the fast tokenizer.
    static Tokenizer fromSentencePieceModel(const std::filesystem::path &file);

    Encoding encode(std::string_view text, const EncodeOptions &options = {}) const;
    Encoding encode(std::string_view text, std::string_view pair, const EncodeOptions &options = {}) const;
    BatchEncoding encodeBatch(std::span<const std::string_view> texts, const EncodeOptions &options = {}) const;
    // `pairs` has one text per row of `texts`.
    BatchEncoding encodeBatch(std::span<const std::string_view> texts, std::span<const std::string_view> pairs,
                              const EncodeOptions &options = {}) const;
    // Pads encodings made one by one (each truncated as it was asked) into
    // a batch, by options.padding and options.maxLength (HF's tokenizer.pad).
    BatchEncoding pad(std::span<const Encoding> encodings, const EncodeOptions &options = {}) const;

    // The text of `ids`, as HF's decoder writes it. Byte-level BPE gives
    // back the bytes encoded (decode(encode(text)) == text for valid UTF-8
    // holding no special token, unless add_prefix_space added a space), with
    // U+FFFD for a character the ids cut short; WordPiece joins words with
    // spaces and cannot restore case, accents or spacing. Ids of no token
    // are left out, and so are special tokens ([CLS], <s>, <|endoftext|>,
    // ...) when skipSpecialTokens.
    std::string decode(std::span<const std::int64_t> ids, bool skipSpecialTokens = true) const;

    std::optional<std::int64_t> tokenToId(std::string_view token) const;
    // The token with `id` (added tokens included); empty when there is none.
    std::string_view idToToken(std::int64_t id) const;
    std::vector<std::string> idsToTokens(std::span<const std::int64_t> ids) const;

    // One more than the largest id (vocabulary and added tokens).
    std::int64_t vocabSize() const;
    std::int64_t unkId() const;  // -1 when the tokenizer has none (byte-level BPE needs none)
    std::int64_t clsId() const;  // -1 when the tokenizer has none
    std::int64_t sepId() const;  // -1 when the tokenizer has none
    // -1 when the tokenizer has none, and padding a batch then fails. GPT-2
    // has none: callers that batch must name one (pad_token in
    // tokenizer_config.json, usually the eos token) or not pad.
    std::int64_t padId() const;
    // The same tokenizer padding with `id` (GPT-2 defines no pad token; its
    // classifiers pad with the model's pad_token_id, usually the end of text).
    Tokenizer withPadId(std::int64_t id) const;
    std::int64_t maskId() const; // -1 when the tokenizer has none
    std::int64_t bosId() const;  // -1 when the tokenizer has none (BERT)
    std::int64_t eosId() const;  // -1 when the tokenizer has none (BERT)
    // Byte-level BPE (GPT-2, RoBERTa) rather than WordPiece (BERT).
    bool byteLevel() const;
    // XLM-R's SentencePiece model (sentencepiece.bpe.model).
    bool sentencePiece() const;
    // How many special tokens encoding adds to one text or to a pair.
    std::size_t specialTokenCount(bool pair) const;
    // model_max_length of tokenizer_config.json; 0 when it does not say.
    std::size_t modelMaxLength() const;
    bool lowercases() const;
    // The file the tokenizer was loaded from.
    const std::filesystem::path &source() const;

private:
    explicit Tokenizer(std::shared_ptr<const TokenizerModel> model);

    std::shared_ptr<const TokenizerModel> mModel;
    std::int64_t mPadId = -1;
};

// longest_first truncation of the Rust tokenizers library: the lengths of
// two piece sequences cut to fit `budget` (special tokens not counted). A
// shorter sequence that fits in half is kept and the longer gets the rest;
// otherwise both get half and the longer one (the second on a tie) the odd
// extra piece.
void truncateLongestFirst(std::size_t &first, std::size_t &second, std::size_t budget);

} // namespace ft
