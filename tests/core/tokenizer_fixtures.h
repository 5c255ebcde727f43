// tokenizer_fixtures.h: what tst_tokenizer_golden.cpp and tst_tokenizer.cpp share: the tokenizer folders, each
// tokenizer loaded once, and ids or tokens joined into one string to compare.
#pragma once

#include "text/tokenizer.h"

#include <QLatin1String>
#include <QString>
#include <QStringList>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <string>
#include <type_traits>
#include <vector>

namespace ft::test {

inline const std::filesystem::path kTiny = std::filesystem::path(FT_SHARED_DIR) / "golden" / "tiny-bert-uncased";
inline const std::filesystem::path kUncased =
    std::filesystem::path(FT_SHARED_DIR) / "data" / "tokenizers" / "bert-base-uncased";
inline const std::filesystem::path kChinese =
    std::filesystem::path(FT_SHARED_DIR) / "data" / "tokenizers" / "bert-base-chinese";

inline const QStringList kLoaders = {QStringLiteral("tokenizer.json"), QStringLiteral("vocab.txt")};

// The tokenizer of `folder` loaded by `loader` ("tokenizer.json" or "vocab.txt"), loaded once.
inline Tokenizer tokenizer(const std::filesystem::path &folder, const QString &loader)
{
    static std::map<std::string, Tokenizer> cache;
    const std::filesystem::path file = folder / loader.toStdString();
    auto it = cache.find(file.string());
    if (it == cache.end()) {
        it = cache.emplace(file.string(), loader == QLatin1String("vocab.txt") ? Tokenizer::fromVocabFile(file)
                                                                                : Tokenizer::fromTokenizerJson(file))
                 .first;
    }
    return it->second;
}

template <typename T>
QString joined(const std::vector<T> &values)
{
    QStringList parts;
    for (const T &value : values) {
        if constexpr (std::is_same_v<T, std::string>)
            parts << QString::fromStdString(value);
        else
            parts << QString::number(value);
    }
    return parts.join(QLatin1Char(' '));
}

template <typename T>
QString joined(const nlohmann::json &values)
{
    return joined(values.get<std::vector<T>>());
}


// Row `row` of a flat rows x cols array.
inline std::vector<std::int64_t> row(const std::vector<std::int64_t> &flat, std::int64_t cols, std::size_t row)
{
    return {flat.begin() + std::ptrdiff_t(row * cols), flat.begin() + std::ptrdiff_t((row + 1) * cols)};
}

} // namespace ft::test
