// tokenizer_export.cpp
#include "export/tokenizer_export.h"

#include "common/error.h"
#include "export/sentencepiece_tokenizer_json.h"
#include "models/atomic_file.h"
#include "models/model_family.h"
#include "text/json_file.h"
#include "text/tokenizer.h"
#include "text/tokenizer_config.h"

#include <nlohmann/json.hpp>

#include <fstream>
#include <map>

namespace fs = std::filesystem;
using nlohmann::ordered_json;

namespace ft {

namespace {

// vocab.txt as transformers' load_vocab reads it: one token per line, ids in
// line order (a repeated token keeps its first place and its last id).
ordered_json readVocab(const fs::path &file)
{
    std::ifstream in(file, std::ios::binary);
    if (!in)
        throw Error(ErrorKind::NotFound, file.string() + ": cannot read the vocabulary");
    ordered_json vocab = ordered_json::object();
    std::string line;
    std::int64_t id = 0;
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        vocab[line] = id++;
    }
    return vocab;
}

std::int64_t idOf(const ordered_json &vocab, const std::string &token, const fs::path &file)
{
    const auto it = vocab.find(token);
    if (it == vocab.end())
        throw Error(ErrorKind::InvalidInput, file.string() + ": the special token " + token + " is not in the vocabulary");
    return it->get<std::int64_t>();
}

ordered_json templateToken(const std::string &token, int typeId)
{
    return {{"SpecialToken", {{"id", token}, {"type_id", typeId}}}};
}

ordered_json templateSequence(const char *id, int typeId)
{
    return {{"Sequence", {{"id", id}, {"type_id", typeId}}}};
}

std::vector<AddedToken> specialTokens(const TokenizerConfig &config)
{
    std::vector<AddedToken> tokens{config.pad, config.unk, config.cls, config.sep, config.mask};
    tokens.insert(tokens.end(), config.additionalSpecial.begin(), config.additionalSpecial.end());
    return tokens;
}

} // namespace

ordered_json bertTokenizerJson(const fs::path &folder)
{
    const fs::path vocabFile = folder / "vocab.txt";
    const ordered_json vocab = readVocab(vocabFile);
    const TokenizerConfig config = readTokenizerConfig(folder);

    // The special tokens the vocabulary has, as added tokens in id order.
    std::map<std::int64_t, std::string> special;
    for (const AddedToken &token : specialTokens(config))
        if (vocab.contains(token.content))
            special[vocab.at(token.content).get<std::int64_t>()] = token.content;
    ordered_json added = ordered_json::array();
    for (const auto &[id, content] : special)
        added.push_back({{"id", id}, {"content", content}, {"single_word", false}, {"lstrip", false},
                         {"rstrip", false}, {"normalized", false}, {"special", true}});

    const std::string &cls = config.cls.content;
    const std::string &sep = config.sep.content;
    ordered_json specialIds = ordered_json::object();
    for (const std::string &token : {cls, sep})
        specialIds[token] = {{"id", token}, {"ids", {idOf(vocab, token, vocabFile)}}, {"tokens", {token}}};

    ordered_json stripAccents = nullptr;
    if (config.stripAccents)
        stripAccents = *config.stripAccents;
    return {
        {"version", "1.0"},
        {"truncation", nullptr},
        {"padding", nullptr},
        {"added_tokens", added},
        {"normalizer",
         {{"type", "BertNormalizer"},
          {"clean_text", true},
          {"handle_chinese_chars", config.tokenizeChineseChars.value_or(true)},
          {"strip_accents", stripAccents},
          {"lowercase", config.doLowerCase.value_or(true)}}},
        {"pre_tokenizer", {{"type", "BertPreTokenizer"}}},
        {"post_processor",
         {{"type", "TemplateProcessing"},
          {"single", {templateToken(cls, 0), templateSequence("A", 0), templateToken(sep, 0)}},
          {"pair",
           {templateToken(cls, 0), templateSequence("A", 0), templateToken(sep, 0), templateSequence("B", 1),
            templateToken(sep, 1)}},
          {"special_tokens", specialIds}}},
        {"decoder", {{"type", "WordPiece"}, {"prefix", "##"}, {"cleanup", true}}},
        {"model",
         {{"type", "WordPiece"},
          {"unk_token", config.unk.content},
          {"continuing_subword_prefix", "##"},
          {"max_input_chars_per_word", 100},
          {"vocab", vocab}}},
    };
}

namespace {

// A byte-level BPE folder (GPT-2, RoBERTa) has its own files; it only gains
// the pad token its model pads with (GPT-2 defines none), so that
// transformers' pipelines can pad a batch, and a special_tokens_map.json.
std::vector<std::string> completeByteLevelFiles(const fs::path &folder, const Tokenizer &tokenizer)
{
    std::vector<std::string> written;
    const std::vector<std::pair<const char *, std::int64_t>> named = {
        {"bos_token", tokenizer.bosId()}, {"eos_token", tokenizer.eosId()}, {"unk_token", tokenizer.unkId()},
        {"pad_token", tokenizer.padId()}};
    if (!fs::exists(folder / "special_tokens_map.json")) {
        ordered_json map = ordered_json::object();
        for (const auto &[key, id] : named)
            if (id >= 0)
                map[key] = std::string(tokenizer.idToToken(id));
        writeFileAtomically(folder / "special_tokens_map.json", map.dump(2) + "\n");
        written.push_back("special_tokens_map.json");
    }
    const fs::path configFile = folder / "tokenizer_config.json";
    ordered_json settings = fs::exists(configFile) ? ordered_json(JsonFile::read(configFile).root()) : ordered_json::object();
    if (!settings.contains("pad_token") && tokenizer.padId() >= 0) {
        settings["pad_token"] = std::string(tokenizer.idToToken(tokenizer.padId()));
        writeFileAtomically(configFile, settings.dump(2) + "\n");
        written.push_back("tokenizer_config.json");
    }
    return written;
}

// An XLM-R folder keeps its sentencepiece.bpe.model (the run's model folder
// has it from the base model) and gains the tokenizer.json transformers
// converts it to, a special_tokens_map.json and the tokenizer_class that
// tells transformers how to number its pieces.
std::vector<std::string> completeSentencePieceFiles(const fs::path &folder, const Tokenizer &tokenizer)
{
    std::vector<std::string> written;
    if (!fs::exists(folder / "tokenizer.json") && fs::exists(folder / "sentencepiece.bpe.model")) {
        writeFileAtomically(folder / "tokenizer.json",
                            xlmRobertaTokenizerJson(folder / "sentencepiece.bpe.model").dump(2) + "\n");
        written.push_back("tokenizer.json");
    }
    if (!fs::exists(folder / "special_tokens_map.json")) {
        const std::vector<std::pair<const char *, std::int64_t>> named = {
            {"bos_token", tokenizer.bosId()}, {"eos_token", tokenizer.eosId()}, {"unk_token", tokenizer.unkId()},
            {"sep_token", tokenizer.sepId()}, {"pad_token", tokenizer.padId()}, {"cls_token", tokenizer.clsId()},
            {"mask_token", tokenizer.maskId()}};
        ordered_json map = ordered_json::object();
        for (const auto &[key, id] : named)
            if (id >= 0)
                map[key] = std::string(tokenizer.idToToken(id));
        writeFileAtomically(folder / "special_tokens_map.json", map.dump(2) + "\n");
        written.push_back("special_tokens_map.json");
    }
    const fs::path configFile = folder / "tokenizer_config.json";
    ordered_json settings = fs::exists(configFile) ? ordered_json(JsonFile::read(configFile).root()) : ordered_json::object();
    if (!settings.contains("tokenizer_class")) {
        settings["tokenizer_class"] = "XLMRobertaTokenizer";
        writeFileAtomically(configFile, settings.dump(2) + "\n");
        written.push_back("tokenizer_config.json");
    }
    return written;
}

} // namespace

std::vector<std::string> completeTokenizerFiles(const fs::path &folder)
{
    const Tokenizer tokenizer = modelTokenizer(folder);
    if (tokenizer.byteLevel())
        return completeByteLevelFiles(folder, tokenizer);
    if (tokenizer.sentencePiece())
        return completeSentencePieceFiles(folder, tokenizer);
    std::vector<std::string> written;
    const TokenizerConfig config = readTokenizerConfig(folder);
    const std::vector<std::pair<const char *, const AddedToken *>> named = {
        {"unk_token", &config.unk}, {"sep_token", &config.sep}, {"pad_token", &config.pad},
        {"cls_token", &config.cls}, {"mask_token", &config.mask}};

    if (fs::exists(folder / "vocab.txt") && !fs::exists(folder / "tokenizer.json")) {
        writeFileAtomically(folder / "tokenizer.json", bertTokenizerJson(folder).dump(2) + "\n");
        written.push_back("tokenizer.json");
    }
    if (!fs::exists(folder / "special_tokens_map.json")) {
        ordered_json map = ordered_json::object();
        for (const auto &[key, token] : named)
            map[key] = token->content;
        writeFileAtomically(folder / "special_tokens_map.json", map.dump(2) + "\n");
        written.push_back("special_tokens_map.json");
    }

    const fs::path configFile = folder / "tokenizer_config.json";
    ordered_json settings = fs::exists(configFile) ? ordered_json(JsonFile::read(configFile).root()) : ordered_json::object();
    const ordered_json before = settings;
    if (!settings.contains("tokenizer_class"))
        settings["tokenizer_class"] = "BertTokenizer";
    if (!settings.contains("do_lower_case"))
        settings["do_lower_case"] = Tokenizer::fromFolder(folder).lowercases();
    for (const auto &[key, token] : named)
        if (!settings.contains(key))
            settings[key] = token->content;
    if (settings != before) {
        writeFileAtomically(configFile, settings.dump(2) + "\n");
        written.push_back("tokenizer_config.json");
    }
    return written;
}

} // namespace ft
