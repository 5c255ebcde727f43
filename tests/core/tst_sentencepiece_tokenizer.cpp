// tst_sentencepiece_tokenizer.cpp: XLM-R's SentencePiece tokenizer on a unigram model trained here with XLM-R's
// settings (SST-2 and waimai_10k text): fairseq's ids against libsentencepiece's own, the template, truncation and
// padding, decoding, bad files, which file a folder is read from, threads, an xlm-roberta folder trained and
// exported end to end, and a cross-check of ids, spans and decoding with HF's tokenizers (npm) on the
// tokenizer.json transformers' XLMRobertaConverter makes of the model (tests/tokenizers/spm_to_tokenizer_json.mjs),
// which is also what the export writes.
#include "common/error.h"
#include "export/run_export.h"
#include "export/sentencepiece_tokenizer_json.h"
#include "models/model_family.h"
#include "nullsink.h"
#include "sentencepiece_fixture.h"
#include "store/datasets.h"
#include "store/project.h"
#include "tempproject.h"
#include "testhelpers.h"
#include "testregistry.h"
#include "text/json_file.h"
#include "text/sentencepiece_library.h"
#include "text/tokenizer.h"
#include "tokenizer_fixtures.h"
#include "train/trainer.h"

#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>

#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <thread>

namespace fs = std::filesystem;
using namespace ft;
using namespace ft::test;

namespace {

// libsentencepiece on the fixture model, for what transformers' XLMRobertaTokenizer does: spm's ids + 1, its
// <unk> as 3, between <s> and </s>.
const SentencePieceProcessor &spm()
{
    static const auto processor = [] {
        std::string failure;
        auto loaded = SentencePieceProcessor::load(readFileBytes(xlmrFolder() / "sentencepiece.bpe.model"), failure);
        if (!loaded)
            qFatal("cannot load the fixture model: %s", failure.c_str());
        return loaded;
    }();
    return *processor;
}

std::vector<std::int64_t> slowTokenizerIds(const std::string &text)
{
    const std::vector<int> pieces = spm().encodeIds(text);
    std::vector<std::int64_t> ids = {0};
    for (int id : pieces)
        ids.push_back(spm().isUnknown(id) ? 3 : id + 1);
    ids.push_back(2);
    return ids;
}

// Texts beyond tests/tokenizers/hard_texts.json for SentencePiece's normalization: NFKC's wide and composed
// forms, spaces of every kind and "▁" itself, the specials as text, characters the model lacks, CJK.
const std::vector<std::string> kExtraTexts = {
    "the movie is great .",
    "这家外卖很好吃，送餐也快！",
    "送餐很快，味道不错",
    "\xef\xbc\xa6\xef\xbd\x95\xef\xbd\x8c\xef\xbd\x8c ABC \xef\xbc\x91\xef\xbc\x92\xef\xbc\x93", // fullwidth
    "\xef\xac\x81ne \xef\xac\x82ower \xc2\xbd \xe2\x84\xa2 \xe2\x85\xab",                          // ligatures, ½ ™ Ⅻ
    "  leading and   multiple   spaces  ",
    "\t\ttabs\nand\r\nnewlines\n",
    "x \xe2\x96\x81 y \xe2\x96\x81\xe2\x96\x81 z",
    "Hello <mask> world",
    "<mask>",
    "a<mask>b",
    "Hello</s>world",
    "<s><pad></s><unk>",
    "text <unk> more <pad>",
    "unknown: \xf0\x9f\xa6\x9c \xea\x99\xae \xf0\x93\x80\x80 end",
    "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xa8 \xed\x95\x9c\xea\xb5\xad\xec\x96\xb4",
    "\x01\x02 ctrl a\xe2\x80\x8b" "b",
    "\xc2\xa0\xc2\xa0nbsp\xe3\x80\x80ideographic",
};

std::vector<std::string> crossCheckTexts()
{
    std::vector<std::string> texts = readJsonFile(kTestsDir / "tokenizers" / "hard_texts.json")["texts"];
    texts.insert(texts.end(), kExtraTexts.begin(), kExtraTexts.end());
    // Hotel reviews too: their runs of "。" and "!" make a few Viterbi ties.
    const std::vector<std::string> hotels = columnOf(kData / "chnsenticorp_htl" / "train.csv", ',', 1, 520);
    for (const std::vector<std::string> &rows : {sst2(150), waimai(150), hotels})
        texts.insert(texts.end(), rows.begin(), rows.end());
    return texts;
}

std::vector<std::pair<std::string, std::string>> crossCheckPairs()
{
    auto pairs = readJsonFile(kTestsDir / "tokenizers" / "hard_texts.json")["pairs"]
                     .get<std::vector<std::pair<std::string, std::string>>>();
    pairs.emplace_back("这家外卖很好吃", "the movie is great .");
    pairs.emplace_back("  spaces  ", "<mask> ok");
    return pairs;
}

Encoding encodeWhole(const Tokenizer &tok, const std::string &text, const std::string *pair = nullptr)
{
    EncodeOptions options;
    options.truncation = false;
    return pair ? tok.encode(text, *pair, options) : tok.encode(text, options);
}

QString spans(const Encoding &encoding)
{
    QStringList parts;
    for (const TokenSpan &span : encoding.offsets)
        parts << QStringLiteral("%1-%2@%3").arg(span.begin).arg(span.end).arg(int(span.sequence));
    return parts.join(QLatin1Char(' '));
}

QString spans(const nlohmann::json &hf)
{
    QStringList parts;
    for (std::size_t i = 0; i < hf["offsets"].size(); ++i)
        parts << QStringLiteral("%1-%2@%3").arg(hf["offsets"][i][0].get<int>()).arg(hf["offsets"][i][1].get<int>())
                     .arg(hf["sequences"][i].get<int>());
    return parts.join(QLatin1Char(' '));
}

// A tiny xlm-roberta classifier config for the fixture tokenizer.
nlohmann::json scratchConfig()
{
    return {{"model_type", "xlm-roberta"}, {"architectures", {"XLMRobertaForMaskedLM"}},
            {"vocab_size", xlmr().vocabSize()}, {"hidden_size", 32}, {"num_hidden_layers", 1},
            {"num_attention_heads", 2}, {"intermediate_size", 64}, {"max_position_embeddings", 66},
            {"type_vocab_size", 1}, {"pad_token_id", 1}, {"bos_token_id", 0}, {"eos_token_id", 2},
            {"hidden_dropout_prob", 0.0}, {"attention_probs_dropout_prob", 0.0}};
}

} // namespace

// XLM-R's SentencePiece tokenizer: fairseq ids, template, truncation, decoding, files, HF cross-check, training.
class SentencePieceTokenizerTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void fairseqIds()
    {
        const Tokenizer &tok = xlmr();
        const int pieces = spm().pieceSize();
        QVERIFY(tok.sentencePiece());
        QVERIFY(!tok.byteLevel());
        QCOMPARE(tok.source().filename().string(), std::string("sentencepiece.bpe.model"));
        const std::vector<std::int64_t> ids = {tok.bosId(), tok.clsId(), tok.padId(), tok.eosId(), tok.sepId(),
                                               tok.unkId(), tok.maskId(), tok.vocabSize()};
        QCOMPARE(joined(ids), QStringLiteral("0 0 1 2 2 3 %1 %2").arg(pieces + 1).arg(pieces + 2));
        QCOMPARE(tok.modelMaxLength(), std::size_t{512});
        QCOMPARE(tok.specialTokenCount(false), std::size_t{2});
        QCOMPARE(tok.specialTokenCount(true), std::size_t{4});
        for (const char *special : {"<s>", "<pad>", "</s>", "<unk>", "<mask>"})
            QCOMPARE(tok.idToToken(*tok.tokenToId(special)), std::string_view(special));
        // Every piece past spm's <unk> <s> </s> at its spm id + 1, as XLMRobertaTokenizer numbers them.
        for (int id = 3; id < pieces; ++id) {
            QCOMPARE(tok.tokenToId(spm().idToPiece(id)), std::optional<std::int64_t>(id + 1));
            QCOMPARE(tok.idToToken(id + 1), std::string_view(spm().idToPiece(id)));
        }
    }

    // What transformers' XLMRobertaTokenizer does, spm's ids + 1 between <s> and </s>, on SST-2 and Chinese
    // reviews; the spans of each token hold its text.
    void matchesLibSentencePiece()
    {
        std::vector<std::string> texts = sst2(400);
        for (std::string &review : waimai(400))
            texts.push_back(std::move(review));
        for (const std::string &text : texts) {
            const Encoding encoding = encodeWhole(xlmr(), text);
            QCOMPARE(joined(encoding.ids), joined(slowTokenizerIds(text)));
            QCOMPARE(joined(encoding.typeIds), joined(std::vector<std::int64_t>(encoding.size(), 0)));
            for (std::size_t i = 1; i + 1 < encoding.size(); ++i) {
                const TokenSpan span = encoding.offsets[i];
                QVERIFY(span.sequence == 0 && span.begin < span.end && span.end <= text.size());
            }
        }
        // A run of characters the model lacks is one <unk>, spanning them all.
        const std::string parrots = "a \xf0\x9f\xa6\x9c\xf0\x9f\xa6\x9c b";
        const Encoding unknown = xlmr().encode(parrots);
        QCOMPARE(xlmr().idsToTokens(unknown.ids)[3], std::string("<unk>"));
        QCOMPARE(unknown.offsets[3], (TokenSpan{2, 10, 0}));
    }

    void templateAndSpans()
    {
        const Tokenizer &tok = xlmr();
        const Encoding single = tok.encode("the movie");
        QCOMPARE(joined(tok.idsToTokens(single.ids)), QStringLiteral("<s> ▁the ▁movie </s>"));
        QCOMPARE(spans(single), QStringLiteral("0-0@-1 0-3@0 3-9@0 0-0@-1"));
        const Encoding pair = tok.encode("the movie", "  great");
        QCOMPARE(joined(tok.idsToTokens(pair.ids)), QStringLiteral("<s> ▁the ▁movie </s> </s> ▁great </s>"));
        QCOMPARE(joined(pair.typeIds), QStringLiteral("0 0 0 0 0 0 0"));
        // HF's "▁" of two spaces spans the second.
        QCOMPARE(spans(pair), QStringLiteral("0-0@-1 0-3@0 3-9@0 0-0@-1 0-0@-1 1-7@1 0-0@-1"));
        // <mask> takes the spaces before it (lstrip), as XLM-R's special tokens have it.
        const Encoding masked = tok.encode("the <mask> movie");
        QCOMPARE(masked.ids[2], tok.maskId());
        QCOMPARE(masked.offsets[2], (TokenSpan{3, 10, 0}));
        EncodeOptions plain;
        plain.addSpecialTokens = false;
        QCOMPARE(joined(tok.encode("the movie", "great", plain).ids),
                 joined(std::vector<std::int64_t>{*tok.tokenToId("\xe2\x96\x81the"), *tok.tokenToId("\xe2\x96\x81movie"),
                                                  *tok.tokenToId("\xe2\x96\x81great")}));
    }

    void truncationAndPadding()
    {
        const Tokenizer &tok = xlmr();
        const std::string first = "the movie is a gripping and beautifully acted film";
        const std::string second = "a dull and lifeless mess";
        const Encoding a = encodeWhole(tok, first);
        const Encoding b = encodeWhole(tok, second);
        const std::vector<std::int64_t> pieceA(a.ids.begin() + 1, a.ids.end() - 1);
        const std::vector<std::int64_t> pieceB(b.ids.begin() + 1, b.ids.end() - 1);
        for (std::size_t maxLength : {6, 9, 12}) {
            EncodeOptions options;
            options.maxLength = maxLength;
            const Encoding cut = tok.encode(first, options);
            std::vector<std::int64_t> expected = {0};
            expected.insert(expected.end(), pieceA.begin(), pieceA.begin() + std::ptrdiff_t(maxLength - 2));
            expected.push_back(2);
            QCOMPARE(joined(cut.ids), joined(expected));
            QCOMPARE(cut.untruncatedLength, a.size());
            // A pair: longest_first over both texts, 4 special tokens.
            std::size_t lengthA = pieceA.size();
            std::size_t lengthB = pieceB.size();
            truncateLongestFirst(lengthA, lengthB, maxLength - 4);
            expected = {0};
            expected.insert(expected.end(), pieceA.begin(), pieceA.begin() + std::ptrdiff_t(lengthA));
            expected.insert(expected.end(), {2, 2});
            expected.insert(expected.end(), pieceB.begin(), pieceB.begin() + std::ptrdiff_t(lengthB));
            expected.push_back(2);
            QCOMPARE(joined(tok.encode(first, second, options).ids), joined(expected));
        }
        // Batches pad on the right with <pad> (1).
        const std::vector<std::string_view> texts = {first, second, ""};
        const BatchEncoding batch = tok.encodeBatch(texts);
        QCOMPARE(batch.cols, std::int64_t(a.size()));
        QCOMPARE(joined(row(batch.inputIds, batch.cols, 0)), joined(a.ids));
        std::vector<std::int64_t> padded = b.ids;
        padded.resize(a.size(), 1);
        QCOMPARE(joined(row(batch.inputIds, batch.cols, 1)), joined(padded));
        QCOMPARE(joined(row(batch.inputIds, batch.cols, 2)).left(4), QStringLiteral("0 2 "));
        QCOMPARE(joined(batch.lengths), QStringLiteral("%1 %2 2").arg(a.size()).arg(b.size()));
    }

    void decoding()
    {
        const Tokenizer &tok = xlmr();
        const Encoding encoding = tok.encode("  the   movie is  great .  ");
        QCOMPARE(tok.decode(encoding.ids), std::string("the movie is great ."));
        QCOMPARE(tok.decode(encoding.ids, false), std::string("<s> the movie is great .</s>"));
        // NFKC's forms come back normalized; <unk> goes with the special tokens; an id of no token is left out.
        const std::vector<std::int64_t> ids = {0, *tok.tokenToId("\xe2\x96\x81the"), 3, tok.maskId(), 999999, 2};
        QCOMPARE(tok.decode(ids), std::string("the"));
        QCOMPARE(tok.decode(ids, false), std::string("<s> the<unk><mask></s>"));
        QCOMPARE(tok.decode(tok.encode("\xef\xbd\x94\xef\xbd\x88\xef\xbd\x85 movie").ids), std::string("the movie"));
    }

    // A byte that is not UTF-8 is a character the model lacks: <unk>, spanning it (a real U+FFFD is one
    // NFKC drops).
    void invalidUtf8()
    {
        const std::string bad = "the \xff movie \xe6\x97";
        const Encoding encoding = xlmr().encode(bad);
        QCOMPARE(joined(xlmr().idsToTokens(encoding.ids)), QStringLiteral("<s> ▁the ▁ <unk> ▁movie ▁ <unk> </s>"));
        QCOMPARE(spans(encoding), QStringLiteral("0-0@-1 0-3@0 3-4@0 4-5@0 5-11@0 11-12@0 12-14@0 0-0@-1"));
        QCOMPARE(joined(encoding.ids), joined(slowTokenizerIds(bad)));
    }

    void sameResultsFromThreads()
    {
        std::vector<std::string> texts = crossCheckTexts();
        const auto encodeAll = [&](const Tokenizer &tok) {
            QStringList all;
            for (const std::string &text : texts)
                all << joined(encodeWhole(tok, text).ids) + " " + spans(encodeWhole(tok, text));
            return all;
        };
        const QStringList expected = encodeAll(xlmr());
        QStringList results[3];
        std::vector<std::thread> threads;
        for (QStringList &result : results)
            threads.emplace_back([&] { result = encodeAll(xlmr()); });
        for (std::thread &thread : threads)
            thread.join();
        for (const QStringList &result : results)
            QCOMPARE(result, expected);
    }

    void folderChoice()
    {
        QTemporaryDir dir;
        const fs::path root = toPath(dir.path());
        const auto folderWith = [&](const char *name, const std::vector<fs::path> &files, const QByteArray &config) {
            fs::create_directories(root / name);
            for (const fs::path &file : files)
                fs::copy_file(file, root / name / file.filename());
            if (!config.isEmpty())
                writeBytes(root / name / "tokenizer_config.json", config);
            return root / name;
        };
        const fs::path model = xlmrFolder() / "sentencepiece.bpe.model";
        const fs::path bertJson = kUncased / "tokenizer.json";
        // XLM-R's own tokenizer.json (a Unigram model converted from the .model file) or none: the .model file.
        for (const QByteArray &config : {QByteArray(), QByteArray(R"({"model_max_length": 512})"),
                                         QByteArray(R"({"tokenizer_class": "XLMRobertaTokenizerFast"})")}) {
            QTemporaryDir each;
            fs::create_directories(toPath(each.path()));
            fs::copy_file(model, toPath(each.path()) / model.filename());
            writeBytes(toPath(each.path()) / "tokenizer.json", R"({"model": {"type": "Unigram", "vocab": []}})");
            if (!config.isEmpty())
                writeBytes(toPath(each.path()) / "tokenizer_config.json", config);
            QCOMPARE(Tokenizer::fromFolder(toPath(each.path())).source().filename(), model.filename());
        }
        // Another class's tokenizer.json is that class's.
        const fs::path bert = folderWith("bert", {model, bertJson}, R"({"tokenizer_class": "BertTokenizer"})");
        QCOMPARE(Tokenizer::fromFolder(bert).source().filename().string(), std::string("tokenizer.json"));
        // Another class's numbering of a sentencepiece.bpe.model is refused, naming the class.
        const fs::path camembert = folderWith("camembert", {model}, R"({"tokenizer_class": "CamembertTokenizer"})");
        expectError([&] { Tokenizer::fromFolder(camembert); }, ErrorKind::Incompatible,
                    {QStringLiteral("tokenizer_config.json"), QStringLiteral("CamembertTokenizer")});
    }

    void badFiles_data()
    {
        QTest::addColumn<QByteArray>("content"); // null: the file is missing
        QTest::addColumn<int>("kind");
        QTest::addColumn<QString>("needle");
        const QByteArray model = readBytes(xlmrFolder() / "sentencepiece.bpe.model");
        QTest::newRow("missing") << QByteArray() << int(ErrorKind::NotFound) << QStringLiteral("no such file");
        QTest::newRow("empty") << QByteArray("") << int(ErrorKind::InvalidInput) << QStringLiteral("not a SentencePiece model");
        QTest::newRow("text") << QByteArray("{\"model\": {}}\n") << int(ErrorKind::InvalidInput)
                              << QStringLiteral("not a SentencePiece model");
        QTest::newRow("truncated") << model.left(model.size() / 2) << int(ErrorKind::InvalidInput)
                                   << QStringLiteral("not a SentencePiece model");
    }

    void badFiles()
    {
        QFETCH(QByteArray, content);
        QFETCH(int, kind);
        QFETCH(QString, needle);
        QTemporaryDir dir;
        const fs::path file = toPath(dir.path()) / "sentencepiece.bpe.model";
        if (!content.isNull())
            writeBytes(file, content);
        expectError([&] { Tokenizer::fromSentencePieceModel(file); }, ErrorKind(kind),
                    {QString::fromStdString(file.string()), needle});
    }

    void badConfig()
    {
        QTemporaryDir dir;
        const fs::path folder = toPath(dir.path());
        fs::copy_file(xlmrFolder() / "sentencepiece.bpe.model", folder / "sentencepiece.bpe.model");
        writeBytes(folder / "tokenizer_config.json", R"({"model_max_length": 512,)");
        expectError([&] { Tokenizer::fromFolder(folder); }, ErrorKind::InvalidInput,
                    {QString::fromStdString((folder / "tokenizer_config.json").string()), QStringLiteral("JSON")});
        // A cls_token the vocabulary lacks gets an id of its own, as transformers adds it.
        writeBytes(folder / "tokenizer_config.json", R"({"cls_token": "[CLS]"})");
        const Tokenizer tok = Tokenizer::fromFolder(folder);
        QCOMPARE(tok.clsId(), tok.maskId() + 1);
        QCOMPARE(tok.encode("the").ids.front(), tok.clsId());
    }

    // HF's tokenizers on XLMRobertaConverter's tokenizer.json of the fixture model: the same ids, token types,
    // spans and decoding, except where two segmentations score the same (a Viterbi tie, which libsentencepiece,
    // that is XLMRobertaTokenizer, and HF's Unigram break differently): those must tie in HF's scores too.
    void crossCheckWithHuggingFace()
    {
        QString why;
        if (!hfAvailable(why))
            QSKIP(qPrintable(why));
        QTemporaryDir scratch;
        const fs::path json = toPath(scratch.path()) / "tokenizer.json";
        QString failure;
        runNode(QStringLiteral("spm_to_tokenizer_json.mjs"),
                {"--model", QString::fromStdString((xlmrFolder() / "sentencepiece.bpe.model").string()), "--output",
                 QString::fromStdString(json.string())},
                failure);
        QVERIFY2(failure.isEmpty(), qPrintable(failure));
        // What an XLM-R export writes is that same file (export/sentencepiece_tokenizer_json.h).
        const nlohmann::ordered_json exported = xlmRobertaTokenizerJson(xlmrFolder() / "sentencepiece.bpe.model");
        QVERIFY(nlohmann::json::parse(exported.dump()) == readJsonFile(json));
        const std::vector<std::string> texts = crossCheckTexts();
        const auto pairs = crossCheckPairs();
        const fs::path input = toPath(scratch.path()) / "cases.json";
        writeBytes(input, QByteArray::fromStdString(nlohmann::json({{"texts", texts}, {"pairs", pairs}}).dump()));
        const QByteArray output = runNode(QStringLiteral("hf_encode.mjs"),
                                          {"--modules", FT_HF_TOKENIZERS_MODULES, "--tokenizer",
                                           QString::fromStdString(json.string()), "--input",
                                           QString::fromStdString(input.string())},
                                          failure);
        QVERIFY2(failure.isEmpty(), qPrintable(failure));
        const nlohmann::json expected = nlohmann::json::parse(output.toStdString());
        QCOMPARE(expected["tokenizers"].get<std::string>(), std::string("0.23.2"));

        // The scores HF's Unigram uses, and its <unk>'s (10 below the lowest).
        const nlohmann::json vocab = readJsonFile(json)["model"]["vocab"];
        double lowest = 0;
        for (const auto &entry : vocab)
            lowest = std::min(lowest, entry[1].get<double>());
        const auto score = [&](const std::vector<std::int64_t> &ids) {
            double total = 0;
            for (std::int64_t id : ids)
                total += id == 3 ? lowest - 10 : vocab[std::size_t(id)][1].get<double>();
            return total;
        };
        int ties = 0;
        const Tokenizer &tok = xlmr();
        const auto check = [&](const Encoding &encoding, const nlohmann::json &theirs, const QString &what) {
            const auto theirIds = theirs["ids"].get<std::vector<std::int64_t>>();
            if (encoding.ids != theirIds) {
                const bool tie = encoding.size() == theirIds.size()
                    && std::abs(score(encoding.ids) - score(theirIds)) < 1e-4;
                QVERIFY2(tie, qPrintable(QStringLiteral("%1\nours %2\nHF's %3").arg(what, joined(encoding.ids),
                                                                                     joined(theirIds))));
                ++ties;
                return;
            }
            QCOMPARE(joined(encoding.typeIds), joined<std::int64_t>(theirs["type_ids"]));
            const QString mismatch = spans(encoding) != spans(theirs)
                ? QStringLiteral("%1\nours %2\nHF's %3").arg(what, spans(encoding), spans(theirs))
                : QString();
            QVERIFY2(mismatch.isEmpty(), qPrintable(mismatch));
            QCOMPARE(tok.decode(encoding.ids, false), theirs["decoded"].get<std::string>());
            QCOMPARE(tok.decode(encoding.ids, true), theirs["decoded_skip_special"].get<std::string>());
        };
        for (std::size_t i = 0; i < texts.size(); ++i)
            check(encodeWhole(tok, texts[i]), expected["texts"][i],
                  QStringLiteral("text %1 %2").arg(i).arg(QString::fromStdString(texts[i])));
        for (std::size_t i = 0; i < pairs.size(); ++i)
            check(encodeWhole(tok, pairs[i].first, &pairs[i].second), expected["pairs"][i],
                  QStringLiteral("pair %1").arg(i));
        qInfo("%zu texts and %zu pairs, %d of them Viterbi ties", texts.size(), pairs.size(), ties);
        QVERIFY(ties < 20);
    }

    // An xlm-roberta model folder: config.json beside the fixture's files. Core's model-folder loading reads
    // the SentencePiece model and pads with <pad>; a scratch XLM-R trains on SST-2 rows and exports with it.
    void xlmRobertaModelFolder()
    {
        QTemporaryDir dir;
        const fs::path folder = toPath(dir.path()) / "xlm-roberta-scratch";
        fs::create_directories(folder);
        for (const char *file : {"sentencepiece.bpe.model", "tokenizer_config.json"})
            fs::copy_file(xlmrFolder() / file, folder / file);
        writeBytes(folder / "config.json", QByteArray::fromStdString(scratchConfig().dump(2)));

        const Tokenizer tok = modelTokenizer(folder);
        QVERIFY(tok.sentencePiece());
        QCOMPARE(tok.padId(), std::int64_t{1});
        const TextModelShape shape = readTextModelShape(folder / "config.json");
        QCOMPARE(shape.modelType, std::string("xlm-roberta"));
        const std::vector<std::string> rows = sst2(8);
        const std::vector<std::string_view> views(rows.begin(), rows.end());
        EncodeOptions options;
        options.maxLength = 32;
        const BatchEncoding batch = tok.encodeBatch(views, options);
        QCOMPARE(batch.rows, std::int64_t{8});
        for (std::size_t r = 0; r < rows.size(); ++r) {
            const std::vector<std::int64_t> ids = row(batch.inputIds, batch.cols, r);
            const auto length = std::size_t(batch.lengths[r]);
            QCOMPARE(ids.front(), std::int64_t{0});
            QCOMPARE(ids[length - 1], std::int64_t{2});
            for (std::size_t c = length; c < ids.size(); ++c)
                QCOMPARE(ids[c], std::int64_t{1});
            QVERIFY(*std::max_element(ids.begin(), ids.end()) < shape.vocabSize);
        }

        // Train a few steps, then export: the folder keeps the model file and names XLM-R's class.
        const fs::path project = toPath(dir.path()) / "project";
        {
            Project created = Project::create(project);
            const auto dataset = createDataset(created, "sst2", "sst2/train.tsv");
            std::vector<Example> examples;
            const std::vector<std::string> labels = columnOf(kData / "sst2" / "train.tsv", '\t', 1, 96);
            const std::vector<std::string> sentences = sst2(96);
            for (std::size_t i = 0; i < sentences.size(); ++i) {
                Example example;
                example.text = sentences[i];
                example.label = labels[i];
                example.split = i < 64 ? "train" : i < 80 ? "validation" : "test";
                examples.push_back(example);
            }
            addExamples(created, dataset, examples);
        }
        TrainingRequest request;
        request.project = project;
        request.dataset = "sst2";
        request.model = "scratch:" + (folder / "config.json").string();
        request.config.maxSteps = 4;
        request.config.perDeviceTrainBatchSize = 16;
        request.config.maxLength = 32;
        request.config.threads = 1;
        request.config.seed = 3;
        NullSink sink;
        RunControl control;
        const TrainingSummary summary = train(request, sink, control);
        QCOMPARE(int(summary.state), int(RunState::Completed));
        QVERIFY(fs::exists(summary.modelFolder / "sentencepiece.bpe.model"));

        for (const ExportFormat format : {ExportFormat::HuggingFace, ExportFormat::Onnx}) {
            ExportRequest exportRequest;
            exportRequest.project = project;
            exportRequest.runId = summary.runId;
            exportRequest.format = format;
            exportRequest.output = toPath(dir.path()) / (format == ExportFormat::Onnx ? "onnx" : "hf");
            const ExportResult exported = exportRun(exportRequest);
            QVERIFY(fs::exists(exported.folder / "sentencepiece.bpe.model"));
            const nlohmann::json settings = readJsonFile(exported.folder / "tokenizer_config.json");
            QCOMPARE(settings["tokenizer_class"].get<std::string>(), std::string("XLMRobertaTokenizer"));
            const nlohmann::json specials = readJsonFile(exported.folder / "special_tokens_map.json");
            QCOMPARE(specials["mask_token"].get<std::string>(), std::string("<mask>"));
            QCOMPARE(specials["pad_token"].get<std::string>(), std::string("<pad>"));
            // HF's tokenizer.json beside the model file (checked against transformers' converter in
            // crossCheckWithHuggingFace), numbered as the tokenizer numbers the pieces.
            const nlohmann::json hf = readJsonFile(exported.folder / "tokenizer.json");
            QCOMPARE(hf["model"]["type"].get<std::string>(), std::string("Unigram"));
            QCOMPARE(std::int64_t(hf["model"]["vocab"].size()), tok.vocabSize());
            QCOMPARE(hf["model"]["vocab"][std::size_t(tok.maskId())][0].get<std::string>(), std::string("<mask>"));
            const Tokenizer reloaded = Tokenizer::fromFolder(exported.folder);
            QVERIFY(reloaded.sentencePiece());
            QCOMPARE(joined(reloaded.encode(rows[0]).ids), joined(tok.encode(rows[0]).ids));
        }
    }
};

FT_REGISTER_TEST(SentencePieceTokenizerTest);

#include "tst_sentencepiece_tokenizer.moc"
