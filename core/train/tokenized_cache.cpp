// tokenized_cache.cpp
#include "train/tokenized_cache.h"

#include "hub/sha256.h"
#include "models/atomic_file.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>

namespace fs = std::filesystem;

namespace ft {

namespace {

// Layout, little-endian as written by this machine: the magic, then per split
// (train, validation, test) its counts, then its arrays. Ids are int32 (vocab
// sizes are far below 2^31), token types uint8.
constexpr char kMagic[8] = {'F', 'T', 'T', 'O', 'K', '0', '1', '\n'};

struct Header {
    std::int64_t examples = 0;
    std::int64_t tokens = 0;
    std::int64_t truncated = 0;
};

template <typename T>
void append(std::string &out, const T &value)
{
    out.append(reinterpret_cast<const char *>(&value), sizeof value);
}

template <typename Stored, typename T>
void appendArray(std::string &out, const std::vector<T> &values)
{
    for (const T value : values)
        append(out, static_cast<Stored>(value));
}

class Reader {
public:
    Reader(const std::string &bytes, size_t offset) : mBytes(bytes), mOffset(offset) {}

    template <typename T>
    bool read(T &value)
    {
        if (mBytes.size() - mOffset < sizeof value)
            return false;
        std::memcpy(&value, mBytes.data() + mOffset, sizeof value);
        mOffset += sizeof value;
        return true;
    }
    template <typename Stored, typename T>
    bool readArray(std::vector<T> &values, std::int64_t count)
    {
        if (count < 0 || static_cast<std::uint64_t>(count) > (mBytes.size() - mOffset) / sizeof(Stored))
            return false;
        values.resize(static_cast<size_t>(count));
        for (auto &value : values) {
            Stored stored{};
            read(stored);
            value = static_cast<T>(stored);
        }
        return true;
    }
    bool atEnd() const { return mOffset == mBytes.size(); }

private:
    const std::string &mBytes;
    size_t mOffset;
};

void appendSplit(std::string &out, const EncodedSplit &split)
{
    append(out, Header{split.size(), static_cast<std::int64_t>(split.ids.size()), split.truncated});
    appendArray<std::int32_t>(out, split.ids);
    appendArray<std::uint8_t>(out, split.typeIds);
    appendArray<std::int32_t>(out, split.labels);
    appendArray<std::int32_t>(out, split.lengths);
}

bool readSplit(Reader &in, EncodedSplit &split)
{
    Header header;
    if (!in.read(header) || !in.readArray<std::int32_t>(split.ids, header.tokens)
        || !in.readArray<std::uint8_t>(split.typeIds, header.tokens)
        || !in.readArray<std::int32_t>(split.labels, header.examples)
        || !in.readArray<std::int32_t>(split.lengths, header.examples))
        return false;
    split.truncated = header.truncated;
    split.offsets.assign(1, 0);
    for (const auto length : split.lengths) {
        if (length < 0)
            return false;
        split.offsets.push_back(split.offsets.back() + length);
    }
    return split.offsets.back() == header.tokens;
}

} // namespace

void hashTokenizerFiles(Sha256 &key, const fs::path &tokenizerFolder)
{
    for (const char *name : {"vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                             "sentencepiece.bpe.model"}) {
        std::error_code ec;
        if (!fs::is_regular_file(tokenizerFolder / name, ec))
            continue;
        key.update(name);
        key.update("\x1f");
        key.update(sha256File(tokenizerFolder / name));
        key.update("\x1e");
    }
}

TokenizedCache::TokenizedCache(fs::path folder, std::size_t maxEntries)
    : mFolder(std::move(folder)), mMaxEntries(maxEntries)
{
}

fs::path TokenizedCache::fileOf(const std::string &key) const
{
    return mFolder / (key + ".bin");
}

std::optional<TokenizedSplits> TokenizedCache::load(const std::string &key) const
{
    std::ifstream file(fileOf(key), std::ios::binary);
    if (!file)
        return std::nullopt;
    const std::string bytes{std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
    if (bytes.size() < sizeof kMagic || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0)
        return std::nullopt;
    Reader in(bytes, sizeof kMagic);
    TokenizedSplits splits;
    if (!readSplit(in, splits.train) || !readSplit(in, splits.validation) || !readSplit(in, splits.test) || !in.atEnd())
        return std::nullopt;
    // Touch it, so pruning removes the least recently used entries.
    std::error_code ec;
    fs::last_write_time(fileOf(key), fs::file_time_type::clock::now(), ec);
    return splits;
}

void TokenizedCache::store(const std::string &key, const TokenizedSplits &splits) const
{
    fs::create_directories(mFolder);
    std::string bytes(kMagic, sizeof kMagic);
    appendSplit(bytes, splits.train);
    appendSplit(bytes, splits.validation);
    appendSplit(bytes, splits.test);
    AtomicFile file(fileOf(key));
    file.write(bytes);
    file.commit();
    prune();
}

void TokenizedCache::prune() const
{
    std::vector<std::pair<fs::file_time_type, fs::path>> entries;
    std::error_code ec;
    for (const auto &entry : fs::directory_iterator(mFolder, ec))
        if (entry.path().extension() == ".bin")
            entries.emplace_back(entry.last_write_time(ec), entry.path());
    if (entries.size() <= mMaxEntries)
        return;
    std::sort(entries.begin(), entries.end(), [](const auto &a, const auto &b) { return a.first > b.first; });
    for (size_t i = mMaxEntries; i < entries.size(); ++i)
        fs::remove(entries[i].second, ec);
}

} // namespace ft
