// byte_level_bpe.h: GPT-2's byte-level BPE as Hugging Face's tokenizers runs
// it (ByteLevel pre-tokenizer, BPE model, ByteLevel decoder): text splits
// into words by GPT-2's regex, each byte of a word stands for one of 256
// printable characters, and adjacent pieces merge lowest rank first.
#pragma once

#include "text/vocab.h"

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ft {

class ByteLevelBpe {
public:
    // A token of the input: its id and the bytes [begin, end) of the text it
    // came from. A token with part of a character spans the whole character.
    struct Piece {
        std::int32_t id;
        std::uint32_t begin;
        std::uint32_t end;
    };

    struct Options {
        // Put a space before every stretch of text that does not start with
        // one, so that its first word reads like any other.
        bool addPrefixSpace = false;
        // A word that is a vocabulary token whole is that token (HF's ignore_merges).
        bool ignoreMerges = false;
        // Stands for a byte whose character the vocabulary lacks; -1 drops
        // such bytes, as HF's BPE without an unk_token does.
        std::int32_t unkId = -1;
    };

    // A token of a word: its id and its bytes [start, start + length) of the word.
    struct WordToken {
        std::int32_t id;
        std::uint32_t start;
        std::uint32_t length;
    };

    // Buffers tokenize reuses from call to call; one per thread.
    struct Scratch {
        // A piece of a word while merging: a doubly linked list over the bytes.
        struct Symbol {
            std::int32_t id;
            std::int32_t prev;
            std::int32_t next;
            std::uint32_t start;
            std::uint32_t length; // 0: merged into the symbol before it
        };
        // A merge waiting in the queue: lowest rank first, then leftmost.
        struct Candidate {
            std::uint32_t rank;
            std::uint32_t pos;
            std::int32_t newId;
        };

        std::string prefixed;             // " " + the text, with addPrefixSpace
        std::string word;                 // one word's bytes (invalid UTF-8 replaced)
        std::vector<std::uint32_t> spans; // per byte of word: begin and end of its character in the input
        std::vector<WordToken> tokens;
        std::vector<Symbol> symbols;
        std::vector<Candidate> queue;
        std::string chars;                // a word as byte-level characters
    };

    ByteLevelBpe();
    // `merges` in rank order, each two tokens of `vocab` whose concatenation
    // is one too. Throws std::invalid_argument when a merge is not (the
    // loaders call checkMerge first and name the file and line).
    ByteLevelBpe(Vocab vocab, const std::vector<std::pair<std::string, std::string>> &merges,
                 const Options &options);
    ByteLevelBpe(ByteLevelBpe &&) noexcept;
    ByteLevelBpe &operator=(ByteLevelBpe &&) noexcept;
    ~ByteLevelBpe();

    // Why `left` + `right` cannot be a merge of `vocab`, or empty when it can.
    static std::string checkMerge(const Vocab &vocab, std::string_view left, std::string_view right);

    // Appends the tokens of text[begin, end), a stretch without added
    // tokens: GPT-2's regex split, then BPE per word. Invalid UTF-8 bytes
    // read as U+FFFD, each spanning its one byte. Like every const member,
    // safe to call from several threads at once (the word cache locks).
    void tokenize(std::string_view text, std::size_t begin, std::size_t end, Scratch &scratch,
                  std::vector<Piece> &out) const;
    // The tokens of one word (any bytes), as tokenize merges it.
    void tokenizeWord(std::string_view word, Scratch &scratch, std::vector<WordToken> &out) const;

    const Vocab &vocab() const { return mVocab; }
    const Options &options() const { return mOptions; }
    std::size_t mergeCount() const { return mMergeCount; }

    // The byte-level character standing for byte `b`, as UTF-8 (' ' is "Ġ").
    static std::string_view byteChar(unsigned char b);
    // Appends the bytes `token` stands for, each character mapped back to
    // its byte; a token with any other character (an added token such as
    // "<s> x") appends its own UTF-8, as HF's ByteLevel decoder does.
    static void appendDecoded(std::string_view token, std::string &bytes);

private:
    struct WordCache;
    struct MergeTable;

    void mergeWord(std::string_view word, Scratch &scratch, std::vector<WordToken> &out) const;

    Vocab mVocab;
    Options mOptions;
    std::array<std::int32_t, 256> mByteIds{}; // the token of each single byte, or -1
    std::unique_ptr<MergeTable> mMerges;
    std::size_t mMergeCount = 0;
    std::unique_ptr<WordCache> mCache; // words already merged, shared by all threads
};

// `bytes` as valid UTF-8, each maximal invalid subsequence replaced by one
// U+FFFD (Rust's String::from_utf8_lossy, which HF's decoder ends with).
std::string toValidUtf8(std::string_view bytes);

} // namespace ft
