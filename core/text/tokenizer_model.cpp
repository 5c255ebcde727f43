// tokenizer_model.cpp: the text -> tokens pipeline of HF's fast tokenizer
// (added tokens, normalizer, pre-tokenizer, model) keeping byte spans, and
// its decoders.
#include "text/tokenizer_model.h"

#include "common/error.h"
#include "text/bert_pre_tokenizer.h"
#include "text/unicode.h"

#include <algorithm>
#include <optional>
#include <utility>

namespace ft {

namespace {

// Appends the word pieces of one word, chars[0, count), with the span of
// input bytes each piece's characters came from.
void tokenizeWord(const TokenizerModel &model, const NormalizedChar *chars, std::size_t count,
                  TokenizeScratch &scratch, std::vector<TokenPiece> &out)
{
    std::string &word = scratch.word;
    std::vector<std::uint32_t> &starts = scratch.wordStarts;
    word.clear();
    starts.clear();
    for (std::size_t i = 0; i < count; ++i) {
        starts.push_back(static_cast<std::uint32_t>(word.size()));
        unicode::appendUtf8(word, chars[i].cp);
    }
    starts.push_back(static_cast<std::uint32_t>(word.size()));

    scratch.pieces.clear();
    model.wordPiece()->tokenize(word, count, scratch.pieces);
    std::size_t c = 0;
    for (const WordPiece::Piece &piece : scratch.pieces) {
        while (starts[c] < piece.begin)
            ++c;
        std::uint32_t begin = chars[c].begin;
        std::uint32_t end = chars[c].end;
        for (; starts[c] < piece.end; ++c) {
            begin = std::min(begin, chars[c].begin);
            end = std::max(end, chars[c].end);
        }
        out.push_back(TokenPiece{piece.id, begin, end});
    }
}

void tokenizeWords(const TokenizerModel &model, const NormalizedChar *chars, std::size_t count,
                   TokenizeScratch &scratch, std::vector<TokenPiece> &out)
{
    splitBertWords(chars, count, [&](std::size_t first, std::size_t last) {
        tokenizeWord(model, chars + first, last - first, scratch, out);
    });
}

void tokenizeByteLevel(const ByteLevelBpe &bpe, std::string_view text, std::size_t begin, std::size_t end,
                       TokenizeScratch &scratch, std::vector<TokenPiece> &out)
{
    scratch.bpePieces.clear();
    bpe.tokenize(text, begin, end, scratch.bpe, scratch.bpePieces);
    for (const ByteLevelBpe::Piece &piece : scratch.bpePieces)
        out.push_back(TokenPiece{piece.id, piece.begin, piece.end});
}

// Byte-level BPE has no normalizer: normalized added tokens are found in the
// raw text of each stretch, and what lies between goes to the BPE whole.
void tokenizeByteLevelSegment(const TokenizerModel &model, const ByteLevelBpe &bpe, std::string_view text,
                              std::size_t begin, std::size_t end, TokenizeScratch &scratch,
                              std::vector<TokenPiece> &out)
{
    scratch.normalizedMatches.clear();
    if (model.added.hasNormalized())
        model.added.findNormalized(text.substr(begin, end - begin), scratch.normalizedMatches);
    std::size_t done = begin;
    for (const AddedVocabulary::Match &match : scratch.normalizedMatches) {
        tokenizeByteLevel(bpe, text, done, begin + match.begin, scratch, out);
        out.push_back(TokenPiece{match.id, static_cast<std::uint32_t>(begin + match.begin),
                                 static_cast<std::uint32_t>(begin + match.end)});
        done = begin + match.end;
    }
    tokenizeByteLevel(bpe, text, done, end, scratch, out);
}

// One stretch of text between raw added tokens: text[begin, end).
void tokenizeSegment(const TokenizerModel &model, std::string_view text, std::size_t begin, std::size_t end,
                     TokenizeScratch &scratch, std::vector<TokenPiece> &out)
{
    if (const ByteLevelBpe *bpe = model.byteLevelBpe()) {
        tokenizeByteLevelSegment(model, *bpe, text, begin, end, scratch, out);
        return;
    }
    // Llama-style BPE reads the raw text too (its "▁" rules are its own).
    if (const SentencePieceBpe *bpe = model.sentencePieceBpe()) {
        scratch.bpePiecesSp.clear();
        bpe->tokenize(text, begin, end, scratch.bpePiecesSp);
        for (const SentencePieceBpe::Piece &piece : scratch.bpePiecesSp)
            out.push_back(TokenPiece{piece.id, piece.begin, piece.end});
        return;
    }
    // SentencePiece normalizes inside libsentencepiece; its added tokens are
    // all matched in the raw text.
    if (const SentencePieceModel *spm = model.sentencePiece()) {
        scratch.spmPieces.clear();
        spm->tokenize(text, begin, end, scratch.spmPieces);
        for (const SentencePieceModel::Piece &piece : scratch.spmPieces)
            out.push_back(TokenPiece{piece.id, piece.begin, piece.end});
        return;
    }
    std::vector<NormalizedChar> &chars = scratch.chars;
    chars.clear();
    model.normalizer.normalize(text.substr(begin, end - begin), static_cast<std::uint32_t>(begin), chars);
    if (!model.added.hasNormalized()) {
        tokenizeWords(model, chars.data(), chars.size(), scratch, out);
        return;
    }

    // Normalized added tokens are found in the normalized text; the words
    // between them go on to the pre-tokenizer.
    std::string &normalized = scratch.normalizedText;
    std::vector<std::uint32_t> &starts = scratch.charStarts;
    normalized.clear();
    starts.clear();
    for (const NormalizedChar &c : chars) {
        starts.push_back(static_cast<std::uint32_t>(normalized.size()));
        unicode::appendUtf8(normalized, c.cp);
    }
    starts.push_back(static_cast<std::uint32_t>(normalized.size()));
    scratch.normalizedMatches.clear();
    model.added.findNormalized(normalized, scratch.normalizedMatches);
    const auto charAt = [&](std::size_t byte) {
        return static_cast<std::size_t>(std::lower_bound(starts.begin(), starts.end(), byte) - starts.begin());
    };
    std::size_t done = 0;
    for (const AddedVocabulary::Match &match : scratch.normalizedMatches) {
        const std::size_t first = charAt(match.begin);
        const std::size_t last = charAt(match.end);
        tokenizeWords(model, chars.data() + done, first - done, scratch, out);
        std::uint32_t spanBegin = chars[first].begin;
        std::uint32_t spanEnd = chars[first].end;
        for (std::size_t c = first; c < last; ++c) {
            spanBegin = std::min(spanBegin, chars[c].begin);
            spanEnd = std::max(spanEnd, chars[c].end);
        }
        out.push_back(TokenPiece{match.id, spanBegin, spanEnd});
        done = last;
    }
    tokenizeWords(model, chars.data() + done, chars.size() - done, scratch, out);
}

// How many characters `token` starts and ends with that are "Ġ" (a
// byte-level space) or whitespace.
std::pair<std::size_t, std::size_t> spacesAtEnds(std::string_view token)
{
    std::size_t leading = 0;
    std::size_t trailing = 0;
    bool inLead = true;
    for (const char *p = token.data(), *end = p + token.size(); p < end;) {
        char32_t cp;
        p += unicode::decodeUtf8(p, end, cp);
        if (cp == 0x0120 || unicode::isWhitespace(cp)) {
            leading += inLead ? 1 : 0;
            ++trailing;
        } else {
            inLead = false;
            trailing = 0;
        }
    }
    return {leading, trailing};
}

// HF trims offsets counted in characters (what its Python and JavaScript
// bindings report), so spans move by characters of the input here.
std::uint32_t charsForward(std::string_view text, std::uint32_t at, std::size_t count, std::uint32_t limit)
{
    for (; count > 0 && at < limit; --count) {
        char32_t cp;
        at += static_cast<std::uint32_t>(unicode::decodeUtf8(text.data() + at, text.data() + text.size(), cp));
    }
    return std::min(at, limit);
}

// `count` characters before `at`, or nothing when the text has fewer.
std::optional<std::uint32_t> charsBack(std::string_view text, std::uint32_t at, std::size_t count)
{
    for (; count > 0; --count) {
        if (at == 0)
            return std::nullopt;
        // The longest valid character that ends at `at`, else one bad byte.
        std::uint32_t length = 1;
        for (std::uint32_t n = std::min<std::uint32_t>(4, at); n > 1; --n) {
            char32_t cp;
            if (unicode::decodeUtf8(text.data() + at - n, text.data() + at, cp) == n) {
                length = n;
                break;
            }
        }
        at -= length;
    }
    return at;
}

bool isSpecialToken(const TokenizerModel &model, std::string_view token)
{
    const auto &tokens = model.added.tokens();
    return std::any_of(tokens.begin(), tokens.end(),
                       [&](const AddedToken &added) { return added.special && added.content == token; });
}

void replaceAll(std::string &text, std::string_view from, std::string_view to)
{
    for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
        text.replace(at, from.size(), to);
}

// tokenizers' decoders::wordpiece::cleanup.
void cleanUpTokenization(std::string &text)
{
    static constexpr std::pair<std::string_view, std::string_view> kRules[] = {
        {" .", "."}, {" ?", "?"}, {" !", "!"}, {" ,", ","}, {" ' ", "'"}, {" n't", "n't"},
        {" 'm", "'m"}, {" do not", " don't"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"},
    };
    for (const auto &[from, to] : kRules)
        replaceAll(text, from, to);
}

} // namespace

const Vocab &TokenizerModel::vocab() const
{
    return std::visit([](const auto &model) -> const Vocab & { return model.vocab(); }, words);
}

std::int64_t TokenizerModel::idOf(std::string_view token) const
{
    const std::int32_t addedId = added.find(token);
    return addedId >= 0 ? addedId : vocab().find(token);
}

std::string_view TokenizerModel::tokenOf(std::int64_t id) const
{
    if (const std::string *content = added.content(id))
        return *content;
    return vocab().token(id);
}

bool TokenizerModel::hasId(std::int64_t id) const
{
    return added.content(id) != nullptr || vocab().hasId(id);
}

void tokenizeText(const TokenizerModel &model, std::string_view text, TokenizeScratch &scratch,
                  std::vector<TokenPiece> &out)
{
    if (text.size() >= 0xFFFFFFFFu) {
        throw Error(ErrorKind::InvalidInput,
                    "a text of " + std::to_string(text.size()) + " bytes is too long to tokenize (4 GiB at most)");
    }
    scratch.rawMatches.clear();
    model.added.findRaw(text, scratch.rawMatches);
    std::size_t done = 0;
    for (const AddedVocabulary::Match &match : scratch.rawMatches) {
        if (done < match.begin)
            tokenizeSegment(model, text, done, match.begin, scratch, out);
        out.push_back(TokenPiece{match.id, static_cast<std::uint32_t>(match.begin),
                                 static_cast<std::uint32_t>(match.end)});
        done = match.end;
    }
    if (done < text.size())
        tokenizeSegment(model, text, done, text.size(), scratch, out);
}

void trimOffsets(const TokenizerModel &model, std::string_view text, std::vector<TokenPiece> &pieces)
{
    for (std::size_t i = 0; i < pieces.size(); ++i) {
        TokenPiece &piece = pieces[i];
        // An added token is the text it matched, with the spaces lstrip or
        // rstrip took; a model token is its byte-level string.
        const std::string_view token = model.added.content(piece.id)
            ? text.substr(piece.begin, piece.end - piece.begin)
            : model.tokenOf(piece.id);
        auto [leading, trailing] = spacesAtEnds(token);
        if (leading > 0) {
            const bool first = i == 0 || piece.begin == 0;
            if (first && model.postProcessor.addPrefixSpace && leading == 1)
                leading = 0;
            piece.begin = charsForward(text, piece.begin, leading, piece.end);
        }
        if (trailing > 0) {
            if (const auto back = charsBack(text, piece.end, trailing))
                piece.end = std::max(*back, piece.begin);
        }
    }
}

std::string decodeIds(const TokenizerModel &model, std::span<const std::int64_t> ids, bool skipSpecialTokens)
{
    std::string text;
    if (model.byteLevelBpe()) {
        for (std::int64_t id : ids) {
            const std::string_view token = model.tokenOf(id);
            if (!model.hasId(id) || (skipSpecialTokens && isSpecialToken(model, token)))
                continue;
            ByteLevelBpe::appendDecoded(token, text);
        }
        return toValidUtf8(text);
    }
    if (const SentencePieceBpe *bpe = model.sentencePieceBpe()) {
        std::vector<std::string_view> tokens;
        for (std::int64_t id : ids) {
            const std::string_view token = model.tokenOf(id);
            if (model.hasId(id) && !(skipSpecialTokens && isSpecialToken(model, token)))
                tokens.push_back(token);
        }
        return bpe->decode(tokens);
    }
    if (model.sentencePiece()) {
        bool first = true;
        for (std::int64_t id : ids) {
            const std::string_view token = model.tokenOf(id);
            if (!model.hasId(id) || (skipSpecialTokens && isSpecialToken(model, token)))
                continue;
            SentencePieceModel::appendDecoded(token, first, text);
            first = false;
        }
        return text;
    }

    // HF's WordPiece decoder (cleanup on, as BERT's tokenizer.json has it).
    const std::string &prefix = model.wordPiece()->continuingSubwordPrefix();
    bool first = true;
    std::string piece;
    for (std::int64_t id : ids) {
        const std::string_view token = model.tokenOf(id);
        if (!model.hasId(id) || (skipSpecialTokens && isSpecialToken(model, token)))
            continue;
        piece.clear();
        if (first)
            piece = token;
        else if (token.starts_with(prefix))
            piece = token.substr(prefix.size());
        else
            piece.append(" ").append(token);
        first = false;
        cleanUpTokenization(piece);
        text += piece;
    }
    return text;
}

} // namespace ft
