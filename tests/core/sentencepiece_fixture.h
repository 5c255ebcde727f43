// sentencepiece_fixture.h: the XLM-R tokenizer fixture the SentencePiece tests share (a unigram model trained
// once per run on SST-2 and waimai_10k text), the data it reads, and running the npm tokenizers' scripts of
// tests/tokenizers with node.
#pragma once

#include "tempproject.h"
#include "testhelpers.h"
#include "text/sentencepiece_library.h"
#include "text/tokenizer.h"

#include <QFileInfo>
#include <QStringList>
#include <QTemporaryDir>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace ft::test {

inline const std::filesystem::path kData = std::filesystem::path(FT_SHARED_DIR) / "data";
inline const std::filesystem::path kTestsDir = FT_TESTS_DIR;

// Column `column` (0-based, split at `separator`) of `file`'s lines after the header, every `step`-th line.
inline std::vector<std::string> columnOf(const std::filesystem::path &file, char separator, int column,
                                         std::size_t count, std::size_t step = 1)
{
    std::ifstream in(file, std::ios::binary);
    std::vector<std::string> values;
    std::string line;
    std::getline(in, line);
    for (std::size_t i = 0; values.size() < count && std::getline(in, line); ++i) {
        if (i % step != 0 || line.empty())
            continue;
        std::size_t from = 0;
        for (int c = 0; c < column; ++c)
            from = line.find(separator, from) + 1;
        // waimai_10k's review is the rest of the line (it may hold commas).
        values.push_back(separator == ',' ? line.substr(from) : line.substr(from, line.find(separator, from) - from));
    }
    return values;
}

inline std::vector<std::string> sst2(std::size_t count)
{
    return columnOf(kData / "sst2" / "train.tsv", '\t', 0, count);
}
inline std::vector<std::string> waimai(std::size_t count)
{
    return columnOf(kData / "waimai_10k" / "waimai_10k.csv", ',', 1, count, 4);
}

// An XLM-R tokenizer folder, made once per run: a unigram model trained on 3,000 SST-2 sentences and 3,000
// waimai_10k reviews (a licence-free fixture: nothing trained on the data is kept) with XLM-R's settings, which
// are SentencePiece's defaults (nmt_nfkc normalization, a "▁" before the first word, extra spaces removed,
// pieces <unk> <s> </s> first), beside XLM-R's tokenizer_config.json.
inline const std::filesystem::path &xlmrFolder()
{
    static QTemporaryDir dir;
    static const std::filesystem::path folder = [] {
        std::vector<std::string> lines = sst2(3000);
        for (std::string &review : waimai(3000))
            lines.push_back(std::move(review));
        QByteArray corpus;
        for (const std::string &line : lines)
            corpus += QByteArray::fromStdString(line) + '\n';
        const std::filesystem::path input = toPath(dir.path()) / "corpus.txt";
        writeBytes(input, corpus);
        const std::filesystem::path path = toPath(dir.path()) / "xlm-r";
        std::filesystem::create_directories(path);
        const std::string failure = trainSentencePiece(
            "--input=" + input.string() + " --model_prefix=" + (path / "sentencepiece.bpe").string()
            + " --model_type=unigram --vocab_size=3000 --character_coverage=0.9995"
              " --normalization_rule_name=nmt_nfkc --num_threads=1 --minloglevel=2");
        if (!failure.empty())
            qFatal("training the SentencePiece fixture failed: %s", failure.c_str());
        std::filesystem::remove(path / "sentencepiece.bpe.vocab");
        writeBytes(path / "tokenizer_config.json",
                   R"({"tokenizer_class": "XLMRobertaTokenizer", "model_max_length": 512})");
        return path;
    }();
    return folder;
}

inline const Tokenizer &xlmr()
{
    static const Tokenizer tokenizer = Tokenizer::fromFolder(xlmrFolder());
    return tokenizer;
}

inline bool hfAvailable(QString &why)
{
    if (!QFileInfo(QStringLiteral(FT_NODE)).isExecutable())
        why = QStringLiteral("node was not found when configuring (FT_NODE)");
    else if (!std::filesystem::exists(std::filesystem::path(FT_HF_TOKENIZERS_MODULES) / "tokenizers" / "package.json"))
        why = QStringLiteral("npm's tokenizers is not installed in " FT_HF_TOKENIZERS_MODULES
                             ": run `ctest -R tokenizers_npm_setup`");
    return why.isEmpty();
}

inline QByteArray runNode(const QString &script, const QStringList &arguments, QString &failure)
{
    return runProgram(QStringLiteral(FT_NODE),
                      QStringList{QString::fromStdString((kTestsDir / "tokenizers" / script.toStdString()).string())}
                          + arguments,
                      failure);
}

} // namespace ft::test
