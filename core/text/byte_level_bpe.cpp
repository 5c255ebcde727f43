// byte_level_bpe.cpp: GPT-2's pre-tokenizer regex written out by hand, the
// byte alphabet, and merging by rank as tokenizers' models/bpe/word.rs does.
#include "text/byte_level_bpe.h"

#include "text/unicode.h"

#include <algorithm>
#include <functional>
#include <mutex>
#include <shared_mutex>
#include <stdexcept>
#include <unordered_map>

namespace ft {

namespace {

// GPT-2's bytes_to_unicode: printable Latin-1 bytes stand for themselves,
// the other 68 for U+0100 onwards in byte order, so no token holds a
// space or a control character.
struct ByteAlphabet {
    static constexpr char32_t kLimit = 0x144; // one past the highest character used

    std::array<std::array<char, 2>, 256> utf8{};
    std::array<std::uint8_t, 256> length{};
    std::array<std::int16_t, kLimit> byteOf{}; // by character; -1 for characters of no byte

    ByteAlphabet()
    {
        byteOf.fill(-1);
        char32_t next = 0x100;
        for (int b = 0; b < 256; ++b) {
            const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
            const char32_t cp = printable ? char32_t(b) : next++;
            std::string text;
            unicode::appendUtf8(text, cp);
            std::copy(text.begin(), text.end(), utf8[b].begin());
            length[b] = static_cast<std::uint8_t>(text.size());
            byteOf[cp] = static_cast<std::int16_t>(b);
        }
    }
};

const ByteAlphabet &alphabet()
{
    static const ByteAlphabet table;
    return table;
}

// The classes GPT-2's regex tells apart: \s, \p{L}, \p{N} and the rest.
enum class CharClass : std::uint8_t { Whitespace, Letter, Number, Other };

struct Char {
    char32_t cp;
    std::uint32_t length;
    CharClass cls;
};

CharClass classOf(char32_t cp)
{
    if (unicode::isWhitespace(cp))
        return CharClass::Whitespace;
    if (unicode::isLetter(cp))
        return CharClass::Letter;
    return unicode::isNumber(cp) ? CharClass::Number : CharClass::Other;
}

const std::array<CharClass, 128> kAsciiClass = [] {
    std::array<CharClass, 128> table{};
    for (char32_t c = 0; c < 128; ++c)
        table[c] = classOf(c);
    return table;
}();

// The character at s[p]; a byte that is not valid UTF-8 reads as U+FFFD
// (Other) of length 1.
inline Char readChar(std::string_view s, std::size_t p)
{
    const auto b = static_cast<unsigned char>(s[p]);
    if (b < 0x80)
        return Char{b, 1, kAsciiClass[b]};
    char32_t cp;
    const std::size_t used = unicode::decodeUtf8(s.data() + p, s.data() + s.size(), cp);
    return Char{cp, static_cast<std::uint32_t>(used), classOf(cp)};
}

// The length of 's 't 're 've 'm 'll 'd at s[p] (an apostrophe), or 0.
std::size_t contractionAt(std::string_view s, std::size_t p)
{
    if (p + 1 >= s.size())
        return 0;
    const char a = s[p + 1];
    if (a == 's' || a == 't' || a == 'm' || a == 'd')
        return 2;
    if (p + 2 < s.size()) {
        const char b = s[p + 2];
        if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l'))
            return 3;
    }
    return 0;
}

// Calls onWord(begin, end) for each match of GPT-2's regex
// 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// in `s`, tried in that order at each position as a backtracking engine
// does. Every character falls in one alternative, so the words cover `s`.
template <typename OnWord>
void splitGpt2Words(std::string_view s, OnWord &&onWord)
{
    const std::size_t n = s.size();
    std::size_t p = 0;
    while (p < n) {
        const Char c = readChar(s, p);
        std::size_t q = p + c.length;
        std::size_t contraction = 0;
        if (c.cp == '\'' && (contraction = contractionAt(s, p)) > 0) {
            q = p + contraction;
        } else if (c.cls != CharClass::Whitespace
                   || (c.cp == ' ' && q < n && readChar(s, q).cls != CharClass::Whitespace)) {
            // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`: one space at most, then a run of one class.
            CharClass run = c.cls;
            if (run == CharClass::Whitespace) {
                const Char next = readChar(s, q);
                run = next.cls;
                q += next.length;
            }
            while (q < n) {
                const Char d = readChar(s, q);
                if (d.cls != run)
                    break;
                q += d.length;
            }
        } else {
            // `\s+(?!\S)` backs off one character so that a word after the
            // run keeps its space; a single one before a word is `\s+`.
            std::size_t last = p;
            while (q < n) {
                const Char d = readChar(s, q);
                if (d.cls != CharClass::Whitespace)
                    break;
                last = q;
                q += d.length;
            }
            if (q < n && last > p)
                q = last;
        }
        onWord(p, q);
        p = q;
    }
}

std::uint64_t pairKey(std::int32_t left, std::int32_t right)
{
    return (std::uint64_t(std::uint32_t(left)) << 32) | std::uint32_t(right);
}

} // namespace

struct ByteLevelBpe::MergeTable {
    struct Target {
        std::uint32_t rank;
        std::int32_t newId;
    };
    std::unordered_map<std::uint64_t, Target> byPair;

    const Target *find(std::int32_t left, std::int32_t right) const
    {
        const auto it = byPair.find(pairKey(left, right));
        return it == byPair.end() ? nullptr : &it->second;
    }
};

// Words seen before and their tokens, in shards that each have a lock.
// Threads only try the locks: a busy shard means merging the word again,
// never waiting. A full shard starts over, so the cache follows the text.
// Words are found by their 64-bit hash, then compared whole.
struct ByteLevelBpe::WordCache {
    static constexpr std::size_t kShards = 16;
    static constexpr std::size_t kWordsPerShard = 4096;
    static constexpr std::size_t kLongestWord = 256; // bytes; longer ones are rare and not kept

    struct Entry {
        std::string word;
        std::vector<WordToken> tokens;
    };
    struct Shard {
        std::shared_mutex mutex;
        std::unordered_map<std::uint64_t, Entry> words;
    };
    std::array<Shard, kShards> shards;

    static std::uint64_t hashOf(std::string_view word) { return std::hash<std::string_view>{}(word); }
    Shard &shardOf(std::uint64_t hash) { return shards[(hash >> 56) % kShards]; }

    bool find(std::string_view word, std::vector<WordToken> &out)
    {
        const std::uint64_t hash = hashOf(word);
        Shard &shard = shardOf(hash);
        std::shared_lock lock(shard.mutex, std::try_to_lock);
        if (!lock.owns_lock())
            return false;
        const auto it = shard.words.find(hash);
        if (it == shard.words.end() || it->second.word != word)
            return false;
        out.insert(out.end(), it->second.tokens.begin(), it->second.tokens.end());
        return true;
    }

    void insert(std::string_view word, const WordToken *tokens, std::size_t count)
    {
        if (word.size() > kLongestWord)
            return;
        const std::uint64_t hash = hashOf(word);
        Shard &shard = shardOf(hash);
        std::unique_lock lock(shard.mutex, std::try_to_lock);
        if (!lock.owns_lock())
            return;
        if (shard.words.size() >= kWordsPerShard)
            shard.words.clear();
        shard.words.insert_or_assign(hash, Entry{std::string(word), std::vector<WordToken>(tokens, tokens + count)});
    }
};

ByteLevelBpe::ByteLevelBpe()
    : mMerges(std::make_unique<MergeTable>())
    , mCache(std::make_unique<WordCache>())
{
    mByteIds.fill(-1);
}

ByteLevelBpe::ByteLevelBpe(Vocab vocab, const std::vector<std::pair<std::string, std::string>> &merges,
                           const Options &options)
    : mVocab(std::move(vocab))
    , mOptions(options)
    , mMerges(std::make_unique<MergeTable>())
    , mMergeCount(merges.size())
    , mCache(std::make_unique<WordCache>())
{
    for (int b = 0; b < 256; ++b)
        mByteIds[b] = mVocab.find(byteChar(static_cast<unsigned char>(b)));
    mMerges->byPair.reserve(merges.size());
    std::string joined;
    for (std::size_t rank = 0; rank < merges.size(); ++rank) {
        const auto &[left, right] = merges[rank];
        joined = left + right;
        const std::int32_t leftId = mVocab.find(left);
        const std::int32_t rightId = mVocab.find(right);
        const std::int32_t newId = mVocab.find(joined);
        if (leftId < 0 || rightId < 0 || newId < 0)
            throw std::invalid_argument("ByteLevelBpe: merge " + std::to_string(rank) + " is not in the vocabulary");
        // A merge listed twice keeps its last rank, as HF's hash map does.
        mMerges->byPair.insert_or_assign(pairKey(leftId, rightId),
                                         MergeTable::Target{static_cast<std::uint32_t>(rank), newId});
    }
}

ByteLevelBpe::ByteLevelBpe(ByteLevelBpe &&) noexcept = default;
ByteLevelBpe &ByteLevelBpe::operator=(ByteLevelBpe &&) noexcept = default;
ByteLevelBpe::~ByteLevelBpe() = default;

std::string ByteLevelBpe::checkMerge(const Vocab &vocab, std::string_view left, std::string_view right)
{
    for (std::string_view part : {left, right}) {
        if (vocab.find(part) < 0)
            return "\"" + std::string(part) + "\" is not in the vocabulary";
    }
    const std::string joined = std::string(left) + std::string(right);
    if (vocab.find(joined) < 0)
        return "the merged token \"" + joined + "\" is not in the vocabulary";
    return {};
}

std::string_view ByteLevelBpe::byteChar(unsigned char b)
{
    const ByteAlphabet &table = alphabet();
    return {table.utf8[b].data(), table.length[b]};
}

void ByteLevelBpe::appendDecoded(std::string_view token, std::string &bytes)
{
    const ByteAlphabet &table = alphabet();
    const std::size_t before = bytes.size();
    for (const char *p = token.data(), *end = p + token.size(); p < end;) {
        char32_t cp;
        p += unicode::decodeUtf8(p, end, cp);
        const int b = cp < ByteAlphabet::kLimit ? table.byteOf[cp] : -1;
        if (b < 0) {
            bytes.resize(before);
            bytes.append(token);
            return;
        }
        bytes.push_back(static_cast<char>(b));
    }
}

void ByteLevelBpe::tokenize(std::string_view text, std::size_t begin, std::size_t end, Scratch &scratch,
                            std::vector<Piece> &out) const
{
    if (begin >= end)
        return;
    std::string_view s = text.substr(begin, end - begin);
    // The added space stands for the text's first character in the spans.
    std::size_t shift = 0;
    std::uint32_t firstLength = 0;
    if (mOptions.addPrefixSpace && s.front() != ' ') {
        firstLength = readChar(s, 0).length;
        scratch.prefixed.assign(1, ' ');
        scratch.prefixed.append(s);
        s = scratch.prefixed;
        shift = 1;
    }
    const auto base = static_cast<std::uint32_t>(begin);
    splitGpt2Words(s, [&](std::size_t first, std::size_t last) {
        const std::string_view ascii = s.substr(first, last - first);
        scratch.tokens.clear();
        // ASCII words, most of them in most text, are their own bytes, one
        // per character.
        if (first >= shift && std::all_of(ascii.begin(), ascii.end(), [](char c) { return (c & 0x80) == 0; })) {
            tokenizeWord(ascii, scratch, scratch.tokens);
            const auto wordBegin = base + static_cast<std::uint32_t>(first - shift);
            for (const WordToken &token : scratch.tokens)
                out.push_back(Piece{token.id, wordBegin + token.start, wordBegin + token.start + token.length});
            return;
        }
        std::string &word = scratch.word;
        std::vector<std::uint32_t> &spans = scratch.spans;
        word.clear();
        spans.clear();
        for (std::size_t p = first; p < last;) {
            const Char c = readChar(s, p);
            const std::uint32_t spanBegin = p < shift ? base : base + static_cast<std::uint32_t>(p - shift);
            const std::uint32_t spanEnd = p < shift ? base + firstLength : spanBegin + c.length;
            const bool invalid = c.cp == unicode::kReplacementChar && c.length == 1;
            if (invalid)
                word.append("\xEF\xBF\xBD");
            else
                word.append(s.substr(p, c.length));
            for (std::size_t k = invalid ? 3 : c.length; k > 0; --k) {
                spans.push_back(spanBegin);
                spans.push_back(spanEnd);
            }
            p += c.length;
        }
        tokenizeWord(word, scratch, scratch.tokens);
        for (const WordToken &token : scratch.tokens)
            out.push_back(Piece{token.id, spans[2 * token.start], spans[2 * (token.start + token.length - 1) + 1]});
    });
}

void ByteLevelBpe::tokenizeWord(std::string_view word, Scratch &scratch, std::vector<WordToken> &out) const
{
    if (word.empty())
        return;
    if (mCache->find(word, out))
        return;
    const std::size_t first = out.size();
    if (mOptions.ignoreMerges) {
        scratch.chars.clear();
        for (char b : word)
            scratch.chars.append(byteChar(static_cast<unsigned char>(b)));
        const std::int32_t id = mVocab.find(scratch.chars);
        if (id >= 0)
            out.push_back(WordToken{id, 0, static_cast<std::uint32_t>(word.size())});
    }
    if (out.size() == first)
        mergeWord(word, scratch, out);
    mCache->insert(word, out.data() + first, out.size() - first);
}

void ByteLevelBpe::mergeWord(std::string_view word, Scratch &scratch, std::vector<WordToken> &out) const
{
    using Symbol = Scratch::Symbol;
    using Candidate = Scratch::Candidate;
    std::vector<Symbol> &symbols = scratch.symbols;
    std::vector<Candidate> &queue = scratch.queue;
    symbols.clear();
    queue.clear();
    for (std::size_t i = 0; i < word.size(); ++i) {
        std::int32_t id = mByteIds[static_cast<unsigned char>(word[i])];
        if (id < 0)
            id = mOptions.unkId;
        if (id < 0)
            continue;
        const auto index = static_cast<std::int32_t>(symbols.size());
        symbols.push_back(Symbol{id, index - 1, index + 1, static_cast<std::uint32_t>(i), 1});
    }
    if (symbols.empty())
        return;
    symbols.back().next = -1;

    // A min-heap on (rank, position), as tokenizers' Word::merge_all keeps it.
    const auto later = [](const Candidate &a, const Candidate &b) {
        return a.rank != b.rank ? a.rank > b.rank : a.pos > b.pos;
    };
    const auto push = [&](std::size_t pos, std::int32_t left, std::int32_t right) {
        if (const MergeTable::Target *merge = mMerges->find(left, right)) {
            queue.push_back(Candidate{merge->rank, static_cast<std::uint32_t>(pos), merge->newId});
            std::push_heap(queue.begin(), queue.end(), later);
        }
    };
    for (std::size_t i = 0; i + 1 < symbols.size(); ++i)
        push(i, symbols[i].id, symbols[i + 1].id);

    while (!queue.empty()) {
        std::pop_heap(queue.begin(), queue.end(), later);
        const Candidate top = queue.back();
        queue.pop_back();
        Symbol &left = symbols[top.pos];
        if (left.length == 0 || left.next < 0)
            continue;
        Symbol &right = symbols[static_cast<std::size_t>(left.next)];
        // Skip a candidate the merges around it have made stale.
        const MergeTable::Target *current = mMerges->find(left.id, right.id);
        if (!current || current->newId != top.newId)
            continue;
        left.id = top.newId;
        left.length = right.start + right.length - left.start;
        left.next = right.next;
        right.length = 0;
        if (left.next >= 0)
            symbols[static_cast<std::size_t>(left.next)].prev = static_cast<std::int32_t>(top.pos);
        if (left.prev >= 0)
            push(static_cast<std::size_t>(left.prev), symbols[static_cast<std::size_t>(left.prev)].id, left.id);
        if (left.next >= 0)
            push(top.pos, left.id, symbols[static_cast<std::size_t>(left.next)].id);
    }
    for (const Symbol &symbol : symbols) {
        if (symbol.length > 0)
            out.push_back(WordToken{symbol.id, symbol.start, symbol.length});
    }
}

std::string toValidUtf8(std::string_view bytes)
{
    std::string out;
    out.reserve(bytes.size());
    const char *p = bytes.data();
    const char *const end = p + bytes.size();
    while (p < end) {
        char32_t cp;
        const std::size_t used = unicode::decodeUtf8(p, end, cp);
        if (cp != unicode::kReplacementChar || used != 1) {
            out.append(p, used);
            p += used;
            continue;
        }
        // The maximal subpart: a lead byte and the continuation bytes that
        // could still have completed it (Unicode's "best practice").
        const auto b0 = static_cast<unsigned char>(*p);
        std::size_t need = 0;
        unsigned char low = 0x80;
        unsigned char high = 0xBF;
        if (b0 >= 0xC2 && b0 <= 0xDF) {
            need = 1;
        } else if (b0 >= 0xE0 && b0 <= 0xEF) {
            need = 2;
            low = b0 == 0xE0 ? 0xA0 : 0x80;
            high = b0 == 0xED ? 0x9F : 0xBF;
        } else if (b0 >= 0xF0 && b0 <= 0xF4) {
            need = 3;
            low = b0 == 0xF0 ? 0x90 : 0x80;
            high = b0 == 0xF4 ? 0x8F : 0xBF;
        }
        std::size_t skip = 1;
        for (std::size_t k = 1; k <= need && p + k < end; ++k) {
            const auto b = static_cast<unsigned char>(p[k]);
            if (b < (k == 1 ? low : 0x80) || b > (k == 1 ? high : 0xBF))
                break;
            skip = k + 1;
        }
        out.append("\xEF\xBF\xBD");
        p += skip;
    }
    return out;
}

} // namespace ft
