// vocab_file.cpp: a tokenizer from vocab.txt (one token per line, id = line
// index) and tokenizer_config.json, assembled as transformers converts a
// BertTokenizer into its fast form: BertNormalizer, BertPreTokenizer,
// WordPiece(##, 100) and the [CLS] A [SEP] template.
#include "common/error.h"
#include "text/json_file.h"
#include "text/tokenizer_config.h"
#include "text/tokenizer_files.h"
#include "text/unicode.h"

#include <algorithm>

namespace ft {

namespace {

std::string inQuotes(std::string_view token)
{
    return "\"" + std::string(token) + "\"";
}

// Lines end at \n, \r\n or \r, as Python's universal newlines read them
// (transformers' load_vocab); a final line needs no line break.
Vocab readVocabLines(const std::filesystem::path &file)
{
    const std::string text = readFileBytes(file);
    Vocab vocab;
    vocab.reserve(static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1);
    std::size_t pos = 0;
    std::int64_t line = 1;
    while (pos < text.size()) {
        const std::size_t lineEnd = std::min(text.find_first_of("\r\n", pos), text.size());
        const std::string_view token(text.data() + pos, lineEnd - pos);
        const std::string where = file.string() + ":" + std::to_string(line) + ": ";
        for (const char *p = token.data(); p < token.data() + token.size();) {
            char32_t cp;
            const std::size_t used = unicode::decodeUtf8(p, token.data() + token.size(), cp);
            if (cp == unicode::kReplacementChar && used == 1)
                throw Error(ErrorKind::InvalidInput, where + "invalid UTF-8");
            p += used;
        }
        if (line - 1 > Vocab::kMaxId)
            throw Error(ErrorKind::InvalidInput, where + "too many lines for a vocabulary");
        if (!vocab.add(token, static_cast<std::int32_t>(line - 1))) {
            throw Error(ErrorKind::InvalidInput, where + "duplicate token " + inQuotes(token) + " (already on line "
                                                     + std::to_string(vocab.find(token) + 1) + ")");
        }
        pos = lineEnd;
        if (pos < text.size())
            pos += (text[pos] == '\r' && pos + 1 < text.size() && text[pos + 1] == '\n') ? 2 : 1;
        ++line;
    }
    if (vocab.size() == 0)
        throw Error(ErrorKind::InvalidInput, file.string() + ": the vocabulary is empty");
    return vocab;
}

} // namespace

void applyTokenizerConfig(const TokenizerConfig &config, TokenizerModel &model)
{
    const auto idOf = [&](const AddedToken &token) {
        return token.content.empty() ? std::int64_t(-1) : model.idOf(token.content);
    };
    model.padId = idOf(config.pad);
    model.clsId = idOf(config.cls);
    model.sepId = idOf(config.sep);
    model.maskId = idOf(config.mask);
    model.modelMaxLength = config.modelMaxLength;
}

std::shared_ptr<const TokenizerModel> loadVocabFile(const std::filesystem::path &file)
{
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file, ec))
        throw Error(ErrorKind::NotFound, file.string() + ": no such file");
    const TokenizerConfig config = readTokenizerConfig(file.parent_path());
    Vocab vocab = readVocabLines(file);

    const auto require = [&](const AddedToken &token, const char *key) {
        const std::int32_t id = token.content.empty() ? -1 : vocab.find(token.content);
        if (id < 0) {
            throw Error(ErrorKind::InvalidInput, file.string() + ": the " + key + " " + inQuotes(token.content)
                                                     + " (from tokenizer_config.json or BERT's default) is not in "
                                                       "the vocabulary");
        }
        return id;
    };
    require(config.unk, "unk_token");
    const std::int32_t clsId = require(config.cls, "cls_token");
    const std::int32_t sepId = require(config.sep, "sep_token");

    auto model = std::make_shared<TokenizerModel>();
    model->source = file;
    BertNormalizerOptions options;
    options.cleanText = true;
    options.handleChineseChars = config.tokenizeChineseChars.value_or(true);
    options.lowercase = config.doLowerCase.value_or(true);
    options.stripAccents = config.hasStripAccents ? config.stripAccents : std::nullopt;
    model->normalizer = BertNormalizer(options);

    // Special tokens are matched as literals; one the vocabulary lacks gets
    // the next free id, as transformers' add_special_tokens gives it.
    std::vector<AddedToken> added = config.addedTokensDecoder;
    std::int64_t nextId = vocab.idLimit();
    for (const AddedToken &token : added)
        nextId = std::max<std::int64_t>(nextId, token.id + 1);
    std::vector<AddedToken> specials = {config.unk, config.sep, config.pad, config.cls, config.mask};
    specials.insert(specials.end(), config.additionalSpecial.begin(), config.additionalSpecial.end());
    for (AddedToken token : specials) {
        if (token.content.empty())
            continue;
        const bool known = std::any_of(added.begin(), added.end(),
                                       [&](const AddedToken &other) { return other.content == token.content; });
        if (known)
            continue;
        token.id = vocab.find(token.content);
        if (token.id < 0)
            token.id = static_cast<std::int32_t>(nextId++);
        added.push_back(token);
    }

    model->wordPiece = WordPiece(std::move(vocab), config.unk.content, "##", 100);
    model->added = AddedVocabulary(std::move(added), model->normalizer);
    model->postProcessor = PostProcessor::bert(config.cls.content, clsId, config.sep.content, sepId);
    applyTokenizerConfig(config, *model);
    return model;
}

} // namespace ft
