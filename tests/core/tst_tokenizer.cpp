// tst_tokenizer.cpp: the BERT WordPiece tokenizer's offsets, truncation, batches, special and added-token rules,
// and the errors bad tokenizer files give; tst_tokenizer_golden.cpp compares its output with Hugging Face's.
#include "common/error.h"
#include "tempproject.h"
#include "testhelpers.h"
#include "testregistry.h"
#include "text/tokenizer.h"
#include "tokenizer_fixtures.h"

#include <QTemporaryDir>
#include <QTest>

#include <nlohmann/json.hpp>

namespace fs = std::filesystem;
using namespace ft;
using namespace ft::test;

namespace {

// What BertNormalizer should make of a piece of input, computed with Qt's
// Unicode tables instead of ours: control and format characters dropped,
// and for uncased tokenizers NFD, nonspacing marks dropped, lower case.
QString normalizedForTest(const QByteArray &bytes, bool uncased)
{
    QString text = QString::fromUtf8(bytes);
    if (uncased)
        text = text.normalized(QString::NormalizationForm_D);
    QString out;
    for (char32_t cp : text.toUcs4()) {
        const QChar::Category category = QChar::category(cp);
        if (category == QChar::Other_Control || category == QChar::Other_Format)
            continue;
        if (uncased && category == QChar::Mark_NonSpacing)
            continue;
        if (uncased)
            cp = QChar::toLower(cp);
        out.append(QString::fromUcs4(&cp, 1));
    }
    return out;
}

QString spans(const Encoding &encoding)
{
    QStringList parts;
    for (const TokenSpan &span : encoding.offsets)
        parts << QStringLiteral("%1-%2@%3").arg(span.begin).arg(span.end).arg(int(span.sequence));
    return parts.join(QLatin1Char(' '));
}

nlohmann::json tinyTokenizerJson()
{
    return readJsonFile(kTiny / "tokenizer.json");
}

std::vector<std::int64_t> piecesOf(const Tokenizer &tok, const std::string &text)
{
    EncodeOptions options;
    options.addSpecialTokens = false;
    return tok.encode(text, options).ids;
}

} // namespace

// Offsets, truncation, batches, added-token rules and errors.
class TokenizerTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void offsetsCoverTheirTokens_data()
    {
        QTest::addColumn<QString>("folder");
        QTest::addColumn<QString>("loader");
        QTest::addColumn<QByteArray>("text");
        QTest::addColumn<QByteArray>("pair");
        QTest::addColumn<bool>("uncased");
        const QString tiny = QString::fromStdString(kTiny.string());
        for (const QString &loader : kLoaders) {
            for (const auto &c : goldenJson()["cases"]) {
                const QByteArray pair = c["text_pair"].is_null()
                    ? QByteArray() : QByteArray::fromStdString(c["text_pair"].get<std::string>());
                QTest::addRow("%s/%s", qPrintable(loader), c["id"].get<std::string>().c_str())
                    << tiny << loader << QByteArray::fromStdString(c["text"].get<std::string>()) << pair << true;
            }
        }
        QTest::newRow("uncased/accents_emoji")
            << QString::fromStdString(kUncased.string()) << QStringLiteral("tokenizer.json")
            << QByteArray("F\xc3\xbchrer discards \xf0\x9f\xa6\x99.cpp, "
                          "na\xc3\xafve CAF\xc3\x89 h\xc3\xa4nd\xc2\xad" "chen")
            << QByteArray() << true;
        QTest::newRow("uncased/pair") << QString::fromStdString(kUncased.string()) << QStringLiteral("vocab.txt")
                                      << QByteArray("Is this the real life?")
                                      << QByteArray("Is this just fantasy? Caught in a landslide") << true;
        QTest::newRow("chinese/mixed") << QString::fromStdString(kChinese.string()) << QStringLiteral("tokenizer.json")
                                       << QByteArray("今天天气很好，iphone 12售价6999元。") << QByteArray() << false;
    }

    void offsetsCoverTheirTokens()
    {
        QFETCH(QString, folder);
        QFETCH(QString, loader);
        QFETCH(QByteArray, text);
        QFETCH(QByteArray, pair);
        QFETCH(bool, uncased);
        const Tokenizer tok = tokenizer(toPath(folder), loader);
        const Encoding encoding = pair.isNull() ? tok.encode(text.toStdString())
                                                : tok.encode(text.toStdString(), pair.toStdString());
        QCOMPARE(encoding.offsets.size(), encoding.ids.size());
        std::uint32_t previousEnd[2] = {0, 0};
        for (std::size_t i = 0; i < encoding.size(); ++i) {
            const TokenSpan span = encoding.offsets[i];
            const std::string token(tok.idToToken(encoding.ids[i]));
            if (span.sequence < 0) {
                QCOMPARE(span.begin, span.end);
                QVERIFY2(token == "[CLS]" || token == "[SEP]", token.c_str());
                continue;
            }
            QVERIFY(span.sequence == 0 || (span.sequence == 1 && !pair.isNull()));
            QCOMPARE(encoding.typeIds[i], std::int64_t(span.sequence));
            const QByteArray &source = span.sequence == 0 ? text : pair;
            QVERIFY(span.begin < span.end);
            QVERIFY(span.end <= std::uint32_t(source.size()));
            QVERIFY(span.begin >= previousEnd[span.sequence]);
            previousEnd[span.sequence] = span.end;
            const QByteArray piece = source.mid(span.begin, span.end - span.begin);
            if (encoding.ids[i] == tok.unkId() || piece.toStdString() == token)
                continue; // [UNK] covers the whole word; a literal [MASK] is itself
            QString expected = QString::fromStdString(token);
            if (expected.startsWith(QLatin1String("##")))
                expected.remove(0, 2);
            QCOMPARE(normalizedForTest(piece, uncased), expected);
        }
    }

    void exactOffsets()
    {
        const Tokenizer tok = tokenizer(kTiny, QStringLiteral("tokenizer.json"));
        QCOMPARE(spans(tok.encode("Caf\xc3\xa9 na\xc3\xafve")), QStringLiteral("0-0@-1 0-5@0 6-12@0 0-0@-1"));
        const Encoding unaffable = tok.encode("unaffable 10\xe2\x82\xac");
        QCOMPARE(joined(tok.idsToTokens(unaffable.ids)), QStringLiteral("[CLS] un ##aff ##able [UNK] [SEP]"));
        QCOMPARE(spans(unaffable), QStringLiteral("0-0@-1 0-2@0 2-5@0 5-9@0 10-15@0 0-0@-1"));
        QCOMPARE(spans(tok.encode("a b", "c")), QStringLiteral("0-0@-1 0-1@0 2-3@0 0-0@-1 0-1@1 0-0@-1"));
        QCOMPARE(spans(tok.encode("the [MASK]!")), QStringLiteral("0-0@-1 0-3@0 4-10@0 10-11@0 0-0@-1"));
        // A deleted character inside a piece stays inside its span.
        QCOMPARE(spans(tok.encode("h\xc2\xad" "and")), QStringLiteral("0-0@-1 0-6@0 0-0@-1"));
    }

    void invalidUtf8ReadsAsReplacementCharacters()
    {
        const Tokenizer tok = tokenizer(kTiny, QStringLiteral("vocab.txt"));
        const std::string bad = "\xff\xfehello \xc3(world\xed\xa0\x80!\xc0\xaf \x80\xe4\xb8";
        const Encoding encoding = tok.encode(bad);
        QCOMPARE(joined(encoding.ids), joined(tok.encode("hello (world!").ids));
        QCOMPARE(spans(encoding), QStringLiteral("0-0@-1 2-7@0 9-10@0 10-15@0 18-19@0 0-0@-1"));
        // Every possible single byte, alone and after a lead byte.
        for (int b = 0; b < 256; ++b) {
            const char bytes[] = {char(b), 'a', char(0xE4), char(b)};
            const Encoding e = tok.encode(std::string_view(bytes, sizeof bytes));
            for (const TokenSpan &span : e.offsets)
                QVERIFY(span.end <= sizeof bytes);
        }
    }

    void truncateLongestFirstAsRust_data()
    {
        QTest::addColumn<int>("first");
        QTest::addColumn<int>("second");
        QTest::addColumn<int>("budget");
        QTest::addColumn<int>("keptFirst");
        QTest::addColumn<int>("keptSecond");
        QTest::newRow("odd budget, second longer") << 10 << 12 << 13 << 6 << 7;
        QTest::newRow("odd budget, first longer") << 12 << 10 << 13 << 7 << 6;
        QTest::newRow("tie gives the second the extra") << 7 << 7 << 13 << 6 << 7;
        QTest::newRow("short first kept") << 3 << 20 << 13 << 3 << 10;
        QTest::newRow("short second kept") << 20 << 3 << 13 << 10 << 3;
        QTest::newRow("fits") << 5 << 5 << 20 << 5 << 5;
        QTest::newRow("empty first") << 0 << 30 << 10 << 0 << 10;
        QTest::newRow("both longer than budget") << 20 << 20 << 5 << 2 << 3;
        QTest::newRow("zero budget") << 30 << 30 << 0 << 0 << 0;
    }

    void truncateLongestFirstAsRust()
    {
        QFETCH(int, first);
        QFETCH(int, second);
        QFETCH(int, budget);
        QFETCH(int, keptFirst);
        QFETCH(int, keptSecond);
        std::size_t a = std::size_t(first);
        std::size_t b = std::size_t(second);
        truncateLongestFirst(a, b, std::size_t(budget));
        QCOMPARE(int(a), keptFirst);
        QCOMPARE(int(b), keptSecond);
    }

    void maxLengthAndTruncationOptions()
    {
        const Tokenizer tok = tokenizer(kTiny, QStringLiteral("tokenizer.json"));
        const std::string longText = goldenJson()["cases"][5]["text"].get<std::string>();
        QCOMPARE(tok.modelMaxLength(), std::size_t{64});
        QCOMPARE(tok.encode(longText).size(), std::size_t{55}); // model_max_length 64 is the default
        EncodeOptions options;
        options.maxLength = 2;
        QCOMPARE(joined(tok.encode(longText, options).ids), QStringLiteral("2 3"));
        options.maxLength = 3;
        QCOMPARE(joined(tok.encode(longText, "x y", options).ids), QStringLiteral("2 3 3"));
        options.maxLength = 1;
        expectError([&] { tok.encode(longText, options); }, ErrorKind::InvalidInput, {QStringLiteral("max_length 1")});
        options.maxLength = 10;
        options.truncation = false;
        const Encoding whole = tok.encode(longText, options);
        QCOMPARE(whole.size(), std::size_t{55});
        QCOMPARE(whole.untruncatedLength, std::size_t{55});

        // bert-base-uncased's files give no model_max_length: nothing is
        // cut by default, and padding to max_length needs one.
        const Tokenizer base = tokenizer(kUncased, QStringLiteral("vocab.txt"));
        QCOMPARE(base.modelMaxLength(), std::size_t{0});
        std::string huge;
        for (int i = 0; i < 700; ++i)
            huge += "word ";
        QCOMPARE(base.encode(huge).size(), std::size_t{702});
        const std::vector<std::string_view> texts = {"a"};
        EncodeOptions padMax;
        padMax.padding = Padding::MaxLength;
        expectError([&] { base.encodeBatch(texts, padMax); }, ErrorKind::InvalidInput, {QStringLiteral("max_length")});
        padMax.maxLength = 8;
        QCOMPARE(joined(base.encodeBatch(texts, padMax).inputIds), QStringLiteral("101 1037 102 0 0 0 0 0"));
    }

    void pairBatchMatchesSingleEncodes()
    {
        const Tokenizer tok = tokenizer(kTiny, QStringLiteral("vocab.txt"));
        const std::vector<std::string_view> texts = {"How old are you?", "a b c", ""};
        const std::vector<std::string_view> pairs = {"I am six years old, and you?", "d e", "f"};
        const BatchEncoding batch = tok.encodeBatch(texts, pairs);
        QCOMPARE(batch.rows, std::int64_t{3});
        QCOMPARE(batch.cols, std::int64_t{18});
        for (std::size_t r = 0; r < texts.size(); ++r) {
            Encoding single = tok.encode(texts[r], pairs[r]);
            QCOMPARE(batch.lengths[r], std::int64_t(single.size()));
            single.ids.resize(18, tok.padId());
            single.typeIds.resize(18, 0);
            single.attentionMask.resize(18, 0);
            QCOMPARE(joined(row(batch.inputIds, batch.cols, r)), joined(single.ids));
            QCOMPARE(joined(row(batch.tokenTypeIds, batch.cols, r)), joined(single.typeIds));
            QCOMPARE(joined(row(batch.attentionMask, batch.cols, r)), joined(single.attentionMask));
        }
        QCOMPARE(joined(row(batch.inputIds, batch.cols, 2)), QStringLiteral("2 3 79 3 0 0 0 0 0 0 0 0 0 0 0 0 0 0"));
        const std::vector<std::string_view> fewer = {"x"};
        expectError([&] { tok.encodeBatch(texts, fewer); }, ErrorKind::InvalidInput, {QStringLiteral("pair")});
        const BatchEncoding empty = tok.encodeBatch(std::vector<std::string_view>{});
        QCOMPARE(empty.rows, std::int64_t{0});
        QVERIFY(empty.inputIds.empty());
    }

    void specialTokensComeFromTheFiles_data()
    {
        QTest::addColumn<QString>("folder");
        QTest::addColumn<QString>("loader");
        QTest::addColumn<QString>("ids"); // pad unk cls sep mask vocabSize
        for (const QString &loader : kLoaders) {
            QTest::addRow("tiny/%s", qPrintable(loader))
                << QString::fromStdString(kTiny.string()) << loader << QStringLiteral("0 1 2 3 4 1000");
            QTest::addRow("uncased/%s", qPrintable(loader))
                << QString::fromStdString(kUncased.string()) << loader << QStringLiteral("0 100 101 102 103 30522");
            QTest::addRow("chinese/%s", qPrintable(loader))
                << QString::fromStdString(kChinese.string()) << loader << QStringLiteral("0 100 101 102 103 21128");
        }
    }

    void specialTokensComeFromTheFiles()
    {
        QFETCH(QString, folder);
        QFETCH(QString, loader);
        QFETCH(QString, ids);
        const Tokenizer tok = tokenizer(toPath(folder), loader);
        const std::vector<std::int64_t> actual = {tok.padId(), tok.unkId(), tok.clsId(), tok.sepId(), tok.maskId(),
                                                  tok.vocabSize()};
        QCOMPARE(joined(actual), ids);
        QCOMPARE(tok.tokenToId("[MASK]"), std::optional<std::int64_t>(tok.maskId()));
        QCOMPARE(tok.tokenToId("no such token"), std::optional<std::int64_t>());
        QCOMPARE(tok.idToToken(tok.clsId()), std::string_view("[CLS]"));
        QCOMPARE(tok.specialTokenCount(false), std::size_t{2});
        QCOMPARE(tok.specialTokenCount(true), std::size_t{3});
        QCOMPARE(tok.source().filename().string(), loader.toStdString());
    }

    void folderPrefersTokenizerJson()
    {
        QCOMPARE(Tokenizer::fromFolder(kTiny).source().filename().string(), std::string("tokenizer.json"));
        QTemporaryDir dir;
        const fs::path folder = toPath(dir.path());
        writeBytes(folder / "vocab.txt", readBytes(kTiny / "vocab.txt"));
        const Tokenizer fromVocab = Tokenizer::fromFolder(folder);
        QCOMPARE(fromVocab.source().filename().string(), std::string("vocab.txt"));
        QCOMPARE(joined(fromVocab.encode("hello world, unaffable players!").ids),
                 QStringLiteral("2 680 374 21 711 734 721 337 716 10 3"));
        QCOMPARE(fromVocab.modelMaxLength(), std::size_t{0}); // no tokenizer_config.json here
        QTemporaryDir empty;
        expectError([&] { Tokenizer::fromFolder(toPath(empty.path())); }, ErrorKind::NotFound,
                    {QStringLiteral("no tokenizer.json or vocab.txt")});
    }

    void bertProcessingAndUntypedModel()
    {
        nlohmann::json json = tinyTokenizerJson();
        json["model"].erase("type");
        json["post_processor"] = {{"type", "BertProcessing"}, {"sep", {"[SEP]", 3}}, {"cls", {"[CLS]", 2}}};
        QTemporaryDir dir;
        const fs::path file = toPath(dir.filePath(QStringLiteral("tokenizer.json")));
        writeBytes(file, QByteArray::fromStdString(json.dump(2)));
        const Tokenizer tok = Tokenizer::fromTokenizerJson(file);
        for (const auto &c : goldenJson()["cases"]) {
            EncodeOptions options;
            options.maxLength = c["max_length"].get<std::size_t>();
            const Encoding encoding = c["text_pair"].is_null()
                ? tok.encode(c["text"].get<std::string>(), options)
                : tok.encode(c["text"].get<std::string>(), c["text_pair"].get<std::string>(), options);
            QCOMPARE(joined(encoding.ids), joined<std::int64_t>(c["input_ids"]));
            QCOMPARE(joined(encoding.typeIds), joined<std::int64_t>(c["token_type_ids"]));
        }
    }

    void addedTokenRules()
    {
        nlohmann::json json = tinyTokenizerJson();
        const auto added = [](int id, const char *content, bool singleWord, bool strip, bool normalized) {
            return nlohmann::json{{"id", id}, {"content", content}, {"single_word", singleWord}, {"lstrip", strip},
                                  {"rstrip", strip}, {"normalized", normalized}, {"special", !normalized}};
        };
        json["added_tokens"].push_back(added(5, "<x>", false, true, false));
        json["added_tokens"].push_back(added(6, "ab", true, false, false));
        json["added_tokens"].push_back(added(7, "Foo Bar", false, false, true));
        QTemporaryDir dir;
        const fs::path file = toPath(dir.filePath(QStringLiteral("tokenizer.json")));
        writeBytes(file, QByteArray::fromStdString(json.dump()));
        const Tokenizer tok = Tokenizer::fromTokenizerJson(file);
        const Tokenizer plain = tokenizer(kTiny, QStringLiteral("tokenizer.json"));

        // "ab" only as a word of its own; "<x>" takes the spaces around it;
        // "Foo Bar" is found after normalization (lower case).
        const std::string text = "ab about  <x>  FOO BAR baz";
        const Encoding encoding = tok.encode(text);
        std::vector<std::int64_t> expected = {2, 6};
        for (std::int64_t id : piecesOf(plain, "about"))
            expected.push_back(id);
        expected.insert(expected.end(), {5, 7});
        for (std::int64_t id : piecesOf(plain, "baz"))
            expected.push_back(id);
        expected.push_back(3);
        QCOMPARE(joined(encoding.ids), joined(expected));
        QCOMPARE(encoding.offsets[1], (TokenSpan{0, 2, 0}));
        const std::size_t x = expected.size() - 3 - piecesOf(plain, "baz").size(); // the index of <x>
        QCOMPARE(encoding.offsets[x], (TokenSpan{8, 15, 0}));
        QCOMPARE(encoding.offsets[x + 1], (TokenSpan{15, 22, 0}));
        QCOMPARE(tok.idToToken(5), std::string_view("<x>"));
    }

    void badFiles_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QByteArray>("content"); // null: the file is missing
        QTest::addColumn<int>("kind");
        QTest::addColumn<QString>("needle");
        const int invalid = int(ErrorKind::InvalidInput);
        const int incompatible = int(ErrorKind::Incompatible);
        const QString json = QStringLiteral("tokenizer.json");
        const QString vocab = QStringLiteral("vocab.txt");
        const auto variant = [](auto &&edit) {
            nlohmann::json j = tinyTokenizerJson();
            edit(j);
            return QByteArray::fromStdString(j.dump(1));
        };
        const QByteArray original = readBytes(kTiny / "tokenizer.json");

        QTest::newRow("vocab missing") << vocab << QByteArray() << int(ErrorKind::NotFound)
                                       << QStringLiteral("vocab.txt: no such file");
        QTest::newRow("vocab duplicate line")
            << vocab << QByteArray("[PAD]\n[UNK]\n[CLS]\n[SEP]\nhello\n[UNK]\nworld\n") << invalid
            << QStringLiteral("vocab.txt:6: duplicate token \"[UNK]\" (already on line 2)");
        QTest::newRow("vocab crlf duplicate") << vocab << QByteArray("[UNK]\r\n[CLS]\r\n[SEP]\r\n[CLS]\r\n") << invalid
                                              << QStringLiteral("vocab.txt:4: duplicate token \"[CLS]\"");
        QTest::newRow("vocab invalid utf-8") << vocab << QByteArray("[UNK]\n[CLS]\n[SEP]\nab\xff\n") << invalid
                                             << QStringLiteral("vocab.txt:4: invalid UTF-8");
        QTest::newRow("vocab without [UNK]") << vocab << QByteArray("[PAD]\n[CLS]\n[SEP]\n") << invalid
                                             << QStringLiteral("unk_token \"[UNK]\"");
        QTest::newRow("vocab without [CLS]") << vocab << QByteArray("[PAD]\n[UNK]\n[SEP]\n") << invalid
                                             << QStringLiteral("cls_token \"[CLS]\"");
        QTest::newRow("vocab without [SEP]") << vocab << QByteArray("[PAD]\n[UNK]\n[CLS]\n") << invalid
                                             << QStringLiteral("sep_token \"[SEP]\"");
        QTest::newRow("vocab empty") << vocab << QByteArray("") << invalid << QStringLiteral("vocabulary is empty");
        QTest::newRow("config bad type") << QStringLiteral("tokenizer_config.json")
                                         << QByteArray(R"({"do_lower_case": "yes"})") << invalid
                                         << QStringLiteral("/do_lower_case: expected true or false");
        QTest::newRow("json missing") << json << QByteArray() << int(ErrorKind::NotFound)
                                      << QStringLiteral("tokenizer.json: no such file");
        QTest::newRow("json truncated") << json << original.left(original.size() / 2) << invalid
                                        << QStringLiteral("invalid JSON at line");
        QTest::newRow("json not json") << json << QByteArray("[PAD]\n[UNK]\n") << invalid
                                       << QStringLiteral("invalid JSON at line 1, column 2");
        QTest::newRow("json not an object") << json << QByteArray("[1, 2]") << invalid
                                            << QStringLiteral("expected an object");
        QTest::newRow("json model type BPE") << json << variant([](auto &j) { j["model"]["type"] = "BPE"; })
                                             << incompatible // BERT's normalizer before a Llama-style BPE
                                             << QStringLiteral("/normalizer: unsupported normalizer \"BertNormalizer\"");
        QTest::newRow("json untyped BPE") << json << variant([](auto &j) {
            j["model"].erase("type");
            j["model"]["merges"] = nlohmann::json::array();
        }) << incompatible << QStringLiteral("unsupported normalizer \"BertNormalizer\"");
        QTest::newRow("json no model") << json << variant([](auto &j) { j.erase("model"); }) << invalid
                                       << QStringLiteral("/: missing \"model\"");
        QTest::newRow("json vocab not an object") << json << variant([](auto &j) { j["model"]["vocab"] = 5; })
                                                  << invalid << QStringLiteral("/model/vocab: expected an object");
        QTest::newRow("json vocab id twice")
            << json << variant([](auto &j) { j["model"]["vocab"]["hello2"] = 680; }) << invalid
            << QStringLiteral("/model/vocab/hello2: id 680 is already used by \"hello\"");
        QTest::newRow("json negative id") << json << variant([](auto &j) { j["model"]["vocab"]["neg"] = -1; })
                                          << invalid << QStringLiteral("/model/vocab/neg: token id -1 out of range");
        QTest::newRow("json unk not in vocab") << json << variant([](auto &j) { j["model"]["vocab"].erase("[UNK]"); })
                                               << invalid << QStringLiteral("/model/unk_token: \"[UNK]\" is not in");
        QTest::newRow("json unknown normalizer")
            << json << variant([](auto &j) { j["normalizer"]["type"] = "Precompiled"; }) << incompatible
            << QStringLiteral("/normalizer/type: unsupported normalizer \"Precompiled\"");
        QTest::newRow("json bad normalizer flag")
            << json << variant([](auto &j) { j["normalizer"]["lowercase"] = 1; }) << invalid
            << QStringLiteral("/normalizer/lowercase: expected true or false");
        QTest::newRow("json unknown pre-tokenizer")
            << json << variant([](auto &j) { j["pre_tokenizer"]["type"] = "Metaspace"; }) << incompatible
            << QStringLiteral("/pre_tokenizer/type: unsupported pre-tokenizer \"Metaspace\"");
        QTest::newRow("json unknown post-processor")
            << json << variant([](auto &j) { j["post_processor"]["type"] = "RobertaProcessing"; }) << incompatible
            << QStringLiteral("/post_processor/type");
        QTest::newRow("json template without [CLS]")
            << json << variant([](auto &j) { j["post_processor"]["special_tokens"].erase("[CLS]"); }) << invalid
            << QStringLiteral("/post_processor/single/0/SpecialToken/id: special token \"[CLS]\" is not in");
        QTest::newRow("json template id unknown")
            << json << variant([](auto &j) { j["post_processor"]["special_tokens"]["[SEP]"]["ids"][0] = 5000; })
            << invalid << QStringLiteral("special token \"[SEP]\" has id 5000");
        QTest::newRow("json template negative type id")
            << json << variant([](auto &j) { j["post_processor"]["single"][1]["Sequence"]["type_id"] = -1; })
            << invalid << QStringLiteral("/post_processor/single/1/Sequence/type_id: must be a token type from 0");
        QTest::newRow("json added token without id")
            << json << variant([](auto &j) { j["added_tokens"][2].erase("id"); }) << invalid
            << QStringLiteral("/added_tokens/2: missing \"id\"");
    }

    void badFiles()
    {
        QFETCH(QString, file);
        QFETCH(QByteArray, content);
        QFETCH(int, kind);
        QFETCH(QString, needle);
        QTemporaryDir dir;
        const fs::path folder = toPath(dir.path());
        fs::path target = folder / file.toStdString();
        if (!content.isNull())
            writeBytes(target, content);
        if (file == QLatin1String("tokenizer_config.json"))
            writeBytes(folder / "vocab.txt", readBytes(kTiny / "vocab.txt"));
        const bool json = file == QLatin1String("tokenizer.json");
        const fs::path load = json ? target : folder / "vocab.txt";
        expectError([&] { json ? Tokenizer::fromTokenizerJson(load) : Tokenizer::fromVocabFile(load); },
                    ErrorKind(kind), {QString::fromStdString(target.string()), needle});
    }
};

FT_REGISTER_TEST(TokenizerTest);

#include "tst_tokenizer.moc"
