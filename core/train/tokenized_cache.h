// tokenized_cache.h: a dataset's splits, tokenised once and kept on disk, so
// that the next run on the same data, tokenizer and max_length starts without
// tokenising again. Entries are content-addressed: the key hashes every
// example's split, texts and label, the label order, the tokenizer files and
// max_length, so an edited dataset or tokenizer simply misses. Files live in
// <project>/cache/tokenized/<key>.bin, are written atomically and are only a
// cache: a damaged or foreign file is ignored and rebuilt. Torch-free.
#pragma once

#include "train/encoded_split.h"

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace ft {

class Sha256;

struct TokenizedSplits {
    EncodedSplit train;
    EncodedSplit validation;
    EncodedSplit test;
};

// Adds the tokenizer's files (whichever exist) to a cache key.
void hashTokenizerFiles(Sha256 &key, const std::filesystem::path &tokenizerFolder);

class TokenizedCache {
public:
    // `maxEntries`: older entries beyond it are removed after a store().
    explicit TokenizedCache(std::filesystem::path folder, std::size_t maxEntries = 8);

    std::optional<TokenizedSplits> load(const std::string &key) const;
    void store(const std::string &key, const TokenizedSplits &splits) const;
    std::filesystem::path fileOf(const std::string &key) const;

private:
    void prune() const;

    std::filesystem::path mFolder;
    std::size_t mMaxEntries;
};

} // namespace ft
