// vocab_file.cpp: a tokenizer from vocab.txt (one token per line, id = line
// index) and tokenizer_config.json, assembled as transformers converts a
// BertTokenizer into its fast form: BertNormalizer, BertPreTokenizer,
// WordPiece(##, 100) and the [CLS] A [SEP] template; or from vocab.json and
// merges.txt as it converts GPT2Tokenizer and RobertaTokenizer: ByteLevel,
// BPE and no template (GPT-2) or RoBERTa's <s> A </s>.
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

// Special tokens are matched as literals; one the vocabulary lacks gets the
// next free id, as transformers' add_special_tokens gives it.
std::vector<AddedToken> specialAddedTokens(const TokenizerConfig &config, const Vocab &vocab,
                                           const std::vector<AddedToken> &specials)
{
    std::vector<AddedToken> added = config.addedTokensDecoder;
    std::int64_t nextId = vocab.idLimit();
    for (const AddedToken &token : added)
        nextId = std::max<std::int64_t>(nextId, token.id + 1);
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
    return added;
}

// merges.txt as tokenizers' BPE::read_file reads it: "#version" lines
// skipped, then one "left right" merge per line, in rank order.
std::vector<std::pair<std::string, std::string>> readMergesFile(const std::filesystem::path &file,
                                                                const Vocab &vocab)
{
    const std::string text = readFileBytes(file);
    std::vector<std::pair<std::string, std::string>> merges;
    merges.reserve(static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')));
    std::size_t pos = 0;
    for (std::int64_t line = 1; pos < text.size(); ++line) {
        std::size_t lineEnd = std::min(text.find('\n', pos), text.size());
        std::string_view content(text.data() + pos, lineEnd - pos);
        pos = lineEnd + 1;
        if (content.ends_with('\r'))
            content.remove_suffix(1);
        if (content.starts_with("#version"))
            continue;
        const std::string where = file.string() + ":" + std::to_string(line) + ": ";
        const std::size_t space = content.find(' ');
        if (space == std::string_view::npos || content.find(' ', space + 1) != std::string_view::npos) {
            throw Error(ErrorKind::InvalidInput, where + "expected two tokens separated by one space, found "
                                                     + inQuotes(content));
        }
        const std::string_view left = content.substr(0, space);
        const std::string_view right = content.substr(space + 1);
        if (const std::string why = ByteLevelBpe::checkMerge(vocab, left, right); !why.empty())
            throw Error(ErrorKind::InvalidInput, where + why);
        merges.emplace_back(left, right);
    }
    return merges;
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
    model.bosId = idOf(config.bos);
    model.eosId = idOf(config.eos);
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

    std::vector<AddedToken> specials = {config.unk, config.sep, config.pad, config.cls, config.mask};
    specials.insert(specials.end(), config.additionalSpecial.begin(), config.additionalSpecial.end());
    std::vector<AddedToken> added = specialAddedTokens(config, vocab, specials);

    model->words = WordPiece(std::move(vocab), config.unk.content, "##", 100);
    model->added = AddedVocabulary(std::move(added), model->normalizer);
    model->postProcessor = PostProcessor::bert(config.cls.content, clsId, config.sep.content, sepId);
    applyTokenizerConfig(config, *model);
    model->unkId = model->wordPiece()->unkId();
    return model;
}

std::shared_ptr<const TokenizerModel> loadBpeVocabFiles(const std::filesystem::path &vocabJson,
                                                        const std::filesystem::path &merges)
{
    std::error_code ec;
    for (const std::filesystem::path &file : {vocabJson, merges}) {
        if (!std::filesystem::is_regular_file(file, ec))
            throw Error(ErrorKind::NotFound, file.string() + ": no such file");
    }
    const JsonFile json = JsonFile::read(vocabJson);
    if (!json.root().is_object())
        json.fail("", std::string("expected an object of token ids, found ") + json.root().type_name());
    Vocab vocab = readJsonVocab(json, json.root(), "");
    const auto mergeList = readMergesFile(merges, vocab);
    const bool robertaLike = vocab.find("<s>") >= 0 && vocab.find("</s>") >= 0;
    const TokenizerConfig config = readByteLevelTokenizerConfig(vocabJson.parent_path(), robertaLike);
    const bool roberta = config.family == TokenizerFamily::Roberta;

    auto model = std::make_shared<TokenizerModel>();
    model->source = vocabJson;
    model->normalizer = BertNormalizer::identity();
    std::vector<AddedToken> specials = {config.bos, config.eos, config.unk, config.sep,
                                        config.pad, config.cls, config.mask};
    specials.insert(specials.end(), config.additionalSpecial.begin(), config.additionalSpecial.end());
    model->added = AddedVocabulary(specialAddedTokens(config, vocab, specials), model->normalizer);

    ByteLevelBpe::Options options;
    options.addPrefixSpace = config.addPrefixSpace.value_or(false);
    model->words = ByteLevelBpe(std::move(vocab), mergeList, options);
    applyTokenizerConfig(config, *model);
    model->unkId = model->idOf(config.unk.content);

    const auto require = [&](const AddedToken &token, std::int64_t id, const char *key) {
        if (id < 0) {
            throw Error(ErrorKind::InvalidInput, vocabJson.string() + ": the " + key + " " + inQuotes(token.content)
                                                     + " (from tokenizer_config.json or RoBERTa's default) is not "
                                                       "a token");
        }
        return static_cast<std::int32_t>(id);
    };
    if (roberta) {
        const std::int32_t clsId = require(config.cls, model->clsId, "cls_token");
        const std::int32_t sepId = require(config.sep, model->sepId, "sep_token");
        model->postProcessor = PostProcessor::roberta(config.cls.content, clsId, config.sep.content, sepId,
                                                      config.trimOffsets.value_or(true), options.addPrefixSpace);
    } else if (config.addBosToken.value_or(false) && model->bosId >= 0) {
        // GPT2TokenizerFast's template for add_bos_token: bos $A and bos $A $B:1.
        const TemplateItem bos{-1, config.bos.content, {static_cast<std::int32_t>(model->bosId)}, 0};
        model->postProcessor.single = {bos, TemplateItem{0, {}, {}, 0}};
        model->postProcessor.pair = {bos, TemplateItem{0, {}, {}, 0}, TemplateItem{1, {}, {}, 1}};
    } else {
        model->postProcessor = PostProcessor::byteLevel(false, options.addPrefixSpace);
    }
    return model;
}

} // namespace ft
