// tokenizer.cpp: encoding with truncation, the special-token template and
// padding, over the pipeline of tokenizer_model.h; decoding.
#include "text/tokenizer.h"

#include "common/error.h"
#include "text/tokenizer_files.h"
#include "text/tokenizer_model.h"

#include <algorithm>

namespace ft {

namespace {

// Per-thread buffers, so that encoding allocates little per text.
struct Work {
    TokenizeScratch scratch;
    std::vector<TokenPiece> first;
    std::vector<TokenPiece> second;
};

Work &threadWork()
{
    thread_local Work work;
    return work;
}

std::size_t effectiveMaxLength(const TokenizerModel &model, const EncodeOptions &options)
{
    return options.maxLength > 0 ? options.maxLength : model.modelMaxLength;
}

// Tokenizes one text or a pair into work.first/second and truncates them;
// returns the untruncated length (special tokens included).
std::size_t tokenizeAndTruncate(const TokenizerModel &model, std::string_view text, const std::string_view *pair,
                                const EncodeOptions &options, Work &work)
{
    work.first.clear();
    work.second.clear();
    tokenizeText(model, text, work.scratch, work.first);
    if (pair)
        tokenizeText(model, *pair, work.scratch, work.second);
    // Trimming only moves spans, and the first token, which its rule looks
    // at, survives truncation: trimming before truncating is the same.
    if (model.postProcessor.trimOffsets) {
        trimOffsets(model, text, work.first);
        if (pair)
            trimOffsets(model, *pair, work.second);
    }
    const std::size_t added = options.addSpecialTokens ? model.postProcessor.addedTokens(pair != nullptr) : 0;
    const std::size_t untruncated = work.first.size() + work.second.size() + added;
    const std::size_t maxLength = effectiveMaxLength(model, options);
    if (options.truncation && maxLength > 0 && untruncated > maxLength) {
        if (maxLength < added) {
            throw Error(ErrorKind::InvalidInput, "max_length " + std::to_string(maxLength)
                                                     + " leaves no room for the " + std::to_string(added)
                                                     + " special tokens");
        }
        std::size_t firstLength = work.first.size();
        std::size_t secondLength = work.second.size();
        if (pair)
            truncateLongestFirst(firstLength, secondLength, maxLength - added);
        else
            firstLength = std::min(firstLength, maxLength - added);
        work.first.resize(firstLength);
        work.second.resize(secondLength);
    }
    return untruncated;
}

// Calls emit(id, typeId, span) for every token of the template applied to
// work.first and work.second (HF's TemplateProcessing: without special
// tokens the sequences still get the template's type ids).
template <typename Emit>
void applyTemplate(const TokenizerModel &model, bool isPair, bool addSpecialTokens, const Work &work, Emit &&emit)
{
    const auto &items = isPair ? model.postProcessor.pair : model.postProcessor.single;
    for (const TemplateItem &item : items) {
        if (item.sequence < 0) {
            if (!addSpecialTokens)
                continue;
            for (std::int32_t id : item.ids)
                emit(id, item.typeId, TokenSpan{});
            continue;
        }
        const auto &pieces = item.sequence == 0 ? work.first : work.second;
        const auto sequence = static_cast<std::int8_t>(item.sequence);
        for (const TokenPiece &piece : pieces)
            emit(piece.id, item.typeId, TokenSpan{piece.begin, piece.end, sequence});
    }
}

Encoding encodeOne(const TokenizerModel &model, std::string_view text, const std::string_view *pair,
                   const EncodeOptions &options)
{
    Work &work = threadWork();
    Encoding encoding;
    encoding.untruncatedLength = tokenizeAndTruncate(model, text, pair, options, work);
    const std::size_t size = work.first.size() + work.second.size() + model.postProcessor.addedTokens(pair != nullptr);
    encoding.ids.reserve(size);
    encoding.typeIds.reserve(size);
    encoding.offsets.reserve(size);
    applyTemplate(model, pair != nullptr, options.addSpecialTokens, work,
                  [&](std::int64_t id, std::int64_t typeId, TokenSpan span) {
                      encoding.ids.push_back(id);
                      encoding.typeIds.push_back(typeId);
                      encoding.offsets.push_back(span);
                  });
    encoding.attentionMask.assign(encoding.ids.size(), 1);
    return encoding;
}

// Right-pads rows given back to back in `ids`/`typeIds` (row r has
// batch.lengths[r] tokens) into batch's rows x cols arrays.
void padRows(const TokenizerModel &model, std::int64_t padId, const EncodeOptions &options,
             const std::vector<std::int64_t> &ids, const std::vector<std::int64_t> &typeIds, BatchEncoding &batch)
{
    const std::size_t rows = batch.lengths.size();
    batch.rows = static_cast<std::int64_t>(rows);
    std::size_t cols = 0;
    for (std::int64_t length : batch.lengths)
        cols = std::max(cols, static_cast<std::size_t>(length));
    if (options.padding == Padding::MaxLength) {
        const std::size_t maxLength = effectiveMaxLength(model, options);
        if (maxLength == 0) {
            throw Error(ErrorKind::InvalidInput, "padding to max_length needs a max length, and "
                                                     + model.source.string() + " has no model_max_length");
        }
        // Rows longer than max_length only exist without truncation; the
        // batch then widens to them instead of going ragged.
        cols = std::max(cols, maxLength);
    }
    batch.cols = static_cast<std::int64_t>(cols);
    const bool padded = std::any_of(batch.lengths.begin(), batch.lengths.end(),
                                    [&](std::int64_t length) { return std::size_t(length) < cols; });
    if (padded && padId < 0) {
        throw Error(ErrorKind::InvalidInput, model.source.string() + ": the tokenizer has no pad token to pad with"
                                                 " (GPT-2 defines none: set pad_token in tokenizer_config.json)");
    }

    batch.inputIds.assign(rows * cols, padId);
    batch.tokenTypeIds.assign(rows * cols, 0);
    batch.attentionMask.assign(rows * cols, 0);
    std::size_t from = 0;
    for (std::size_t row = 0; row < rows; ++row) {
        const auto length = static_cast<std::size_t>(batch.lengths[row]);
        std::copy_n(ids.begin() + from, length, batch.inputIds.begin() + row * cols);
        std::copy_n(typeIds.begin() + from, length, batch.tokenTypeIds.begin() + row * cols);
        std::fill_n(batch.attentionMask.begin() + row * cols, length, 1);
        from += length;
    }
}

BatchEncoding encodeMany(const TokenizerModel &model, std::int64_t padId, std::span<const std::string_view> texts,
                         const std::span<const std::string_view> *pairs, const EncodeOptions &options)
{
    if (pairs && pairs->size() != texts.size()) {
        throw Error(ErrorKind::InvalidInput, "encodeBatch: " + std::to_string(texts.size()) + " texts but "
                                                 + std::to_string(pairs->size()) + " pair texts");
    }
    BatchEncoding batch;
    batch.lengths.reserve(texts.size());
    batch.untruncatedLengths.reserve(texts.size());

    // All rows unpadded, back to back, then copied once into the padded arrays.
    Work &work = threadWork();
    std::vector<std::int64_t> ids;
    std::vector<std::int64_t> typeIds;
    for (std::size_t row = 0; row < texts.size(); ++row) {
        const std::string_view *pair = pairs ? &(*pairs)[row] : nullptr;
        const std::size_t untruncated = tokenizeAndTruncate(model, texts[row], pair, options, work);
        const std::size_t before = ids.size();
        applyTemplate(model, pair != nullptr, options.addSpecialTokens, work,
                      [&](std::int64_t id, std::int64_t typeId, const TokenSpan &) {
                          ids.push_back(id);
                          typeIds.push_back(typeId);
                      });
        batch.lengths.push_back(static_cast<std::int64_t>(ids.size() - before));
        batch.untruncatedLengths.push_back(static_cast<std::int64_t>(untruncated));
    }
    padRows(model, padId, options, ids, typeIds, batch);
    return batch;
}

} // namespace

void truncateLongestFirst(std::size_t &first, std::size_t &second, std::size_t budget)
{
    if (first + second <= budget)
        return;
    std::size_t shorter = first;
    std::size_t longer = second;
    const bool swapped = shorter > longer;
    if (swapped)
        std::swap(shorter, longer);
    // The shorter one stays whole if the longer one can take the rest.
    longer = shorter > budget ? shorter : std::max(shorter, budget - shorter);
    if (shorter + longer > budget) {
        shorter = budget / 2;
        longer = shorter + budget % 2;
    }
    if (swapped)
        std::swap(shorter, longer);
    first = std::min(first, shorter);
    second = std::min(second, longer);
}

Tokenizer::Tokenizer(std::shared_ptr<const TokenizerModel> model)
    : mModel(std::move(model)), mPadId(mModel->padId)
{
}

Tokenizer Tokenizer::fromFolder(const std::filesystem::path &folder)
{
    std::error_code ec;
    if (!std::filesystem::is_directory(folder, ec))
        throw Error(ErrorKind::NotFound, folder.string() + ": no such folder");
    if (readsSentencePieceModel(folder))
        return fromSentencePieceModel(folder / kSentencePieceModelFile);
    if (std::filesystem::exists(folder / "tokenizer.json", ec))
        return fromTokenizerJson(folder / "tokenizer.json");
    if (std::filesystem::exists(folder / "vocab.txt", ec))
        return fromVocabFile(folder / "vocab.txt");
    if (std::filesystem::exists(folder / "vocab.json", ec))
        return fromVocabAndMerges(folder / "vocab.json", folder / "merges.txt");
    throw Error(ErrorKind::NotFound, folder.string()
                                         + ": no tokenizer.json or vocab.txt, nor vocab.json + merges.txt or "
                                           "sentencepiece.bpe.model");
}

Tokenizer Tokenizer::fromTokenizerJson(const std::filesystem::path &file)
{
    return Tokenizer(loadTokenizerJson(file));
}

Tokenizer Tokenizer::fromVocabFile(const std::filesystem::path &file)
{
    return Tokenizer(loadVocabFile(file));
}

Tokenizer Tokenizer::fromVocabAndMerges(const std::filesystem::path &vocabJson, const std::filesystem::path &merges)
{
    return Tokenizer(loadBpeVocabFiles(vocabJson, merges));
}

Tokenizer Tokenizer::fromSentencePieceModel(const std::filesystem::path &file)
{
    return Tokenizer(loadSentencePieceModel(file));
}

Encoding Tokenizer::encode(std::string_view text, const EncodeOptions &options) const
{
    return encodeOne(*mModel, text, nullptr, options);
}

Encoding Tokenizer::encode(std::string_view text, std::string_view pair, const EncodeOptions &options) const
{
    return encodeOne(*mModel, text, &pair, options);
}

BatchEncoding Tokenizer::encodeBatch(std::span<const std::string_view> texts, const EncodeOptions &options) const
{
    return encodeMany(*mModel, mPadId, texts, nullptr, options);
}

BatchEncoding Tokenizer::encodeBatch(std::span<const std::string_view> texts, std::span<const std::string_view> pairs,
                                     const EncodeOptions &options) const
{
    return encodeMany(*mModel, mPadId, texts, &pairs, options);
}

BatchEncoding Tokenizer::pad(std::span<const Encoding> encodings, const EncodeOptions &options) const
{
    BatchEncoding batch;
    std::vector<std::int64_t> ids;
    std::vector<std::int64_t> typeIds;
    for (const Encoding &encoding : encodings) {
        if (encoding.typeIds.size() != encoding.ids.size())
            throw Error(ErrorKind::InvalidInput, "pad: an encoding's ids and token types differ in length");
        ids.insert(ids.end(), encoding.ids.begin(), encoding.ids.end());
        typeIds.insert(typeIds.end(), encoding.typeIds.begin(), encoding.typeIds.end());
        batch.lengths.push_back(static_cast<std::int64_t>(encoding.ids.size()));
        batch.untruncatedLengths.push_back(static_cast<std::int64_t>(encoding.untruncatedLength));
    }
    padRows(*mModel, mPadId, options, ids, typeIds, batch);
    return batch;
}

std::string Tokenizer::decode(std::span<const std::int64_t> ids, bool skipSpecialTokens) const
{
    return decodeIds(*mModel, ids, skipSpecialTokens);
}

std::optional<std::int64_t> Tokenizer::tokenToId(std::string_view token) const
{
    const std::int64_t id = mModel->idOf(token);
    return id >= 0 ? std::optional<std::int64_t>(id) : std::nullopt;
}

std::string_view Tokenizer::idToToken(std::int64_t id) const
{
    return mModel->tokenOf(id);
}

std::vector<std::string> Tokenizer::idsToTokens(std::span<const std::int64_t> ids) const
{
    std::vector<std::string> tokens;
    tokens.reserve(ids.size());
    for (std::int64_t id : ids)
        tokens.emplace_back(mModel->tokenOf(id));
    return tokens;
}

std::int64_t Tokenizer::vocabSize() const
{
    std::int64_t size = mModel->vocab().idLimit();
    for (const AddedToken &token : mModel->added.tokens())
        size = std::max<std::int64_t>(size, token.id + 1);
    return size;
}

std::int64_t Tokenizer::unkId() const { return mModel->unkId; }
std::int64_t Tokenizer::clsId() const { return mModel->clsId; }
std::int64_t Tokenizer::sepId() const { return mModel->sepId; }
std::int64_t Tokenizer::padId() const { return mPadId; }

Tokenizer Tokenizer::withPadId(std::int64_t id) const
{
    Tokenizer copy = *this;
    copy.mPadId = id;
    return copy;
}
std::int64_t Tokenizer::maskId() const { return mModel->maskId; }
std::int64_t Tokenizer::bosId() const { return mModel->bosId; }
std::int64_t Tokenizer::eosId() const { return mModel->eosId; }
bool Tokenizer::byteLevel() const { return mModel->byteLevelBpe() != nullptr; }
bool Tokenizer::sentencePiece() const { return mModel->sentencePiece() != nullptr; }
std::size_t Tokenizer::specialTokenCount(bool pair) const { return mModel->postProcessor.addedTokens(pair); }
std::size_t Tokenizer::modelMaxLength() const { return mModel->modelMaxLength; }
bool Tokenizer::lowercases() const { return mModel->normalizer.options().lowercase; }
const std::filesystem::path &Tokenizer::source() const { return mModel->source; }

} // namespace ft
