// sentencepiece_bpe.cpp: following tokenizers' models/bpe (merge_word with
// byte fallback), normalizers Prepend/Replace, the Metaspace pre-tokenizer and
// the ByteFallback, Fuse, Replace, Strip and Metaspace decoders.
#include "text/sentencepiece_bpe.h"

#include "text/unicode.h"

#include <algorithm>
#include <cstdio>
#include <queue>
#include <unordered_map>

namespace ft {

namespace {

constexpr std::string_view kSpace = "\u2581"; // "▁"

std::uint64_t pairKey(std::int32_t left, std::int32_t right)
{
    return (std::uint64_t(std::uint32_t(left)) << 32) | std::uint32_t(right);
}

// "<0xAB>" -> 0xAB, or -1.
int byteOfToken(std::string_view token)
{
    if (token.size() != 6 || !token.starts_with("<0x") || token.back() != '>')
        return -1;
    int value = 0;
    for (char c : token.substr(3, 2)) {
        const int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (digit < 0)
            return -1;
        value = value * 16 + digit;
    }
    return value;
}

bool validUtf8(std::string_view bytes)
{
    for (const char *p = bytes.data(), *end = p + bytes.size(); p < end;) {
        char32_t cp = 0;
        const std::size_t used = unicode::decodeUtf8(p, end, cp);
        if (cp == unicode::kReplacementChar && std::string_view(p, used) != "\uFFFD")
            return false;
        p += used;
    }
    return true;
}

void replaceAll(std::string &text, std::string_view from, std::string_view to)
{
    if (from.empty())
        return;
    for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
        text.replace(at, from.size(), to);
}

} // namespace

struct SentencePieceBpe::MergeTable {
    std::unordered_map<std::uint64_t, std::pair<std::uint32_t, std::int32_t>> ranks; // pair -> (rank, merged id)
};

SentencePieceBpe::SentencePieceBpe() : mMerges(std::make_unique<MergeTable>())
{
    std::fill(std::begin(mByteIds), std::end(mByteIds), -1);
}

SentencePieceBpe::SentencePieceBpe(Vocab vocab, const std::vector<std::pair<std::string, std::string>> &merges,
                                   const Options &options, std::vector<DecodeStep> decoder)
    : mVocab(std::move(vocab)), mOptions(options), mDecoder(std::move(decoder)), mMerges(std::make_unique<MergeTable>())
{
    for (int byte = 0; byte < 256; ++byte) {
        char name[8];
        std::snprintf(name, sizeof name, "<0x%02X>", byte);
        mByteIds[byte] = mVocab.find(name);
    }
    mMerges->ranks.reserve(merges.size());
    for (std::size_t rank = 0; rank < merges.size(); ++rank) {
        const auto &[left, right] = merges[rank];
        const std::int32_t merged = mVocab.find(left + right);
        mMerges->ranks.try_emplace(pairKey(mVocab.find(left), mVocab.find(right)), std::uint32_t(rank), merged);
    }
}

SentencePieceBpe::SentencePieceBpe(SentencePieceBpe &&) noexcept = default;
SentencePieceBpe &SentencePieceBpe::operator=(SentencePieceBpe &&) noexcept = default;
SentencePieceBpe::~SentencePieceBpe() = default;

void SentencePieceBpe::tokenize(std::string_view text, std::size_t begin, std::size_t end,
                                std::vector<Piece> &out) const
{
    if (begin >= end)
        return;
    // The normalized characters back to back, each with its bytes in the input.
    std::string chars;
    std::vector<std::uint32_t> starts; // of each character in `chars`, and its end
    std::vector<std::pair<std::uint32_t, std::uint32_t>> spans;
    const auto add = [&](std::string_view utf8, std::uint32_t from, std::uint32_t to) {
        starts.push_back(std::uint32_t(chars.size()));
        chars += utf8;
        spans.emplace_back(from, to);
    };
    const char *first = text.data() + begin;
    char32_t firstChar = 0;
    const std::size_t firstLength = unicode::decodeUtf8(first, text.data() + end, firstChar);
    const bool prefix = mOptions.prefix == Prefix::Always || (mOptions.prefix == Prefix::First && begin == 0);
    if (prefix && !(mOptions.prefixUnlessSpace && firstChar == U' '))
        add(kSpace, std::uint32_t(begin), std::uint32_t(begin + firstLength));
    for (std::size_t at = begin; at < end;) {
        char32_t cp = 0;
        const std::size_t used = unicode::decodeUtf8(text.data() + at, text.data() + end, cp);
        const auto from = std::uint32_t(at);
        const auto to = std::uint32_t(at + used);
        if (cp == U' ')
            add(kSpace, from, to);
        else if (cp == unicode::kReplacementChar)
            add("\uFFFD", from, to);
        else
            add(text.substr(at, used), from, to);
        at += used;
    }
    starts.push_back(std::uint32_t(chars.size()));

    // Metaspace's split: a word starts at each "▁".
    std::size_t wordStart = 0;
    const std::size_t count = spans.size();
    for (std::size_t i = 1; i <= count; ++i) {
        const bool boundary = i == count || (mOptions.splitWords &&
                                             std::string_view(chars).substr(starts[i], starts[i + 1] - starts[i]) == kSpace);
        if (!boundary)
            continue;
        mergeWord(std::span(starts).subspan(wordStart, i - wordStart + 1), chars,
                  std::span(spans).subspan(wordStart, i - wordStart), out);
        wordStart = i;
    }
}

void SentencePieceBpe::mergeWord(std::span<const std::uint32_t> charStarts, std::string_view chars,
                                 std::span<const std::pair<std::uint32_t, std::uint32_t>> spans,
                                 std::vector<Piece> &out) const
{
    struct Symbol {
        std::int32_t id;
        std::int32_t prev;
        std::int32_t next;
        std::uint32_t begin;
        std::uint32_t end;
        bool alive;
    };
    std::vector<Symbol> symbols;
    const auto push = [&](std::int32_t id, std::uint32_t begin, std::uint32_t end) {
        const auto index = std::int32_t(symbols.size());
        symbols.push_back({id, index - 1, index + 1, begin, end, true});
    };
    for (std::size_t i = 0; i + 1 < charStarts.size(); ++i) {
        const std::string_view piece = chars.substr(charStarts[i], charStarts[i + 1] - charStarts[i]);
        const auto [begin, end] = spans[i];
        if (const std::int32_t id = mVocab.find(piece); id >= 0) {
            push(id, begin, end);
            continue;
        }
        if (mOptions.byteFallback && std::all_of(piece.begin(), piece.end(),
                                                 [&](char b) { return mByteIds[static_cast<unsigned char>(b)] >= 0; })) {
            for (char b : piece)
                push(mByteIds[static_cast<unsigned char>(b)], begin, end);
            continue;
        }
        if (mOptions.unkId < 0)
            continue;
        if (mOptions.fuseUnk && !symbols.empty() && symbols.back().id == mOptions.unkId)
            symbols.back().end = end; // the run of unknown characters is one <unk>
        else
            push(mOptions.unkId, begin, end);
    }
    if (symbols.empty())
        return;
    symbols.back().next = -1;

    // Lowest rank first, then leftmost, as tokenizers' BinaryHeap of Merge.
    struct Candidate {
        std::uint32_t rank;
        std::int32_t pos;
        std::int32_t merged;
        bool operator>(const Candidate &other) const
        {
            return rank != other.rank ? rank > other.rank : pos > other.pos;
        }
    };
    std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> queue;
    const auto consider = [&](std::int32_t pos) {
        if (pos < 0 || symbols[pos].next < 0)
            return;
        const auto found = mMerges->ranks.find(pairKey(symbols[pos].id, symbols[symbols[pos].next].id));
        if (found != mMerges->ranks.end())
            queue.push({found->second.first, pos, found->second.second});
    };
    for (std::int32_t pos = 0; pos < std::int32_t(symbols.size()); ++pos)
        consider(pos);
    while (!queue.empty()) {
        const Candidate top = queue.top();
        queue.pop();
        Symbol &left = symbols[top.pos];
        if (!left.alive || left.next < 0)
            continue;
        Symbol &right = symbols[left.next];
        const auto found = mMerges->ranks.find(pairKey(left.id, right.id));
        if (found == mMerges->ranks.end() || found->second.second != top.merged)
            continue; // a stale candidate: one of the pair merged since
        left.id = top.merged;
        left.end = right.end;
        right.alive = false;
        left.next = right.next;
        if (right.next >= 0)
            symbols[right.next].prev = top.pos;
        consider(left.prev);
        consider(top.pos);
    }
    for (const Symbol &symbol : symbols)
        if (symbol.alive)
            out.push_back({symbol.id, symbol.begin, symbol.end});
}

std::string SentencePieceBpe::decode(std::span<const std::string_view> tokens) const
{
    std::vector<std::string> parts(tokens.begin(), tokens.end());
    for (const DecodeStep &step : mDecoder) {
        switch (step.kind) {
        case DecodeStep::Kind::Replace:
            for (std::string &part : parts)
                replaceAll(part, step.from, step.to);
            break;
        case DecodeStep::Kind::ByteFallback: {
            // A run of byte tokens is one piece when its bytes are UTF-8, else one U+FFFD per byte.
            std::vector<std::string> decoded;
            std::string bytes;
            std::size_t run = 0;
            const auto flush = [&] {
                if (run == 0)
                    return;
                if (validUtf8(bytes))
                    decoded.push_back(bytes);
                else
                    decoded.insert(decoded.end(), run, "\uFFFD");
                bytes.clear();
                run = 0;
            };
            for (std::string &part : parts) {
                if (const int byte = byteOfToken(part); byte >= 0) {
                    bytes += char(byte);
                    ++run;
                    continue;
                }
                flush();
                decoded.push_back(std::move(part));
            }
            flush();
            parts = std::move(decoded);
            break;
        }
        case DecodeStep::Kind::Fuse: {
            std::string fused;
            for (const std::string &part : parts)
                fused += part;
            parts.assign(1, std::move(fused));
            break;
        }
        case DecodeStep::Kind::Strip:
            for (std::string &part : parts) {
                std::size_t front = 0;
                while (front < step.start && part.compare(front * step.from.size(), step.from.size(), step.from) == 0)
                    ++front;
                part.erase(0, front * step.from.size());
                std::size_t back = 0;
                while (back < step.stop && part.size() >= (back + 1) * step.from.size()
                       && part.compare(part.size() - (back + 1) * step.from.size(), step.from.size(), step.from) == 0)
                    ++back;
                part.resize(part.size() - back * step.from.size());
            }
            break;
        case DecodeStep::Kind::Metaspace:
            for (std::size_t i = 0; i < parts.size(); ++i)
                replaceAll(parts[i], kSpace, i == 0 && step.start > 0 ? "" : " ");
            break;
        }
    }
    std::string text;
    for (const std::string &part : parts)
        text += part;
    return text;
}

} // namespace ft
