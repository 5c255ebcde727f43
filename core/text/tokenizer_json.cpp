// tokenizer_json.cpp: a tokenizer from tokenizer.json, the tokenizers
// library's own definition: BertNormalizer, BertPreTokenizer and WordPiece
// (also old files whose model has no "type"), or the ByteLevel pre-tokenizer
// and BPE of GPT-2 and RoBERTa, or Llama-style BPE (SentencePiece's "▁"
// rules and byte fallback); TemplateProcessing, BertProcessing,
// RobertaProcessing or ByteLevel; and added_tokens.
#include "common/error.h"
#include "text/json_file.h"
#include "text/tokenizer_config.h"
#include "text/tokenizer_files.h"

namespace ft {

namespace {

using nlohmann::json;

std::string inQuotes(const std::string &text)
{
    return "\"" + text + "\"";
}

// A JSON integer that is a usable token id.
std::int32_t tokenId(const JsonFile &file, const json &value, const std::string &at)
{
    if (!value.is_number_integer())
        file.fail(at, std::string("expected a token id, found ") + value.type_name());
    const bool inRange = value.is_number_unsigned() ? value.get<std::uint64_t>() <= std::uint64_t(Vocab::kMaxId)
                                                    : value.get<std::int64_t>() >= 0
                                                          && value.get<std::int64_t>() <= Vocab::kMaxId;
    if (!inRange)
        file.fail(at, "token id " + value.dump() + " out of range (0 to " + std::to_string(Vocab::kMaxId) + ")");
    return static_cast<std::int32_t>(value.get<std::int64_t>());
}

std::string modelType(const JsonFile &file, const json &model)
{
    if (model.contains("type"))
        return file.string(model, "/model", "type", "");
    // Files written before the tokenizers library recorded the type.
    if (model.contains("merges"))
        return "BPE";
    if (model.contains("vocab") && model["vocab"].is_array())
        return "Unigram";
    if (model.contains("continuing_subword_prefix") || model.contains("max_input_chars_per_word")
        || model.contains("vocab"))
        return "WordPiece";
    file.fail("/model", "cannot tell the model type (no \"type\", no \"vocab\")");
}

WordPiece readWordPiece(const JsonFile &file, const json &root)
{
    const json &model = file.object(root, "", "model");
    const std::string type = modelType(file, model);
    if (type != "WordPiece") {
        throw Error(ErrorKind::Incompatible, file.path().string() + ": /model/type: unsupported model type "
                                                 + inQuotes(type) + " (only WordPiece and byte-level BPE)");
    }
    Vocab vocab = readJsonVocab(file, file.object(model, "/model", "vocab"), "/model/vocab");
    const std::string unk = file.string(model, "/model", "unk_token", "[UNK]");
    if (vocab.find(unk) < 0)
        file.fail("/model/unk_token", inQuotes(unk) + " is not in /model/vocab");
    const std::int64_t maxChars = file.integer(model, "/model", "max_input_chars_per_word", 100);
    if (maxChars < 0)
        file.fail("/model/max_input_chars_per_word", "must not be negative");
    return WordPiece(std::move(vocab), unk, file.string(model, "/model", "continuing_subword_prefix", "##"),
                     static_cast<std::size_t>(maxChars));
}

BertNormalizer readNormalizer(const JsonFile &file, const json &root, const TokenizerConfig &config)
{
    const auto it = root.find("normalizer");
    if (it == root.end() || it->is_null())
        return BertNormalizer::identity();
    if (!it->is_object())
        file.fail("/normalizer", std::string("expected an object, found ") + it->type_name());
    const std::string type = file.string(*it, "/normalizer", "type", "");
    if (type != "BertNormalizer") {
        throw Error(ErrorKind::Incompatible, file.path().string() + ": /normalizer/type: unsupported normalizer "
                                                 + inQuotes(type) + " (only BertNormalizer is supported)");
    }
    BertNormalizerOptions options;
    options.cleanText = file.boolean(*it, "/normalizer", "clean_text", true);
    options.handleChineseChars = file.boolean(*it, "/normalizer", "handle_chinese_chars", true);
    options.stripAccents = file.optionalBoolean(*it, "/normalizer", "strip_accents");
    options.lowercase = file.boolean(*it, "/normalizer", "lowercase", true);
    // transformers' BertTokenizerFast rebuilds the normalizer when
    // tokenizer_config.json says otherwise; only keys the file has count here.
    if (config.doLowerCase)
        options.lowercase = *config.doLowerCase;
    if (config.hasStripAccents)
        options.stripAccents = config.stripAccents;
    if (config.tokenizeChineseChars)
        options.handleChineseChars = *config.tokenizeChineseChars;
    return BertNormalizer(options);
}

// The pre-tokenizer's type, "null" when there is none.
std::string preTokenizerType(const JsonFile &file, const json &root)
{
    const auto it = root.find("pre_tokenizer");
    if (it != root.end() && it->is_object())
        return file.string(*it, "/pre_tokenizer", "type", "");
    if (it != root.end() && !it->is_null())
        file.fail("/pre_tokenizer", std::string("expected an object, found ") + it->type_name());
    return "null";
}

void checkPreTokenizer(const JsonFile &file, const json &root)
{
    const std::string type = preTokenizerType(file, root);
    if (type != "BertPreTokenizer") {
        throw Error(ErrorKind::Incompatible, file.path().string() + ": /pre_tokenizer/type: unsupported pre-tokenizer "
                                                 + inQuotes(type) + " (only BertPreTokenizer is supported)");
    }
}

std::vector<AddedToken> readAddedTokens(const JsonFile &file, const json &root)
{
    std::vector<AddedToken> tokens;
    const auto it = root.find("added_tokens");
    if (it == root.end() || it->is_null())
        return tokens;
    if (!it->is_array())
        file.fail("/added_tokens", std::string("expected an array, found ") + it->type_name());
    for (std::size_t i = 0; i < it->size(); ++i) {
        const json &entry = (*it)[i];
        const std::string at = jsonPointer("/added_tokens", i);
        if (!entry.is_object())
            file.fail(at, std::string("expected an object, found ") + entry.type_name());
        if (!entry.contains("id"))
            file.fail(at, "missing \"id\"");
        AddedToken token;
        token.id = tokenId(file, entry["id"], jsonPointer(at, "id"));
        token.content = file.string(entry, at, "content", "");
        token.special = file.boolean(entry, at, "special", false);
        token.normalized = file.boolean(entry, at, "normalized", !token.special);
        token.singleWord = file.boolean(entry, at, "single_word", false);
        token.lstrip = file.boolean(entry, at, "lstrip", false);
        token.rstrip = file.boolean(entry, at, "rstrip", false);
        tokens.push_back(std::move(token));
    }
    return tokens;
}

// One template ([{"SpecialToken": {...}}, {"Sequence": {...}}, ...]).
std::vector<TemplateItem> readTemplate(const JsonFile &file, const json &processor, const char *key,
                                       const json &specials, bool isPair)
{
    const std::string at = jsonPointer("/post_processor", key);
    const auto it = processor.find(key);
    if (it == processor.end() || !it->is_array())
        file.fail(at, "expected an array of template pieces");
    std::vector<TemplateItem> items;
    bool seen[2] = {false, false};
    // A token type indexes token_type_embeddings: a negative or absurd one
    // is refused here, naming the file, not at the first forward pass.
    const auto typeIdOf = [&](const json &object, const std::string &pointer) {
        const std::int64_t id = file.integer(object, pointer, "type_id", 0);
        if (id < 0 || id > 65535)
            file.fail(pointer + "/type_id", "must be a token type from 0 to 65535, not " + std::to_string(id));
        return static_cast<std::int32_t>(id);
    };
    for (std::size_t i = 0; i < it->size(); ++i) {
        const json &piece = (*it)[i];
        const std::string pieceAt = jsonPointer(at, i);
        TemplateItem item;
        if (piece.is_object() && piece.size() == 1 && piece.contains("Sequence")) {
            const json &sequence = file.object(piece, pieceAt, "Sequence");
            const std::string name = file.string(sequence, pieceAt + "/Sequence", "id", "");
            if (name != "A" && (name != "B" || !isPair))
                file.fail(pieceAt + "/Sequence/id", "expected " + std::string(isPair ? "\"A\" or \"B\"" : "\"A\""));
            item.sequence = name == "A" ? 0 : 1;
            if (seen[item.sequence])
                file.fail(pieceAt, "sequence " + name + " appears twice");
            seen[item.sequence] = true;
            item.typeId = typeIdOf(sequence, pieceAt + "/Sequence");
        } else if (piece.is_object() && piece.size() == 1 && piece.contains("SpecialToken")) {
            const json &special = file.object(piece, pieceAt, "SpecialToken");
            item.name = file.string(special, pieceAt + "/SpecialToken", "id", "");
            item.typeId = typeIdOf(special, pieceAt + "/SpecialToken");
            const auto definition = specials.find(item.name);
            if (definition == specials.end() || !definition->is_object()) {
                file.fail(pieceAt + "/SpecialToken/id", "special token " + inQuotes(item.name)
                                                            + " is not in /post_processor/special_tokens");
            }
            const std::string definitionAt = jsonPointer("/post_processor/special_tokens", item.name);
            const auto ids = definition->find("ids");
            if (ids == definition->end() || !ids->is_array() || ids->empty())
                file.fail(definitionAt, "expected \"ids\", an array of token ids");
            for (std::size_t k = 0; k < ids->size(); ++k)
                item.ids.push_back(tokenId(file, (*ids)[k], jsonPointer(definitionAt + "/ids", k)));
        } else {
            file.fail(pieceAt, "expected {\"SpecialToken\": ...} or {\"Sequence\": ...}");
        }
        items.push_back(std::move(item));
    }
    if (!seen[0] || (isPair && !seen[1]))
        file.fail(at, isPair ? "the template needs both $A and $B" : "the template needs $A");
    return items;
}

// ["[CLS]", 101] in BertProcessing and RobertaProcessing.
std::pair<std::string, std::int32_t> readNamedId(const JsonFile &file, const json &processor, const char *key)
{
    const std::string at = jsonPointer("/post_processor", key);
    const auto it = processor.find(key);
    if (it == processor.end() || !it->is_array() || it->size() != 2 || !(*it)[0].is_string())
        file.fail(at, "expected [token, id]");
    return {(*it)[0].get<std::string>(), tokenId(file, (*it)[1], at + "/1")};
}

// The post-processor's type; empty when there is none.
std::string postProcessorType(const JsonFile &file, const json &root)
{
    const auto it = root.find("post_processor");
    if (it == root.end() || it->is_null())
        return {};
    if (!it->is_object())
        file.fail("/post_processor", std::string("expected an object, found ") + it->type_name());
    return file.string(*it, "/post_processor", "type", "");
}

// `config` is given for byte-level BPE only: tokenizer_config.json, whose
// add_prefix_space and trim_offsets transformers' RobertaTokenizerFast
// writes into RobertaProcessing (only keys the file has count here).
PostProcessor readPostProcessor(const JsonFile &file, const json &root, const TokenizerConfig *config)
{
    const std::string type = postProcessorType(file, root);
    if (type.empty() && (!root.contains("post_processor") || root["post_processor"].is_null()))
        return config ? PostProcessor::byteLevel(false, false) : PostProcessor::plain();
    const json &processor = root["post_processor"];
    if (type == "BertProcessing") {
        const auto [cls, clsId] = readNamedId(file, processor, "cls");
        const auto [sep, sepId] = readNamedId(file, processor, "sep");
        return PostProcessor::bert(cls, clsId, sep, sepId);
    }
    if (type == "TemplateProcessing") {
        const json &specials = file.object(processor, "/post_processor", "special_tokens");
        PostProcessor result;
        result.single = readTemplate(file, processor, "single", specials, false);
        result.pair = readTemplate(file, processor, "pair", specials, true);
        return result;
    }
    // HF's defaults for keys these two leave out.
    const auto flag = [&](const char *key) { return file.boolean(processor, "/post_processor", key, true); };
    if (config && type == "ByteLevel")
        return PostProcessor::byteLevel(flag("trim_offsets"), flag("add_prefix_space"));
    if (config && type == "RobertaProcessing") {
        const auto [cls, clsId] = readNamedId(file, processor, "cls");
        const auto [sep, sepId] = readNamedId(file, processor, "sep");
        return PostProcessor::roberta(cls, clsId, sep, sepId, config->trimOffsets.value_or(flag("trim_offsets")),
                                      config->addPrefixSpace.value_or(flag("add_prefix_space")));
    }
    throw Error(ErrorKind::Incompatible,
                file.path().string() + ": /post_processor/type: unsupported post-processor " + inQuotes(type)
                    + (config ? " (only ByteLevel, RobertaProcessing, TemplateProcessing and BertProcessing)"
                              : " (only TemplateProcessing and BertProcessing with WordPiece)"));
}

// Every id the template adds must exist, or the model would index past its embeddings.
void checkTemplateIds(const JsonFile &file, const TokenizerModel &model)
{
    for (const auto *items : {&model.postProcessor.single, &model.postProcessor.pair}) {
        for (const TemplateItem &item : *items) {
            for (std::int32_t id : item.ids) {
                if (!model.hasId(id)) {
                    file.fail("/post_processor", "special token " + inQuotes(item.name) + " has id "
                                                     + std::to_string(id) + ", which is not in the vocabulary");
                }
            }
        }
    }
}

// The ByteLevel pre-tokenizer's add_prefix_space. A BPE behind any other
// pre-tokenizer works on characters, not bytes: another model than this.
bool readByteLevelPreTokenizer(const JsonFile &file, const json &root)
{
    const auto it = root.find("pre_tokenizer");
    const std::string type = preTokenizerType(file, root);
    if (type != "ByteLevel") {
        throw Error(ErrorKind::Incompatible, file.path().string()
                                                 + ": /model/type: unsupported model type \"BPE\" with pre-tokenizer "
                                                 + inQuotes(type)
                                                 + " (only byte-level BPE, with the ByteLevel pre-tokenizer)");
    }
    if (!file.boolean(*it, "/pre_tokenizer", "use_regex", true)) {
        throw Error(ErrorKind::Incompatible, file.path().string() + ": /pre_tokenizer/use_regex: only GPT-2's "
                                                                    "split (use_regex true) is supported");
    }
    return file.boolean(*it, "/pre_tokenizer", "add_prefix_space", true);
}

void checkNoNormalizer(const JsonFile &file, const json &root)
{
    const auto it = root.find("normalizer");
    if (it == root.end() || it->is_null())
        return;
    if (!it->is_object())
        file.fail("/normalizer", std::string("expected an object, found ") + it->type_name());
    throw Error(ErrorKind::Incompatible, file.path().string() + ": /normalizer/type: unsupported normalizer "
                                             + inQuotes(file.string(*it, "/normalizer", "type", ""))
                                             + " for byte-level BPE (GPT-2 and RoBERTa have none)");
}

// "left right" strings (files before tokenizers 0.20) or ["left", "right"].
std::vector<std::pair<std::string, std::string>> readMerges(const JsonFile &file, const json &model,
                                                            const Vocab &vocab)
{
    const auto it = model.find("merges");
    if (it == model.end())
        file.fail("/model", "missing \"merges\"");
    if (!it->is_array())
        file.fail("/model/merges", std::string("expected an array, found ") + it->type_name());
    std::vector<std::pair<std::string, std::string>> merges;
    merges.reserve(it->size());
    for (std::size_t i = 0; i < it->size(); ++i) {
        const json &entry = (*it)[i];
        const std::string at = jsonPointer("/model/merges", i);
        std::string left;
        std::string right;
        if (entry.is_string()) {
            const std::string text = entry.get<std::string>();
            const std::size_t space = text.find(' ');
            if (space == std::string::npos || text.find(' ', space + 1) != std::string::npos)
                file.fail(at, "expected two tokens separated by one space, found " + inQuotes(text));
            left = text.substr(0, space);
            right = text.substr(space + 1);
        } else if (entry.is_array() && entry.size() == 2 && entry[0].is_string() && entry[1].is_string()) {
            left = entry[0].get<std::string>();
            right = entry[1].get<std::string>();
        } else {
            file.fail(at, "expected \"left right\" or [\"left\", \"right\"]");
        }
        if (const std::string why = ByteLevelBpe::checkMerge(vocab, left, right); !why.empty())
            file.fail(at, why);
        merges.emplace_back(std::move(left), std::move(right));
    }
    return merges;
}

// HF's BPE settings that GPT-2 and RoBERTa leave at their defaults; other
// values make another model, refused rather than tokenized wrongly.
ByteLevelBpe readByteLevelBpe(const JsonFile &file, const json &root, bool addPrefixSpace)
{
    const json &model = file.object(root, "", "model");
    Vocab vocab = readJsonVocab(file, file.object(model, "/model", "vocab"), "/model/vocab");
    const auto unsupported = [&](const char *key, const std::string &what) {
        throw Error(ErrorKind::Incompatible, file.path().string() + ": " + jsonPointer("/model", key) + ": " + what);
    };
    for (const char *key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
        const auto it = model.find(key);
        if (it != model.end() && !it->is_null() && !(it->is_string() && it->get<std::string>().empty()))
            unsupported(key, "must be empty for byte-level BPE, not " + it->dump());
    }
    if (file.boolean(model, "/model", "byte_fallback", false))
        unsupported("byte_fallback", "byte fallback is not supported (byte-level BPE has a token for every byte)");
    if (const auto it = model.find("dropout"); it != model.end() && !it->is_null()) {
        if (!it->is_number())
            file.fail("/model/dropout", std::string("expected a number or null, found ") + it->type_name());
        if (it->get<double>() > 0)
            unsupported("dropout", "BPE dropout (a training-time regularizer) is not supported");
    }
    ByteLevelBpe::Options options;
    options.addPrefixSpace = addPrefixSpace;
    options.ignoreMerges = file.boolean(model, "/model", "ignore_merges", false);
    // Byte-level BPE never needs its unk token (every byte has one); one the
    // vocabulary lacks only fails in HF when used, so it is no error here.
    if (const auto it = model.find("unk_token"); it != model.end() && !it->is_null()) {
        if (!it->is_string())
            file.fail("/model/unk_token", std::string("expected a string or null, found ") + it->type_name());
        options.unkId = vocab.find(it->get<std::string>());
    }
    const auto merges = readMerges(file, model, vocab);
    return ByteLevelBpe(std::move(vocab), merges, options);
}

std::shared_ptr<const TokenizerModel> loadByteLevelTokenizerJson(const JsonFile &json)
{
    const nlohmann::json &root = json.root();
    const bool addPrefixSpace = readByteLevelPreTokenizer(json, root);
    checkNoNormalizer(json, root);
    const TokenizerConfig config =
        readByteLevelTokenizerConfig(json.path().parent_path(), postProcessorType(json, root) == "RobertaProcessing");

    auto model = std::make_shared<TokenizerModel>();
    model->source = json.path();
    model->normalizer = BertNormalizer::identity();
    // transformers' GPT2TokenizerFast and RobertaTokenizerFast rebuild the
    // pre-tokenizer when tokenizer_config.json says otherwise.
    model->words = readByteLevelBpe(json, root, config.addPrefixSpace.value_or(addPrefixSpace));
    model->added = AddedVocabulary(readAddedTokens(json, root), model->normalizer);
    model->postProcessor = readPostProcessor(json, root, &config);
    checkTemplateIds(json, *model);
    applyTokenizerConfig(config, *model);
    model->unkId = model->idOf(config.unk.content);
    if (model->unkId < 0)
        model->unkId = model->byteLevelBpe()->options().unkId;
    return model;
}

const json &arrayField(const JsonFile &file, const json &object, const std::string &pointer, const char *key)
{
    const auto it = object.find(key);
    if (it == object.end() || !it->is_array())
        file.fail(jsonPointer(pointer, key), "expected an array");
    return *it;
}

// Llama-style tokenizer.json: the "▁" rules from the normalizer (Prepend and
// Replace, Llama 2's legacy files) or the Metaspace pre-tokenizer (newer files).
SentencePieceBpe::Options readMetaspaceRules(const JsonFile &file, const json &root)
{
    SentencePieceBpe::Options options;
    options.prefix = SentencePieceBpe::Prefix::Never;
    const auto unsupported = [&](const std::string &at, const std::string &what) {
        throw Error(ErrorKind::Incompatible, file.path().string() + ": " + at + ": " + what
                                                 + " (Llama-style BPE reads \"▁\" rules only: Prepend, Replace, Metaspace)");
    };
    bool spaces = false;
    const auto normalizerStep = [&](const json &step, const std::string &at) {
        const std::string type = file.string(step, at, "type", "");
        if (type == "Prepend" && file.string(step, at, "prepend", "") == "\u2581")
            options.prefix = SentencePieceBpe::Prefix::Always;
        else if (type == "Replace" && step.contains("pattern") && step["pattern"].value("String", "") == " "
                 && file.string(step, at, "content", "") == "\u2581")
            spaces = true;
        else
            unsupported(at, "unsupported normalizer " + inQuotes(type));
    };
    if (const auto it = root.find("normalizer"); it != root.end() && !it->is_null()) {
        if (file.string(*it, "/normalizer", "type", "") == "Sequence") {
            const auto &steps = arrayField(file, *it, "/normalizer", "normalizers");
            for (std::size_t i = 0; i < steps.size(); ++i)
                normalizerStep(steps[i], jsonPointer("/normalizer/normalizers", i));
        } else {
            normalizerStep(*it, "/normalizer");
        }
    }
    const std::string preTokenizer = preTokenizerType(file, root);
    if (preTokenizer == "Metaspace") {
        const json &meta = root["pre_tokenizer"];
        if (file.string(meta, "/pre_tokenizer", "replacement", "\u2581") != "\u2581")
            unsupported("/pre_tokenizer/replacement", "only \"▁\"");
        spaces = true;
        // Files before tokenizers 0.14 say add_prefix_space; later ones prepend_scheme.
        const std::string scheme = meta.contains("prepend_scheme")
                                       ? file.string(meta, "/pre_tokenizer", "prepend_scheme", "always")
                                       : (file.boolean(meta, "/pre_tokenizer", "add_prefix_space", true) ? "always" : "never");
        options.prefix = scheme == "always" ? SentencePieceBpe::Prefix::Always
                         : scheme == "first" ? SentencePieceBpe::Prefix::First
                         : scheme == "never" ? SentencePieceBpe::Prefix::Never
                                             : (unsupported("/pre_tokenizer/prepend_scheme", inQuotes(scheme)),
                                                SentencePieceBpe::Prefix::Never);
        options.prefixUnlessSpace = true;
        options.splitWords = file.boolean(meta, "/pre_tokenizer", "split", true);
    } else if (preTokenizer != "null") {
        unsupported("/pre_tokenizer/type", "unsupported pre-tokenizer " + inQuotes(preTokenizer));
    }
    if (!spaces)
        unsupported("/normalizer", "spaces are not written as \"▁\"");
    return options;
}

std::vector<SentencePieceBpe::DecodeStep> readMetaspaceDecoder(const JsonFile &file, const json &root)
{
    using Step = SentencePieceBpe::DecodeStep;
    std::vector<Step> steps;
    const auto read = [&](const json &decoder, const std::string &at) {
        const std::string type = file.string(decoder, at, "type", "");
        if (type == "Replace") {
            Step step{Step::Kind::Replace};
            step.from = decoder.contains("pattern") ? decoder["pattern"].value("String", "") : "";
            step.to = file.string(decoder, at, "content", "");
            steps.push_back(step);
        } else if (type == "ByteFallback") {
            steps.push_back({Step::Kind::ByteFallback});
        } else if (type == "Fuse") {
            steps.push_back({Step::Kind::Fuse});
        } else if (type == "Strip") {
            Step step{Step::Kind::Strip};
            step.from = file.string(decoder, at, "content", " ");
            step.start = std::size_t(file.integer(decoder, at, "start", 0));
            step.stop = std::size_t(file.integer(decoder, at, "stop", 0));
            steps.push_back(step);
        } else if (type == "Metaspace") {
            Step metaspace{Step::Kind::Metaspace};
            const bool legacyPrefix = file.boolean(decoder, at, "add_prefix_space", true);
            metaspace.start = file.string(decoder, at, "prepend_scheme", legacyPrefix ? "always" : "never") != "never";
            steps.push_back(metaspace);
        } else {
            throw Error(ErrorKind::Incompatible, file.path().string() + ": " + at + ": unsupported decoder "
                                                     + inQuotes(type));
        }
    };
    const auto it = root.find("decoder");
    if (it == root.end() || it->is_null())
        return steps;
    if (file.string(*it, "/decoder", "type", "") == "Sequence") {
        const auto &decoders = arrayField(file, *it, "/decoder", "decoders");
        for (std::size_t i = 0; i < decoders.size(); ++i)
            read(decoders[i], jsonPointer("/decoder/decoders", i));
    } else {
        read(*it, "/decoder");
    }
    return steps;
}

std::shared_ptr<const TokenizerModel> loadMetaspaceTokenizerJson(const JsonFile &json)
{
    const nlohmann::json &root = json.root();
    const nlohmann::json &bpe = json.object(root, "", "model");
    SentencePieceBpe::Options options = readMetaspaceRules(json, root);
    Vocab vocab = readJsonVocab(json, json.object(bpe, "/model", "vocab"), "/model/vocab");
    options.byteFallback = json.boolean(bpe, "/model", "byte_fallback", false);
    options.fuseUnk = json.boolean(bpe, "/model", "fuse_unk", false);
    if (const auto it = bpe.find("unk_token"); it != bpe.end() && it->is_string())
        options.unkId = vocab.find(it->get<std::string>());
    const auto merges = readMerges(json, bpe, vocab);

    TokenizerConfig defaults;
    defaults.unk = {"<unk>", -1, true};
    defaults.bos = {"<s>", -1, true};
    defaults.eos = {"</s>", -1, true};
    defaults.pad = defaults.cls = defaults.sep = defaults.mask = {"", -1, true};
    const TokenizerConfig config = readTokenizerConfig(json.path().parent_path(), defaults);

    auto model = std::make_shared<TokenizerModel>();
    model->source = json.path();
    model->normalizer = BertNormalizer::identity();
    model->words = SentencePieceBpe(std::move(vocab), merges, options, readMetaspaceDecoder(json, root));
    model->added = AddedVocabulary(readAddedTokens(json, root), model->normalizer);
    model->postProcessor = readPostProcessor(json, root, nullptr);
    checkTemplateIds(json, *model);
    applyTokenizerConfig(config, *model);
    model->unkId = options.unkId;
    return model;
}

} // namespace

Vocab readJsonVocab(const JsonFile &file, const nlohmann::json &entries, const std::string &pointer)
{
    Vocab vocab;
    vocab.reserve(entries.size());
    for (const auto &[token, value] : entries.items()) {
        const std::string at = jsonPointer(pointer, token);
        const std::int32_t id = tokenId(file, value, at);
        if (vocab.hasId(id))
            file.fail(at, "id " + std::to_string(id) + " is already used by " + inQuotes(std::string(vocab.token(id))));
        vocab.add(token, id);
    }
    if (vocab.size() == 0)
        file.fail(pointer, "the vocabulary is empty");
    return vocab;
}

std::shared_ptr<const TokenizerModel> loadTokenizerJson(const std::filesystem::path &file)
{
    const JsonFile json = JsonFile::read(file);
    if (!json.root().is_object())
        json.fail("", std::string("expected an object, found ") + json.root().type_name());
    if (modelType(json, json.object(json.root(), "", "model")) == "BPE")
        return preTokenizerType(json, json.root()) == "ByteLevel" ? loadByteLevelTokenizerJson(json)
                                                                  : loadMetaspaceTokenizerJson(json);
    const TokenizerConfig config = readTokenizerConfig(file.parent_path());

    auto model = std::make_shared<TokenizerModel>();
    model->source = file;
    model->words = readWordPiece(json, json.root());
    model->normalizer = readNormalizer(json, json.root(), config);
    checkPreTokenizer(json, json.root());
    model->added = AddedVocabulary(readAddedTokens(json, json.root()), model->normalizer);
    model->postProcessor = readPostProcessor(json, json.root(), nullptr);
    checkTemplateIds(json, *model);
    applyTokenizerConfig(config, *model);
    model->unkId = model->wordPiece()->unkId();
    return model;
}

} // namespace ft
