// sentencepiece_bpe.h: the BPE of Llama-style tokenizer.json files (Llama 2,
// TinyLlama, Mistral, llama2.c's vocabularies) as Hugging Face's tokenizers
// runs it: spaces become "▁" and a "▁" goes before the text, the pieces are
// characters merged lowest rank first, and a character the vocabulary lacks
// becomes its UTF-8 bytes as <0xXX> tokens (byte fallback) or <unk>.
// Decoding runs the file's decoder steps in their order.
#pragma once

#include "text/vocab.h"

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ft {

class SentencePieceBpe {
public:
    // A token of the input: its id and the bytes [begin, end) of the text it came from.
    struct Piece {
        std::int32_t id;
        std::uint32_t begin;
        std::uint32_t end;
    };

    // Where "▁" goes before a stretch of text: before every stretch between
    // added tokens (the Prepend normalizer, Metaspace's "always"), only
    // before the text's start (Metaspace's "first"), or nowhere.
    enum class Prefix { Always, First, Never };

    struct Options {
        Prefix prefix = Prefix::Always;
        bool prefixUnlessSpace = false; // Metaspace: no "▁" before a text that starts with a space
        bool splitWords = false;   // Metaspace's split: each "▁"-led word merges alone
        bool byteFallback = true;  // unknown characters as <0xXX> tokens; else <unk>
        bool fuseUnk = true;       // consecutive unknown characters are one <unk>
        std::int32_t unkId = -1;   // -1: unknown characters are dropped, as HF's BPE without unk_token
    };

    // One step of the decoder, in the order the file lists them.
    struct DecodeStep {
        enum class Kind { Replace, ByteFallback, Fuse, Strip, Metaspace };
        Kind kind = Kind::Fuse;
        std::string from;          // Replace: the pattern; Strip: the character
        std::string to;            // Replace: its replacement
        std::size_t start = 0;     // Strip: characters removed at each token's start
        std::size_t stop = 0;      // Strip: and at its end
    };
    // Metaspace: each "▁" a space, except in the first token, where with `start` 1 (a
    // prepend_scheme other than never) every "▁" goes, as tokenizers' Metaspace decoder does.

    SentencePieceBpe();
    // `merges` in rank order, each two tokens of `vocab` whose concatenation is
    // one too (checked by the loader, which names the file and line).
    SentencePieceBpe(Vocab vocab, const std::vector<std::pair<std::string, std::string>> &merges,
                     const Options &options, std::vector<DecodeStep> decoder);
    SentencePieceBpe(SentencePieceBpe &&) noexcept;
    SentencePieceBpe &operator=(SentencePieceBpe &&) noexcept;
    ~SentencePieceBpe();

    // Appends the tokens of text[begin, end), a stretch without added tokens.
    // The "▁" put before it spans its first character. Invalid UTF-8 bytes read
    // as U+FFFD. Safe from several threads at once.
    void tokenize(std::string_view text, std::size_t begin, std::size_t end, std::vector<Piece> &out) const;

    // The text of `tokens` through the decoder steps.
    std::string decode(std::span<const std::string_view> tokens) const;

    const Vocab &vocab() const { return mVocab; }
    const Options &options() const { return mOptions; }

private:
    struct MergeTable;

    void mergeWord(std::span<const std::uint32_t> charStarts, std::string_view chars,
                   std::span<const std::pair<std::uint32_t, std::uint32_t>> spans, std::vector<Piece> &out) const;

    Vocab mVocab;
    Options mOptions;
    std::vector<DecodeStep> mDecoder;
    std::unique_ptr<MergeTable> mMerges;
    std::int32_t mByteIds[256];
};

} // namespace ft
