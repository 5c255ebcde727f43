// tokenizer_config.cpp: reading tokenizer_config.json and special_tokens_map.json.
#include "text/tokenizer_config.h"

#include "text/json_file.h"
#include "text/vocab.h"

#include <initializer_list>
#include <string_view>

namespace ft {

namespace {

// model_max_length values above this are transformers' VERY_LARGE_INTEGER
// (int(1e30)) or similar placeholders for "no limit".
constexpr std::int64_t kLargestRealMaxLength = 1'000'000'000;

// A special token written as a string or as a serialized AddedToken object.
void readSpecialTokenValue(const JsonFile &file, const nlohmann::json &value, const std::string &at,
                           AddedToken &token)
{
    if (value.is_null()) {
        token.content.clear();
    } else if (value.is_string()) {
        token.content = value.get<std::string>();
    } else if (value.is_object()) {
        token.content = file.string(value, at, "content", "");
        token.lstrip = file.boolean(value, at, "lstrip", false);
        token.rstrip = file.boolean(value, at, "rstrip", false);
        token.singleWord = file.boolean(value, at, "single_word", false);
        token.normalized = file.boolean(value, at, "normalized", false);
    } else {
        file.fail(at, std::string("expected a token string or object, found ") + value.type_name());
    }
    token.special = true;
}

void readSpecialToken(const JsonFile &file, const nlohmann::json &object, const char *key, AddedToken &token)
{
    const auto it = object.find(key);
    if (it != object.end())
        readSpecialTokenValue(file, *it, jsonPointer("", key), token);
}

void readSpecialTokens(const JsonFile &file, const nlohmann::json &root, TokenizerConfig &config)
{
    readSpecialToken(file, root, "unk_token", config.unk);
    readSpecialToken(file, root, "sep_token", config.sep);
    readSpecialToken(file, root, "pad_token", config.pad);
    readSpecialToken(file, root, "cls_token", config.cls);
    readSpecialToken(file, root, "mask_token", config.mask);
    readSpecialToken(file, root, "bos_token", config.bos);
    readSpecialToken(file, root, "eos_token", config.eos);
    const auto extra = root.find("additional_special_tokens");
    if (extra == root.end() || extra->is_null())
        return;
    if (!extra->is_array())
        file.fail("/additional_special_tokens", std::string("expected an array, found ") + extra->type_name());
    config.additionalSpecial.clear();
    for (std::size_t i = 0; i < extra->size(); ++i) {
        AddedToken token;
        readSpecialTokenValue(file, (*extra)[i], jsonPointer("/additional_special_tokens", i), token);
        if (!token.content.empty())
            config.additionalSpecial.push_back(token);
    }
}

void readAddedTokensDecoder(const JsonFile &file, const nlohmann::json &root, TokenizerConfig &config)
{
    const auto decoder = root.find("added_tokens_decoder");
    if (decoder == root.end() || decoder->is_null())
        return;
    if (!decoder->is_object())
        file.fail("/added_tokens_decoder", std::string("expected an object, found ") + decoder->type_name());
    for (const auto &[key, value] : decoder->items()) {
        const std::string at = jsonPointer("/added_tokens_decoder", key);
        std::size_t used = 0;
        long long id = -1;
        try {
            id = std::stoll(key, &used);
        } catch (const std::exception &) {
            used = 0;
        }
        if (used != key.size() || id < 0 || id > Vocab::kMaxId)
            file.fail(at, "expected a token id as the key");
        if (!value.is_object())
            file.fail(at, std::string("expected an object, found ") + value.type_name());
        AddedToken token;
        token.id = static_cast<std::int32_t>(id);
        token.content = file.string(value, at, "content", "");
        token.special = file.boolean(value, at, "special", false);
        token.normalized = file.boolean(value, at, "normalized", !token.special);
        token.lstrip = file.boolean(value, at, "lstrip", false);
        token.rstrip = file.boolean(value, at, "rstrip", false);
        token.singleWord = file.boolean(value, at, "single_word", false);
        if (token.content.empty())
            file.fail(jsonPointer(at, "content"), "expected the token's text");
        config.addedTokensDecoder.push_back(std::move(token));
    }
}

// A flag the file may leave out (or set to null), which then keeps its default.
void readFlag(const JsonFile &file, const nlohmann::json &root, const char *key, std::optional<bool> &flag)
{
    if (const std::optional<bool> value = file.optionalBoolean(root, "", key))
        flag = value;
}

bool startsWithAny(const std::string &text, std::initializer_list<std::string_view> prefixes)
{
    for (std::string_view prefix : prefixes) {
        if (std::string_view(text).starts_with(prefix))
            return true;
    }
    return false;
}

} // namespace

TokenizerConfig TokenizerConfig::defaults(TokenizerFamily family)
{
    TokenizerConfig config;
    config.family = family;
    const auto named = [](const char *content) { return AddedToken{content, -1, true}; };
    switch (family) {
    case TokenizerFamily::Bert:
        break;
    case TokenizerFamily::Gpt2:
        config.unk = config.bos = config.eos = named("<|endoftext|>");
        config.sep = config.pad = config.cls = config.mask = named("");
        break;
    case TokenizerFamily::Roberta:
        config.bos = config.cls = named("<s>");
        config.eos = config.sep = named("</s>");
        config.unk = named("<unk>");
        config.pad = named("<pad>");
        config.mask = named("<mask>");
        config.mask.lstrip = true;
        break;
    }
    return config;
}

TokenizerConfig readTokenizerConfig(const std::filesystem::path &folder)
{
    return readTokenizerConfig(folder, TokenizerConfig::defaults(TokenizerFamily::Bert));
}

TokenizerConfig readTokenizerConfig(const std::filesystem::path &folder, const TokenizerConfig &defaults)
{
    TokenizerConfig config = defaults;
    std::error_code ec;
    const std::filesystem::path configFile = folder / "tokenizer_config.json";
    if (std::filesystem::exists(configFile, ec)) {
        const JsonFile file = JsonFile::read(configFile);
        const nlohmann::json &root = file.root();
        if (!root.is_object())
            file.fail("", std::string("expected an object, found ") + root.type_name());
        if (root.contains("do_lower_case"))
            config.doLowerCase = file.boolean(root, "", "do_lower_case", true);
        config.hasStripAccents = root.contains("strip_accents");
        config.stripAccents = file.optionalBoolean(root, "", "strip_accents");
        if (root.contains("tokenize_chinese_chars"))
            config.tokenizeChineseChars = file.boolean(root, "", "tokenize_chinese_chars", true);
        // Only byte-level BPE looks at the class; anything but a string is no class.
        if (const auto cls = root.find("tokenizer_class"); cls != root.end() && cls->is_string())
            config.tokenizerClass = cls->get<std::string>();
        readFlag(file, root, "add_prefix_space", config.addPrefixSpace);
        readFlag(file, root, "trim_offsets", config.trimOffsets);
        readFlag(file, root, "add_bos_token", config.addBosToken);
        const auto maxLength = root.find("model_max_length");
        if (maxLength != root.end() && !maxLength->is_null()) {
            if (!maxLength->is_number())
                file.fail("/model_max_length", std::string("expected a number, found ") + maxLength->type_name());
            if (maxLength->is_number_integer() && maxLength->get<std::int64_t>() > 0
                && maxLength->get<std::int64_t>() <= kLargestRealMaxLength)
                config.modelMaxLength = static_cast<std::size_t>(maxLength->get<std::int64_t>());
        }
        readSpecialTokens(file, root, config);
        readAddedTokensDecoder(file, root, config);
    }

    const std::filesystem::path mapFile = folder / "special_tokens_map.json";
    if (std::filesystem::exists(mapFile, ec)) {
        const JsonFile file = JsonFile::read(mapFile);
        if (!file.root().is_object())
            file.fail("", std::string("expected an object, found ") + file.root().type_name());
        readSpecialTokens(file, file.root(), config);
    }
    return config;
}

TokenizerConfig readByteLevelTokenizerConfig(const std::filesystem::path &folder, bool robertaLike)
{
    // First what the files name themselves, over no defaults at all.
    TokenizerConfig none = TokenizerConfig::defaults(TokenizerFamily::Gpt2);
    none.unk = none.bos = none.eos = AddedToken{"", -1, true};
    const TokenizerConfig named = readTokenizerConfig(folder, none);
    bool roberta = false;
    if (!named.tokenizerClass.empty())
        roberta = startsWithAny(named.tokenizerClass, {"Roberta", "Bart", "Longformer"});
    else if (named.bos.content == "<s>" || named.cls.content == "<s>")
        roberta = true;
    else
        roberta = robertaLike && named.bos.content.empty() && named.eos.content.empty() && named.cls.content.empty()
            && named.sep.content.empty();
    return readTokenizerConfig(folder, TokenizerConfig::defaults(roberta ? TokenizerFamily::Roberta
                                                                         : TokenizerFamily::Gpt2));
}

} // namespace ft
