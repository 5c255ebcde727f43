// tst_tokenizer_golden.cpp: the BERT WordPiece tokenizer against Hugging Face's output: the golden tiny-bert
// cases and batches, the published bert-base-uncased test vectors and bert-base-chinese cases.
#include "testhelpers.h"
#include "testregistry.h"
#include "text/tokenizer.h"
#include "tokenizer_fixtures.h"

#include <QTest>

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

namespace fs = std::filesystem;
using namespace ft;
using namespace ft::test;

namespace {

std::vector<std::int64_t> flattened(const nlohmann::json &rows)
{
    std::vector<std::int64_t> flat;
    for (const auto &r : rows)
        for (const auto &value : r)
            flat.push_back(value.get<std::int64_t>());
    return flat;
}

// The 46 strings of llama.cpp's ggml-vocab-bert-bge test (SOURCE.md): each
// is followed by "\n__ggml_vocab_test__\n"; line i of .out holds its ids.
std::vector<std::pair<std::string, std::string>> bgeVectors()
{
    const fs::path base = kUncased / "reference_tokenization" / "ggml-vocab-bert-bge.gguf";
    std::ifstream inputFile(base.string() + ".inp", std::ios::binary);
    const std::string inputs{std::istreambuf_iterator<char>(inputFile), {}};
    std::ifstream outputFile(base.string() + ".out", std::ios::binary);
    std::vector<std::pair<std::string, std::string>> vectors;
    const std::string marker = "\n__ggml_vocab_test__\n";
    std::size_t pos = 0;
    for (std::size_t next; (next = inputs.find(marker, pos)) != std::string::npos; pos = next + marker.size()) {
        std::string ids;
        std::getline(outputFile, ids);
        std::istringstream numbers(ids);
        std::string normalized;
        for (long long id; numbers >> id;)
            normalized += (normalized.empty() ? "" : " ") + std::to_string(id);
        vectors.emplace_back(inputs.substr(pos, next - pos), normalized);
    }
    return vectors;
}

} // namespace

// Expected output from Hugging Face: golden.json and the published vectors.
class TokenizerGoldenTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void goldenCases_data()
    {
        QTest::addColumn<QString>("loader");
        QTest::addColumn<int>("index");
        const auto &cases = goldenJson()["cases"];
        QCOMPARE(cases.size(), std::size_t{10});
        for (const QString &loader : kLoaders) {
            for (std::size_t i = 0; i < cases.size(); ++i) {
                QTest::addRow("%s/%s", qPrintable(loader), cases[i]["id"].get<std::string>().c_str())
                    << loader << int(i);
            }
        }
    }

    void goldenCases()
    {
        QFETCH(QString, loader);
        QFETCH(int, index);
        const nlohmann::json &expected = goldenJson()["cases"][std::size_t(index)];
        const Tokenizer tok = tokenizer(kTiny, loader);
        EncodeOptions options;
        options.maxLength = expected["max_length"].get<std::size_t>();
        const std::string text = expected["text"].get<std::string>();
        const Encoding encoding = expected["text_pair"].is_null()
            ? tok.encode(text, options)
            : tok.encode(text, expected["text_pair"].get<std::string>(), options);
        QCOMPARE(joined(tok.idsToTokens(encoding.ids)), joined<std::string>(expected["tokens"]));
        QCOMPARE(joined(encoding.ids), joined<std::int64_t>(expected["input_ids"]));
        QCOMPARE(joined(encoding.typeIds), joined<std::int64_t>(expected["token_type_ids"]));
        QCOMPARE(joined(encoding.attentionMask), joined<std::int64_t>(expected["attention_mask"]));
        QCOMPARE(encoding.untruncatedLength, expected["untruncated_length"].get<std::size_t>());
        QCOMPARE(encoding.offsets.size(), encoding.ids.size());
    }

    void paddedBatch_data()
    {
        QTest::addColumn<QString>("loader");
        for (const QString &loader : kLoaders)
            QTest::newRow(qPrintable(loader)) << loader;
    }

    void paddedBatch()
    {
        QFETCH(QString, loader);
        const Tokenizer tok = tokenizer(kTiny, loader);
        const nlohmann::json &expected = goldenJson()["padded_batch"];
        const nlohmann::json &cases = goldenJson()["cases"];
        std::vector<Encoding> encodings;
        for (const auto &c : cases) {
            EncodeOptions options;
            options.maxLength = c["max_length"].get<std::size_t>();
            encodings.push_back(c["text_pair"].is_null() ? tok.encode(c["text"].get<std::string>(), options)
                                                         : tok.encode(c["text"].get<std::string>(),
                                                                      c["text_pair"].get<std::string>(), options));
        }
        const BatchEncoding batch = tok.pad(encodings);
        QCOMPARE(batch.rows, std::int64_t(cases.size()));
        QCOMPARE(batch.cols, std::int64_t(expected["input_ids"][0].size()));
        QCOMPARE(joined(batch.inputIds), joined(flattened(expected["input_ids"])));
        QCOMPARE(joined(batch.tokenTypeIds), joined(flattened(expected["token_type_ids"])));
        QCOMPARE(joined(batch.attentionMask), joined(flattened(expected["attention_mask"])));

        // encodeBatch over the single texts (all with max_length 32) gives
        // the same rows: the longest of them is 32 as well.
        std::vector<std::string> texts;
        std::vector<std::size_t> rows;
        for (std::size_t i = 0; i < cases.size(); ++i) {
            if (cases[i]["text_pair"].is_null()) {
                QCOMPARE(cases[i]["max_length"].get<int>(), 32);
                texts.push_back(cases[i]["text"].get<std::string>());
                rows.push_back(i);
            }
        }
        const std::vector<std::string_view> views(texts.begin(), texts.end());
        EncodeOptions options;
        options.maxLength = 32;
        const BatchEncoding singles = tok.encodeBatch(views, options);
        QCOMPARE(singles.rows, std::int64_t(texts.size()));
        QCOMPARE(singles.cols, batch.cols);
        for (std::size_t r = 0; r < rows.size(); ++r) {
            QCOMPARE(joined(row(singles.inputIds, singles.cols, r)), joined(row(batch.inputIds, batch.cols, rows[r])));
            QCOMPARE(joined(row(singles.attentionMask, singles.cols, r)),
                     joined(row(batch.attentionMask, batch.cols, rows[r])));
            QCOMPARE(singles.untruncatedLengths[r], cases[rows[r]]["untruncated_length"].get<std::int64_t>());
        }
    }

    void paddedToMaxLength_data() { paddedBatch_data(); }

    void paddedToMaxLength()
    {
        QFETCH(QString, loader);
        const Tokenizer tok = tokenizer(kTiny, loader);
        const nlohmann::json &expected = goldenJson()["padded_to_max_length_example"];
        std::vector<std::string> texts;
        for (const auto &id : expected["case_ids"]) {
            for (const auto &c : goldenJson()["cases"]) {
                if (c["id"] == id)
                    texts.push_back(c["text"].get<std::string>());
            }
        }
        QCOMPARE(texts.size(), std::size_t{3});
        const std::vector<std::string_view> views(texts.begin(), texts.end());
        EncodeOptions options;
        options.maxLength = std::size_t(goldenJson()["default_max_length"].get<int>());
        options.padding = Padding::MaxLength;
        const BatchEncoding batch = tok.encodeBatch(views, options);
        QCOMPARE(batch.rows, std::int64_t{3});
        QCOMPARE(batch.cols, std::int64_t{32});
        QCOMPARE(joined(batch.inputIds), joined(flattened(expected["input_ids"])));
        QCOMPARE(joined(batch.tokenTypeIds), joined(flattened(expected["token_type_ids"])));
        QCOMPARE(joined(batch.attentionMask), joined(flattened(expected["attention_mask"])));
        QCOMPARE(joined(batch.lengths), QStringLiteral("11 12 14"));
    }

    void bertBaseUncasedVectors_data()
    {
        QTest::addColumn<QString>("loader");
        QTest::addColumn<int>("index");
        const auto vectors = bgeVectors();
        QCOMPARE(vectors.size(), std::size_t{46});
        for (const QString &loader : kLoaders) {
            for (std::size_t i = 0; i < vectors.size(); ++i)
                QTest::addRow("%s/%02d", qPrintable(loader), int(i)) << loader << int(i);
        }
    }

    void bertBaseUncasedVectors()
    {
        QFETCH(QString, loader);
        QFETCH(int, index);
        static const auto vectors = bgeVectors();
        const auto &[text, ids] = vectors[std::size_t(index)];
        EncodeOptions options;
        options.addSpecialTokens = false;
        options.truncation = false;
        const Encoding encoding = tokenizer(kUncased, loader).encode(text, options);
        QCOMPARE(joined(encoding.ids), QString::fromStdString(ids));
    }

    // bert-base-chinese has no published reference vectors (SOURCE.md lists
    // none), so these expectations were derived by hand from HF's semantics
    // (cased: no lower-casing or accent stripping; CJK ideographs split;
    // ，。！ are Unicode punctuation; full-width Latin is neither split nor
    // folded; greedy WordPiece) and ids looked up as line numbers - 1 in
    // its vocab.txt: e.g. "iPhone" -> i is in the vocabulary but no ##P...
    // piece is, so the word is one [UNK]; "6999" -> 699 ##9.
    void bertBaseChinese_data()
    {
        QTest::addColumn<QString>("loader");
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("pair");
        QTest::addColumn<QString>("tokens");
        QTest::addColumn<QString>("ids");
        QTest::addColumn<QString>("types");
        struct Case {
            const char *name, *text, *pair, *tokens, *ids;
        };
        const Case cases[] = {
            {"ideographs", "我爱北京天安门", nullptr, "[CLS] 我 爱 北 京 天 安 门 [SEP]",
             "101 2769 4263 1266 776 1921 2128 7305 102"},
            {"fullwidth_punctuation", "今天天气很好，我们去公园玩吧。", nullptr,
             "[CLS] 今 天 天 气 很 好 ， 我 们 去 公 园 玩 吧 。 [SEP]",
             "101 791 1921 1921 3698 2523 1962 8024 2769 812 1343 1062 1736 4381 1416 511 102"},
            {"literal_mask", "北京是[MASK]国的首都", nullptr, "[CLS] 北 京 是 [MASK] 国 的 首 都 [SEP]",
             "101 1266 776 3221 103 1744 4638 7674 6963 102"},
            {"cased_latin_and_digits", "iPhone 12 Pro售价6999元", nullptr,
             "[CLS] [UNK] 12 [UNK] 售 价 699 ##9 元 [SEP]", "101 100 8110 100 1545 817 10439 8160 1039 102"},
            {"pair", "你好", "谢谢你！", "[CLS] 你 好 [SEP] 谢 谢 你 ！ [SEP]", "101 872 1962 102 6468 6468 872 8013 102"},
            {"accents_kept", "Café naïve", nullptr, "[CLS] [UNK] [UNK] [SEP]", "101 100 100 102"},
            {"fullwidth_latin", "ＡＢＣ１２３ abc", nullptr, "[CLS] [UNK] abc [SEP]", "101 100 8425 102"},
            {"emoji", "我😀你", nullptr, "[CLS] 我 [UNK] 你 [SEP]", "101 2769 100 872 102"},
            {"mixed", "2024年5月，GPT-4o发布了", nullptr, "[CLS] 202 ##4 年 5 月 ， [UNK] - 4 ##o 发 布 了 [SEP]",
             "101 9707 8159 2399 126 3299 8024 100 118 125 8167 1355 2357 749 102"},
        };
        for (const QString &loader : kLoaders) {
            for (const Case &c : cases) {
                QStringList types;
                bool second = false;
                for (const QString &token : QString::fromUtf8(c.tokens).split(QLatin1Char(' '))) {
                    types << QLatin1String(second ? "1" : "0");
                    second = second || (c.pair && token == QLatin1String("[SEP]"));
                }
                QTest::addRow("%s/%s", qPrintable(loader), c.name)
                    << loader << QString::fromUtf8(c.text) << (c.pair ? QString::fromUtf8(c.pair) : QString())
                    << QString::fromUtf8(c.tokens) << QString::fromUtf8(c.ids) << types.join(QLatin1Char(' '));
            }
        }
    }

    void bertBaseChinese()
    {
        QFETCH(QString, loader);
        QFETCH(QString, text);
        QFETCH(QString, pair);
        QFETCH(QString, tokens);
        QFETCH(QString, ids);
        QFETCH(QString, types);
        const Tokenizer tok = tokenizer(kChinese, loader);
        QVERIFY(!tok.lowercases());
        const Encoding encoding = pair.isNull() ? tok.encode(text.toStdString())
                                                : tok.encode(text.toStdString(), pair.toStdString());
        QCOMPARE(joined(tok.idsToTokens(encoding.ids)), tokens);
        QCOMPARE(joined(encoding.ids), ids);
        QCOMPARE(joined(encoding.typeIds), types);
    }
};

FT_REGISTER_TEST(TokenizerGoldenTest);

#include "tst_tokenizer_golden.moc"
