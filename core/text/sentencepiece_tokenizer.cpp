// sentencepiece_tokenizer.cpp: XLM-R's SentencePiece model through libsentencepiece, fairseq's ids, HF's spans,
// and the tokenizer of a folder's sentencepiece.bpe.model as transformers' XLM-R tokenizers assemble it.
#include "text/sentencepiece_tokenizer.h"

#include "common/error.h"
#include "text/json_file.h"
#include "text/proto_fields.h"
#include "text/sentencepiece_library.h"
#include "text/tokenizer_config.h"
#include "text/tokenizer_files.h"
#include "text/unicode.h"

#include <utf8proc.h>

#include <algorithm>
#include <optional>

namespace ft {

namespace {

constexpr std::string_view kSpaceSymbol = "\xE2\x96\x81"; // U+2581, SentencePiece's stand-in for a space

// The model's normalization table (its precompiled_charsmap): a darts-clone double-array trie over UTF-8 and the
// NUL-terminated strings it maps to, as libsentencepiece and HF's Precompiled normalizer read it. Only HF's use
// of it is repeated here, to place token spans where HF's fast tokenizer does; the tokens come from
// libsentencepiece.
class CharsMap {
public:
    CharsMap() = default;
    explicit CharsMap(std::string_view blob)
    {
        if (blob.size() <= 4)
            return;
        const auto word = [&](std::size_t at) {
            std::uint32_t value = 0;
            for (int i = 3; i >= 0; --i)
                value = (value << 8) | static_cast<unsigned char>(blob[at + std::size_t(i)]);
            return value;
        };
        const std::uint32_t trieBytes = word(0);
        if (trieBytes >= blob.size() - 4 || trieBytes % 4 != 0)
            return;
        mUnits.resize(trieBytes / 4);
        for (std::size_t u = 0; u < mUnits.size(); ++u)
            mUnits[u] = word(4 + u * 4);
        mStrings = std::string(blob.substr(4 + trieBytes));
    }

    bool empty() const { return mUnits.empty(); }

    // HF's Precompiled::transform: the string of the shortest key `chunk` starts with, standing for all of
    // `chunk` (so a grapheme whose first letters have an entry loses the rest of its marks, as HF has it).
    std::optional<std::string_view> transform(std::string_view chunk) const
    {
        if (mUnits.empty())
            return std::nullopt;
        const auto offset = [](std::uint32_t unit) { return (unit >> 10) << ((unit & (1u << 9)) >> 6); };
        std::size_t node = offset(mUnits[0]);
        for (std::size_t i = 0; i < chunk.size(); ++i) {
            const auto byte = static_cast<unsigned char>(chunk[i]);
            node ^= byte;
            if (node >= mUnits.size() || (mUnits[node] & ((1u << 31) | 0xFF)) != byte)
                return std::nullopt;
            const std::uint32_t unit = mUnits[node];
            node ^= offset(unit);
            if (node >= mUnits.size())
                return std::nullopt;
            if ((unit >> 8) & 1) {
                const std::uint32_t value = mUnits[node] & ((1u << 31) - 1);
                if (value >= mStrings.size())
                    return std::nullopt;
                return std::string_view(mStrings.c_str() + value);
            }
        }
        return std::nullopt;
    }

private:
    std::vector<std::uint32_t> mUnits;
    std::string mStrings;
};

// A character of the text as HF's normalizer and pre-tokenizer leave it, and the bytes of the input HF aligns
// it with.
struct AlignedChar {
    char32_t cp;
    std::uint32_t begin;
    std::uint32_t end;
};

// Rust's char::is_whitespace (White_Space), which HF's Strip normalizer uses.
bool isRustWhitespace(char32_t cp)
{
    return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680
        || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F
        || cp == 0x3000;
}

constexpr char32_t kSpaceSymbolCp = 0x2581;

// The characters of `segment` after XLMRobertaConverter's normalizer (Precompiled, Strip right,
// Replace(" {2,}", "▁")) and Metaspace's replacement and prepended "▁", each with the input bytes HF's
// NormalizedString aligns it with, following its rules: a character Precompiled puts in place of several
// takes the first one's bytes, one it adds takes the previous one's, and a character it drops before any
// other is never accounted for, which shifts the alignments after it (a quirk of HF's, kept).
void alignAsHf(std::string_view segment, const CharsMap &map, std::vector<AlignedChar> &chars,
               std::vector<std::pair<char32_t, int>> &changes, std::vector<AlignedChar> &out)
{
    chars.clear();
    for (std::size_t at = 0; at < segment.size();) {
        char32_t cp;
        const std::size_t length = unicode::decodeUtf8(segment.data() + at, segment.data() + segment.size(), cp);
        chars.push_back(AlignedChar{cp, std::uint32_t(at), std::uint32_t(at + length)});
        at += length;
    }
    const auto bytesOf = [&](std::size_t first, std::size_t last) {
        return segment.substr(chars[first].begin, chars[last - 1].end - chars[first].begin);
    };

    // Precompiled: per extended grapheme cluster, the whole cluster (under 6 bytes) or else each character.
    changes.clear();
    bool modified = false;
    const auto replace = [&](std::size_t oldCount, std::string_view replacement) {
        modified = true;
        long added = -long(oldCount);
        for (std::size_t at = 0; at < replacement.size(); ++added) {
            char32_t cp;
            at += unicode::decodeUtf8(replacement.data() + at, replacement.data() + replacement.size(), cp);
            changes.emplace_back(cp, 0);
        }
        if (added > 0) {
            for (long k = 0; k < added; ++k)
                changes[changes.size() - 1 - std::size_t(k)].second = 1;
        } else if (added < 0 && !changes.empty()) {
            changes.back().second += int(added);
        }
    };
    utf8proc_int32_t state = 0;
    for (std::size_t first = 0; first < chars.size();) {
        std::size_t last = first + 1;
        while (last < chars.size()
               && !utf8proc_grapheme_break_stateful(utf8proc_int32_t(chars[last - 1].cp),
                                                    utf8proc_int32_t(chars[last].cp), &state))
            ++last;
        const std::string_view grapheme = bytesOf(first, last);
        if (const auto whole = grapheme.size() < 6 ? map.transform(grapheme) : std::nullopt) {
            replace(last - first, *whole);
        } else {
            for (std::size_t c = first; c < last; ++c) {
                if (const auto part = map.transform(bytesOf(c, c + 1)))
                    replace(1, *part);
                else
                    changes.emplace_back(chars[c].cp, 0);
            }
        }
        first = last;
    }
    out.clear();
    if (!modified) {
        out = chars;
    } else {
        std::size_t next = 0; // the next input character a change replaces
        for (const auto &[cp, change] : changes) {
            AlignedChar aligned{cp, 0, 0};
            if (change > 0) {
                if (next > 0)
                    aligned = AlignedChar{cp, chars[next - 1].begin, chars[next - 1].end};
            } else {
                const AlignedChar &source = chars[std::min(next, chars.size() - 1)];
                aligned = AlignedChar{cp, source.begin, source.end};
                next += 1 + std::size_t(-change);
            }
            out.push_back(aligned);
        }
    }

    // Strip (right), then runs of spaces as one "▁" aligned with the run's last space, other spaces as "▁",
    // and a "▁" before a text that does not start with one, aligned with its first character.
    while (!out.empty() && isRustWhitespace(out.back().cp))
        out.pop_back();
    std::size_t kept = 0;
    for (std::size_t i = 0; i < out.size();) {
        std::size_t run = i;
        while (run < out.size() && out[run].cp == U' ')
            ++run;
        if (run > i) {
            out[kept++] = AlignedChar{kSpaceSymbolCp, out[run - 1].begin, out[run - 1].end};
            i = run;
        } else {
            out[kept++] = out[i++];
        }
    }
    out.resize(kept);
    if (!out.empty() && out.front().cp != kSpaceSymbolCp)
        out.insert(out.begin(), AlignedChar{kSpaceSymbolCp, out.front().begin, out.front().end});
}

} // namespace

struct SentencePieceModel::Impl {
    std::unique_ptr<SentencePieceProcessor> processor;
    CharsMap charsMap;
};

namespace {

// One piece of libsentencepiece's SentencePieceText (1: piece, 2: id, 4: begin, 5: end).
struct EncodedPiece {
    std::string_view piece;
    int id = 0;
    std::size_t begin = 0;
    std::size_t end = 0;
};

// The pieces of a serialized SentencePieceText (2: pieces).
void readEncodedPieces(std::string_view text, std::vector<EncodedPiece> &out)
{
    out.clear();
    ProtoFields fields(text);
    while (fields.next()) {
        if (fields.field() != 2)
            continue;
        EncodedPiece piece;
        ProtoFields parts(fields.payload());
        while (parts.next()) {
            switch (parts.field()) {
            case 1: piece.piece = parts.payload(); break;
            case 2: piece.id = int(parts.varint()); break;
            case 4: piece.begin = std::size_t(parts.varint()); break;
            case 5: piece.end = std::size_t(parts.varint()); break;
            default: break;
            }
        }
        out.push_back(piece);
    }
}

} // namespace

SentencePieceModel::SentencePieceModel() = default;
SentencePieceModel::SentencePieceModel(SentencePieceModel &&) noexcept = default;
SentencePieceModel &SentencePieceModel::operator=(SentencePieceModel &&) noexcept = default;
SentencePieceModel::~SentencePieceModel() = default;

SentencePieceModel SentencePieceModel::load(const std::filesystem::path &file)
{
    const std::string bytes = readFileBytes(file);
    auto impl = std::make_unique<Impl>();
    std::string failure;
    impl->processor = SentencePieceProcessor::load(bytes, failure);
    if (!impl->processor) {
        throw Error(ErrorKind::InvalidInput, file.string() + ": not a SentencePiece model libsentencepiece can load ("
                                                 + failure + ")");
    }
    const SentencePieceProcessor &processor = *impl->processor;
    const int size = processor.pieceSize();
    if (size < 3 || !processor.isUnknown(0) || !processor.isControl(1) || !processor.isControl(2)) {
        throw Error(ErrorKind::Incompatible, file.string() + ": the first pieces must be <unk> <s> </s>, the layout "
                                                             "XLM-R's fairseq ids are counted from");
    }
    if (size + 1 > Vocab::kMaxId)
        throw Error(ErrorKind::InvalidInput, file.string() + ": too many pieces (" + std::to_string(size) + ")");

    SentencePieceModel model;
    model.mVocab.reserve(std::size_t(size) + 2);
    model.mVocab.add("<s>", kBosId);
    model.mVocab.add("<pad>", kPadId);
    model.mVocab.add("</s>", kEosId);
    model.mVocab.add("<unk>", kUnkId);
    for (int id = 3; id < size; ++id)
        model.mVocab.add(processor.idToPiece(id), id + kFairseqOffset);
    model.mMaskId = size + kFairseqOffset;
    model.mVocab.add("<mask>", model.mMaskId);

    // Piece types and the normalization table, from the ModelProto itself (1: pieces, each 1: piece, 3: type;
    // 3: normalizer_spec, 2: precompiled_charsmap). Types: 3 control, 4 user-defined.
    const std::string proto = processor.serializedModelProto();
    ProtoFields fields(proto);
    int pieceIndex = 0;
    while (fields.next()) {
        if (fields.field() == 1) {
            ProtoFields piece(fields.payload());
            std::uint64_t type = 1;
            while (piece.next())
                if (piece.field() == 3)
                    type = piece.varint();
            const std::string &content = processor.idToPiece(pieceIndex);
            if ((type == 3 || type == 4) && model.mVocab.find(content) >= 0)
                model.mAddedPieces.push_back({content, model.mVocab.find(content), type == 3});
            ++pieceIndex;
        } else if (fields.field() == 3) {
            ProtoFields normalizer(fields.payload());
            while (normalizer.next())
                if (normalizer.field() == 2)
                    impl->charsMap = CharsMap(normalizer.payload());
        }
    }
    model.mImpl = std::move(impl);
    return model;
}

void SentencePieceModel::tokenize(std::string_view text, std::size_t begin, std::size_t end,
                                  std::vector<Piece> &out) const
{
    if (begin >= end)
        return;
    const std::string_view segment = text.substr(begin, end - begin);
    // Buffers per thread, so that encoding a batch reuses them.
    thread_local std::string encodedText;
    thread_local std::vector<EncodedPiece> encoded;
    thread_local std::vector<AlignedChar> chars;
    thread_local std::vector<AlignedChar> aligned;
    thread_local std::vector<std::pair<char32_t, int>> changes;
    encodedText = mImpl->processor->encodeAsSerializedProto(segment);
    if (encodedText.empty())
        throw Error(ErrorKind::Internal, "libsentencepiece could not encode a text");
    readEncodedPieces(encodedText, encoded);

    // libsentencepiece spans the "▁" it puts before the first word with no bytes, a run of spaces from its
    // first, a character it drops with the token before; HF differs (see alignAsHf). Where both normalize
    // the text to as many characters (all but rare texts), the tokens' characters (a piece of <unk> holds
    // the text it stands for) count off HF's, and each token takes the bytes of its characters there.
    alignAsHf(segment, mImpl->charsMap, chars, changes, aligned);
    const std::size_t count = encoded.size();
    std::size_t total = 0;
    for (std::size_t i = 0; i < count; ++i) {
        const std::string_view piece = encoded[i].piece;
        total += std::size_t(std::count_if(piece.begin(), piece.end(), [](char c) { return (c & 0xC0) != 0x80; }));
    }
    const bool hfSpans = total == aligned.size();

    std::size_t next = 0; // the first character of the token in `aligned`
    for (std::size_t i = 0; i < count; ++i) {
        const EncodedPiece &piece = encoded[i];
        const int spmId = piece.id;
        const std::int32_t id = mImpl->processor->isUnknown(spmId) ? kUnkId : spmId + kFairseqOffset;
        std::size_t from = std::min<std::size_t>(piece.begin, segment.size());
        std::size_t to = std::clamp<std::size_t>(piece.end, from, segment.size());
        const std::string_view string = piece.piece;
        const auto length =
            std::size_t(std::count_if(string.begin(), string.end(), [](char c) { return (c & 0xC0) != 0x80; }));
        if (hfSpans && length > 0) {
            from = aligned[next].begin;
            to = aligned[next + length - 1].end;
        }
        next += length;
        out.push_back(Piece{id, static_cast<std::uint32_t>(begin + from), static_cast<std::uint32_t>(begin + to)});
    }
}

void SentencePieceModel::appendDecoded(std::string_view token, bool firstToken, std::string &text)
{
    for (std::size_t at = 0; at < token.size();) {
        if (token.substr(at).starts_with(kSpaceSymbol)) {
            if (!firstToken)
                text += ' ';
            at += kSpaceSymbol.size();
        } else {
            text += token[at++];
        }
    }
}

bool readsSentencePieceModel(const std::filesystem::path &folder)
{
    std::error_code ec;
    if (!std::filesystem::is_regular_file(folder / kSentencePieceModelFile, ec))
        return false;
    if (!std::filesystem::exists(folder / "tokenizer.json", ec))
        return true;
    // XLM-R's tokenizer.json is a Unigram model converted from this very file (which gives the same tokens);
    // another class's tokenizer.json is that class's own.
    const std::string tokenizerClass = readTokenizerConfig(folder).tokenizerClass;
    return tokenizerClass.empty() || tokenizerClass.starts_with("XLMRoberta");
}

std::shared_ptr<const TokenizerModel> loadSentencePieceModel(const std::filesystem::path &file)
{
    const std::filesystem::path folder = file.parent_path();
    const TokenizerConfig config = readTokenizerConfig(folder, TokenizerConfig::defaults(TokenizerFamily::Roberta));
    if (!config.tokenizerClass.empty() && !config.tokenizerClass.starts_with("XLMRoberta")) {
        throw Error(ErrorKind::Incompatible,
                    (folder / "tokenizer_config.json").string() + ": tokenizer_class \"" + config.tokenizerClass
                        + "\" reads " + file.filename().string()
                        + " with ids of its own; only XLMRobertaTokenizer's are supported");
    }

    auto model = std::make_shared<TokenizerModel>();
    model->source = file;
    model->normalizer = BertNormalizer::identity();
    model->words = SentencePieceModel::load(file);
    const SentencePieceModel &words = *model->sentencePiece();

    // Added tokens as XLMRobertaTokenizerFast holds them, all matched in the raw text (none normalized): those
    // tokenizer_config.json lists with ids, the model's control and user-defined pieces, then the special
    // tokens, a name the vocabulary lacks at the next free id.
    std::vector<AddedToken> added = config.addedTokensDecoder;
    const auto known = [&](const std::string &content) {
        return std::any_of(added.begin(), added.end(), [&](const AddedToken &token) { return token.content == content; });
    };
    for (const SentencePieceModel::AddedPiece &piece : words.addedPieces()) {
        if (!known(piece.content))
            added.push_back(AddedToken{piece.content, piece.id, piece.special});
    }
    std::int64_t nextId = words.vocab().idLimit();
    for (const AddedToken &token : added)
        nextId = std::max<std::int64_t>(nextId, token.id + 1);
    std::vector<AddedToken> specials = {config.bos, config.eos, config.unk, config.sep,
                                        config.pad, config.cls, config.mask};
    specials.insert(specials.end(), config.additionalSpecial.begin(), config.additionalSpecial.end());
    for (AddedToken token : specials) {
        if (token.content.empty() || known(token.content))
            continue;
        token.id = words.vocab().find(token.content);
        if (token.id < 0)
            token.id = static_cast<std::int32_t>(nextId++);
        added.push_back(std::move(token));
    }
    for (AddedToken &token : added)
        token.normalized = false;
    model->added = AddedVocabulary(std::move(added), model->normalizer);
    applyTokenizerConfig(config, *model);
    model->unkId = model->idOf(config.unk.content);
    if (model->unkId < 0)
        model->unkId = SentencePieceModel::kUnkId;

    for (const auto &[token, id] : {std::pair{&config.cls, model->clsId}, std::pair{&config.sep, model->sepId}}) {
        if (id < 0) {
            throw Error(ErrorKind::InvalidInput, file.string() + ": the special token \"" + token->content
                                                     + "\" (from tokenizer_config.json) is not a token");
        }
    }
    // XLMRobertaConverter's template: <s> $A </s> and <s> $A </s> </s> $B </s>, all of token type 0.
    model->postProcessor = PostProcessor::roberta(config.cls.content, std::int32_t(model->clsId), config.sep.content,
                                                  std::int32_t(model->sepId), false, false);
    return model;
}

} // namespace ft
