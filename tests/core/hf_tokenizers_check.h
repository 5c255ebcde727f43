// hf_tokenizers_check.h: checking a tokenizer against Hugging Face's own library: hard texts and pairs
// (tests/tokenizers/hard_texts.json), HF's encodings of them (npm tokenizers through
// tests/tokenizers/hf_encode.mjs) and ids, token types and spans described as one string to compare.
#pragma once

#include "testhelpers.h"
#include "text/tokenizer.h"
#include "tokenizer_fixtures.h"

#include <QFileInfo>
#include <QString>
#include <QStringList>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace ft::test {

// tests/tokenizers/hard_texts.json: texts that take every branch of GPT-2's split and of the byte alphabet, and
// pairs; with long words and runs made here.
inline const nlohmann::json &hardCases()
{
    static const nlohmann::json cases = [] {
        nlohmann::json json = readJsonFile(std::filesystem::path(FT_TESTS_DIR) / "tokenizers" / "hard_texts.json");
        std::string mixed;
        for (int i = 0; i < 200; ++i)
            mixed += "word\xf0\x9f\x98\x80 42, ";
        for (const std::string &text : {std::string(300, 'a'), "x" + std::string(1000, ' ') + "y", mixed})
            json["texts"].push_back(text);
        return json;
    }();
    return cases;
}

inline const std::vector<std::string> &hardTexts()
{
    static const std::vector<std::string> texts = hardCases()["texts"].get<std::vector<std::string>>();
    return texts;
}

inline const std::vector<std::pair<std::string, std::string>> &hardPairs()
{
    static const auto pairs = hardCases()["pairs"].get<std::vector<std::pair<std::string, std::string>>>();
    return pairs;
}

inline QString qpath(const std::filesystem::path &path)
{
    return QString::fromStdString(path.string());
}

inline QString spans(const Encoding &encoding)
{
    QStringList parts;
    for (const TokenSpan &span : encoding.offsets)
        parts << QStringLiteral("%1-%2@%3").arg(span.begin).arg(span.end).arg(int(span.sequence));
    return parts.join(QLatin1Char(' '));
}

// Ids, token types and spans in one string, ours or HF's (hf_encode.mjs).
inline QString described(const Encoding &encoding)
{
    return joined(encoding.ids) + " | " + joined(encoding.typeIds) + " | " + spans(encoding);
}

inline QString described(const nlohmann::json &hf)
{
    QStringList parts;
    for (std::size_t i = 0; i < hf["offsets"].size(); ++i)
        parts << QStringLiteral("%1-%2@%3").arg(hf["offsets"][i][0].get<int>()).arg(hf["offsets"][i][1].get<int>())
                     .arg(hf["sequences"][i].get<int>());
    return joined<std::int64_t>(hf["ids"]) + " | " + joined<std::int64_t>(hf["type_ids"]) + " | "
        + parts.join(QLatin1Char(' '));
}

inline Encoding encodeWhole(const Tokenizer &tok, const std::string &text, const std::string *pair = nullptr)
{
    EncodeOptions options;
    options.truncation = false;
    return pair ? tok.encode(text, *pair, options) : tok.encode(text, options);
}

inline void writeText(const std::filesystem::path &file, const std::string &text)
{
    std::filesystem::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << text;
}

// Why the cross-check cannot run here (no node, or npm's tokenizers not installed), or empty.
inline QString hfCrossCheckUnavailable()
{
    if (!QFileInfo(QStringLiteral(FT_NODE)).isExecutable())
        return QStringLiteral("node was not found when configuring (FT_NODE): the cross-check with Hugging Face's "
                              "tokenizers needs it");
    if (!std::filesystem::exists(std::filesystem::path(FT_HF_TOKENIZERS_MODULES) / "tokenizers" / "package.json"))
        return QStringLiteral("npm's tokenizers package is not installed in " FT_HF_TOKENIZERS_MODULES ": run "
                              "`ctest -R tokenizers_npm_setup` (npm with the npm registry, or npm's cache)");
    return {};
}

// HF's encodings of hardTexts() and hardPairs() with `tokenizerJson` (hf_encode.mjs), run once per file; `failure`
// says why there are none.
inline const nlohmann::json &hfEncodings(const std::filesystem::path &tokenizerJson, const std::filesystem::path &scratch, QString &failure)
{
    static std::map<std::string, nlohmann::json> results;
    auto it = results.find(tokenizerJson.string());
    if (it != results.end())
        return it->second;
    const nlohmann::json cases = {{"texts", hardTexts()}, {"pairs", hardPairs()}};
    const std::filesystem::path input = scratch / "hf-cases.json";
    writeText(input, cases.dump());
    const std::filesystem::path script = std::filesystem::path(FT_TESTS_DIR) / "tokenizers" / "hf_encode.mjs";
    const QByteArray output = runProgram(
        QStringLiteral(FT_NODE), {QString::fromStdString(script.string()), "--modules", FT_HF_TOKENIZERS_MODULES,
                                  "--tokenizer", QString::fromStdString(tokenizerJson.string()), "--input",
                                  QString::fromStdString(input.string())},
        failure);
    static const nlohmann::json none;
    if (!failure.isEmpty())
        return none;
    return results.emplace(tokenizerJson.string(), nlohmann::json::parse(output.toStdString())).first->second;
}

} // namespace ft::test
