// sentencepiece_tokenizer.h: XLM-RoBERTa's word model: a SentencePiece model (sentencepiece.bpe.model, a unigram
// model despite the name) run by libsentencepiece, under the ids transformers' XLMRobertaTokenizer gives its pieces
// (fairseq's), with each token's span where Hugging Face's fast tokenizer puts it.
//
// The tokens are libsentencepiece's, so XLMRobertaTokenizer's. XLMRobertaTokenizerFast (HF's Unigram model,
// converted from the same file) gives the same ones but where two segmentations score the same up to rounding
// (a run such as "。。。。" as 。。。+。 or 。+。。。: libsentencepiece adds float scores, HF doubles), and for a few
// characters it normalizes otherwise (a trailing U+0085 it strips, combining marks after a letter that already
// has one).
#pragma once

#include "text/vocab.h"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ft {

// The model file of XLM-R's checkpoints.
inline constexpr const char *kSentencePieceModelFile = "sentencepiece.bpe.model";

// Whether Tokenizer::fromFolder reads `folder`'s sentencepiece.bpe.model: when it has one, and no
// tokenizer.json or one of XLM-R's (tokenizer_config.json names no class, or an XLMRoberta one). XLM-R's
// tokenizer.json is the Unigram model transformers converts from the .model file, with the same tokens.
bool readsSentencePieceModel(const std::filesystem::path &folder);

class SentencePieceModel {
public:
    // A token of the input: its id and the bytes [begin, end) of the text it came from.
    struct Piece {
        std::int32_t id;
        std::uint32_t begin;
        std::uint32_t end;
    };
    // A piece the fast tokenizer matches as an added token before the model sees the text: the model's control
    // pieces (special) and user-defined pieces (not special).
    struct AddedPiece {
        std::string content;
        std::int32_t id;
        bool special;
    };

    // fairseq's dictionary, which XLM-R was trained with: <s> <pad> </s> <unk> first, then every piece of the
    // SentencePiece model at its id + 1 (spm's own <unk> <s> </s> at 0-2 read as these), <mask> last.
    static constexpr std::int32_t kBosId = 0;
    static constexpr std::int32_t kPadId = 1;
    static constexpr std::int32_t kEosId = 2;
    static constexpr std::int32_t kUnkId = 3;
    static constexpr std::int32_t kFairseqOffset = 1;

    SentencePieceModel();
    SentencePieceModel(SentencePieceModel &&) noexcept;
    SentencePieceModel &operator=(SentencePieceModel &&) noexcept;
    ~SentencePieceModel();

    // Reads a model file. Throws ft::Error naming it: NotFound when it is missing, Io when it cannot be read,
    // InvalidInput when it is not a SentencePiece model libsentencepiece can load, Incompatible when its first
    // three pieces are not <unk> <s> </s> (the layout fairseq's ids assume).
    static SentencePieceModel load(const std::filesystem::path &file);

    // Appends the tokens of text[begin, end), a stretch without added tokens, as transformers' XLM-R tokenizers
    // read it: the model's normalization (NFKC and its whitespace rules), a "▁" before the first word, spaces
    // kept as "▁" on the word after them, unknown characters (a run of them) as <unk>. Spans follow HF's
    // offsets: a "▁" from spaces spans the last of them, the one put before the first word spans that word's
    // first character. A byte that is not UTF-8 is <unk>, as libsentencepiece reads it. Safe from several
    // threads at once.
    void tokenize(std::string_view text, std::size_t begin, std::size_t end, std::vector<Piece> &out) const;

    // Every token, fairseq ids: the four specials, the model's pieces and <mask>.
    const Vocab &vocab() const { return mVocab; }
    std::int32_t maskId() const { return mMaskId; }
    const std::vector<AddedPiece> &addedPieces() const { return mAddedPieces; }

    // Appends `token` as HF's Metaspace decoder writes it: each "▁" a space, except in the text's first token,
    // whose "▁" (the one put before the first word) goes.
    static void appendDecoded(std::string_view token, bool firstToken, std::string &text);

private:
    struct Impl;

    std::unique_ptr<const Impl> mImpl;
    Vocab mVocab;
    std::int32_t mMaskId = -1;
    std::vector<AddedPiece> mAddedPieces;
};

} // namespace ft
