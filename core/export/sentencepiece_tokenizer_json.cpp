// sentencepiece_tokenizer_json.cpp: following transformers' SpmConverter and XLMRobertaConverter
// (convert_slow_tokenizer.py) and XLMRobertaTokenizerFast's special tokens.
#include "export/sentencepiece_tokenizer_json.h"

#include "common/error.h"
#include "text/json_file.h"
#include "text/proto_fields.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace ft {

namespace {

struct SpmPiece {
    std::string piece;
    float score = 0;
    std::uint64_t type = 1; // NORMAL; 3 control, 4 user-defined
};

std::string base64(std::string_view bytes)
{
    static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    for (std::size_t i = 0; i < bytes.size(); i += 3) {
        const std::size_t count = std::min<std::size_t>(3, bytes.size() - i);
        std::uint32_t group = 0;
        for (std::size_t k = 0; k < 3; ++k)
            group = (group << 8) | (k < count ? static_cast<unsigned char>(bytes[i + k]) : 0u);
        for (std::size_t k = 0; k < 4; ++k)
            out += k <= count ? kAlphabet[(group >> (18 - 6 * k)) & 0x3F] : '=';
    }
    return out;
}

nlohmann::ordered_json metaspace()
{
    return {{"type", "Metaspace"}, {"replacement", "\xE2\x96\x81"}, {"prepend_scheme", "always"}, {"split", true}};
}

nlohmann::ordered_json templatePiece(const char *kind, const std::string &id)
{
    return {{kind, {{"id", id}, {"type_id", 0}}}};
}

} // namespace

nlohmann::ordered_json xlmRobertaTokenizerJson(const std::filesystem::path &modelFile)
{
    const std::string bytes = readFileBytes(modelFile);
    std::vector<SpmPiece> pieces;
    std::uint64_t modelType = 1; // TrainerSpec.model_type: UNIGRAM unless said
    std::string_view charsmap;
    // ModelProto: 1 pieces (1 piece, 2 score, 3 type), 2 trainer_spec (3 model_type), 3 normalizer_spec
    // (2 precompiled_charsmap).
    ProtoFields fields(bytes);
    while (fields.next()) {
        if (fields.field() == 1) {
            SpmPiece piece;
            ProtoFields parts(fields.payload());
            while (parts.next()) {
                if (parts.field() == 1)
                    piece.piece = std::string(parts.payload());
                else if (parts.field() == 2)
                    piece.score = parts.fixed32AsFloat();
                else if (parts.field() == 3)
                    piece.type = parts.varint();
            }
            pieces.push_back(std::move(piece));
        } else if (fields.field() == 2) {
            ProtoFields trainer(fields.payload());
            while (trainer.next())
                if (trainer.field() == 3)
                    modelType = trainer.varint();
        } else if (fields.field() == 3) {
            ProtoFields normalizer(fields.payload());
            while (normalizer.next())
                if (normalizer.field() == 2)
                    charsmap = normalizer.payload();
        }
    }
    if (pieces.size() < 4)
        throw Error(ErrorKind::InvalidInput, modelFile.string() + ": not a SentencePiece model (" +
                                                 std::to_string(pieces.size()) + " pieces read)");
    if (modelType != 1)
        throw Error(ErrorKind::Incompatible, modelFile.string() + ": model type " + std::to_string(modelType)
                                                 + " is not Unigram, which XLM-R's tokenizer.json describes");

    // XLMRobertaConverter.vocab: fairseq's four, the pieces from spm id 3 on, <mask>.
    nlohmann::ordered_json vocab = nlohmann::ordered_json::array();
    std::map<std::string, std::int64_t> idOf;
    const auto addPiece = [&](const std::string &piece, double score) {
        idOf.emplace(piece, std::int64_t(vocab.size()));
        vocab.push_back(nlohmann::ordered_json::array({piece, score}));
    };
    for (const char *special : {"<s>", "<pad>", "</s>", "<unk>"})
        addPiece(special, 0.0);
    for (std::size_t i = 3; i < pieces.size(); ++i)
        addPiece(pieces[i].piece, double(pieces[i].score));
    addPiece("<mask>", 0.0);

    // SpmConverter: control and user-defined pieces in spm order, then the fast tokenizer's special tokens
    // (which are special whatever spm made them); a content added twice keeps its first entry; by id.
    static const std::set<std::string> fastSpecials = {"<s>", "<pad>", "</s>", "<unk>", "<mask>"};
    struct Added {
        std::string content;
        bool special;
        bool lstrip;
    };
    std::vector<Added> added;
    const auto add = [&](const std::string &content, bool special, bool lstrip = false) {
        if (std::none_of(added.begin(), added.end(), [&](const Added &a) { return a.content == content; }))
            added.push_back({content, special || fastSpecials.contains(content), lstrip});
    };
    for (const SpmPiece &piece : pieces)
        if (piece.type == 3 || piece.type == 4)
            add(piece.piece, piece.type == 3);
    for (const char *special : {"<s>", "<pad>", "</s>", "<unk>"})
        add(special, true);
    add("<mask>", true, true);
    std::stable_sort(added.begin(), added.end(),
                     [&](const Added &a, const Added &b) { return idOf.at(a.content) < idOf.at(b.content); });
    nlohmann::ordered_json addedTokens = nlohmann::ordered_json::array();
    for (const Added &token : added)
        addedTokens.push_back({{"id", idOf.at(token.content)}, {"content", token.content}, {"single_word", false},
                               {"lstrip", token.lstrip}, {"rstrip", false}, {"normalized", false},
                               {"special", token.special}});

    nlohmann::ordered_json normalizers = nlohmann::ordered_json::array();
    if (!charsmap.empty())
        normalizers.push_back({{"type", "Precompiled"}, {"precompiled_charsmap", base64(charsmap)}});
    normalizers.push_back({{"type", "Strip"}, {"strip_left", false}, {"strip_right", true}});
    normalizers.push_back({{"type", "Replace"}, {"pattern", {{"Regex", " {2,}"}}}, {"content", "\xE2\x96\x81"}});

    const auto special = [&](const std::string &token) {
        return nlohmann::ordered_json{{"id", token}, {"ids", {idOf.at(token)}}, {"tokens", {token}}};
    };
    nlohmann::ordered_json json;
    json["version"] = "1.0";
    json["truncation"] = nullptr;
    json["padding"] = nullptr;
    json["added_tokens"] = addedTokens;
    json["normalizer"] = {{"type", "Sequence"}, {"normalizers", normalizers}};
    json["pre_tokenizer"] = metaspace();
    json["post_processor"] = {
        {"type", "TemplateProcessing"},
        {"single", {templatePiece("SpecialToken", "<s>"), templatePiece("Sequence", "A"),
                    templatePiece("SpecialToken", "</s>")}},
        {"pair", {templatePiece("SpecialToken", "<s>"), templatePiece("Sequence", "A"),
                  templatePiece("SpecialToken", "</s>"), templatePiece("SpecialToken", "</s>"),
                  templatePiece("Sequence", "B"), templatePiece("SpecialToken", "</s>")}},
        {"special_tokens", {{"<s>", special("<s>")}, {"</s>", special("</s>")}}}};
    json["decoder"] = metaspace();
    json["model"] = {{"type", "Unigram"}, {"unk_id", 3}, {"vocab", vocab}, {"byte_fallback", false}};
    return json;
}

} // namespace ft
