// tst_bpe_tokenizer.cpp: the byte-level BPE tokenizer of GPT-2 and RoBERTa: the real GPT-2 files against Hugging
// Face's reference ids, decode round trips, RoBERTa's framing, truncation and padding, bad files, threads, and a
// cross-check of ids, offsets and decoding with HF's own library (npm tokenizers, tests/tokenizers/hf_encode.mjs).
#include "common/error.h"
#include "tempproject.h"
#include "testhelpers.h"
#include "testregistry.h"
#include "text/byte_level_bpe.h"
#include "text/tokenizer.h"
#include "hf_tokenizers_check.h"
#include "tokenizer_fixtures.h"

#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>

#include <nlohmann/json.hpp>

#include <fstream>
#include <thread>

namespace fs = std::filesystem;
using namespace ft;
using namespace ft::test;

namespace {

const fs::path kGpt2 = fs::path(FT_SHARED_DIR) / "data" / "tokenizers" / "gpt2";

// RoBERTa-style tokenizers made from the GPT-2 files, written once: RoBERTa's specials <s> <pad> </s> <unk> at
// ids 0-3, GPT-2's tokens at id + 4, <mask> (lstrip) last. "files": vocab.json + merges.txt + a RobertaTokenizer
// tokenizer_config.json; "json": the same as tokenizer.json with RobertaProcessing; "prefix-*": both with
// add_prefix_space.
fs::path robertaFolder(const char *name)
{
    static QTemporaryDir dir;
    static const bool written = [] {
        const fs::path root = toPath(dir.path());
        nlohmann::json json = readJsonFile(kGpt2 / "tokenizer.json");
        nlohmann::json vocab = {{"<s>", 0}, {"<pad>", 1}, {"</s>", 2}, {"<unk>", 3}};
        for (const auto &[token, id] : json["model"]["vocab"].items())
            vocab[token] = id.get<int>() + 4;
        vocab["<mask>"] = 50261;
        json["model"]["vocab"] = vocab;
        const auto special = [](int id, const char *content, bool lstrip, bool normalized) {
            return nlohmann::json{{"id", id}, {"content", content}, {"single_word", false}, {"lstrip", lstrip},
                                  {"rstrip", false}, {"normalized", normalized}, {"special", true}};
        };
        json["added_tokens"] = {special(0, "<s>", false, true), special(1, "<pad>", false, true),
                                special(2, "</s>", false, true), special(3, "<unk>", false, true),
                                special(50261, "<mask>", true, false)};
        json["post_processor"] = {{"type", "RobertaProcessing"}, {"sep", {"</s>", 2}}, {"cls", {"<s>", 0}},
                                  {"trim_offsets", true}, {"add_prefix_space", false}};
        writeText(root / "json" / "tokenizer.json", json.dump());
        json["pre_tokenizer"]["add_prefix_space"] = true;
        json["post_processor"]["add_prefix_space"] = true;
        writeText(root / "prefix-json" / "tokenizer.json", json.dump());
        const std::string merges = readBytes(kGpt2 / "merges.txt").toStdString();
        for (const char *folder : {"files", "prefix-files"}) {
            writeText(root / folder / "vocab.json", vocab.dump());
            writeText(root / folder / "merges.txt", merges);
        }
        nlohmann::json config = {{"tokenizer_class", "RobertaTokenizer"}, {"model_max_length", 512}};
        writeText(root / "files" / "tokenizer_config.json", config.dump());
        config["add_prefix_space"] = true;
        writeText(root / "prefix-files" / "tokenizer_config.json", config.dump());
        return true;
    }();
    Q_UNUSED(written);
    return toPath(dir.path()) / name;
}

// The tokenizer of a folder (fromFolder), a tokenizer.json or a vocab.json (with merges.txt), loaded once.
const Tokenizer &loaded(const fs::path &path)
{
    static std::map<std::string, Tokenizer> cache;
    auto it = cache.find(path.string());
    if (it == cache.end()) {
        const fs::path merges = path.parent_path() / "merges.txt";
        const bool vocab = path.filename() == "vocab.json";
        it = cache.emplace(path.string(), fs::is_directory(path) ? Tokenizer::fromFolder(path)
                                          : vocab ? Tokenizer::fromVocabAndMerges(path, merges)
                                                  : Tokenizer::fromTokenizerJson(path))
                 .first;
    }
    return it->second;
}

// A small byte-level BPE tokenizer.json: the 256 byte characters (ids 0-255) and `merges` (new tokens from 256).
nlohmann::json tinyBpeJson(const std::vector<std::string> &merges = {"h e", "l l", "he ll", "hell o", "Ġ w", "o r"})
{
    nlohmann::json vocab = nlohmann::json::object();
    for (int b = 0; b < 256; ++b)
        vocab[std::string(ByteLevelBpe::byteChar(static_cast<unsigned char>(b)))] = b;
    int next = 256;
    for (const std::string &merge : merges) {
        const std::string joinedToken = merge.substr(0, merge.find(' ')) + merge.substr(merge.find(' ') + 1);
        if (!vocab.contains(joinedToken))
            vocab[joinedToken] = next++;
    }
    nlohmann::json byteLevel = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}};
    nlohmann::json json = {{"added_tokens", nlohmann::json::array()}, {"normalizer", nullptr},
                           {"pre_tokenizer", byteLevel}, {"decoder", byteLevel}};
    byteLevel["trim_offsets"] = false;
    json["post_processor"] = byteLevel;
    json["model"] = {{"type", "BPE"}, {"dropout", nullptr}, {"unk_token", nullptr}, {"continuing_subword_prefix", ""},
                     {"end_of_word_suffix", ""}, {"byte_fallback", false}, {"vocab", vocab}, {"merges", merges}};
    return json;
}

Tokenizer tinyTokenizer(const QTemporaryDir &dir, const nlohmann::json &json)
{
    const fs::path file = toPath(dir.filePath(QStringLiteral("tokenizer.json")));
    writeText(file, json.dump());
    return Tokenizer::fromTokenizerJson(file);
}

std::vector<std::string> sst2Sentences(std::size_t count)
{
    std::ifstream in(fs::path(FT_SHARED_DIR) / "data" / "sst2" / "train.tsv");
    std::vector<std::string> sentences;
    std::string line;
    std::getline(in, line); // the header
    while (sentences.size() < count && std::getline(in, line))
        sentences.push_back(line.substr(0, line.find('\t')));
    return sentences;
}

} // namespace

// GPT-2 and RoBERTa byte-level BPE: reference ids, round trips, framing, errors, threads, HF cross-check.
class BpeTokenizerTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void gpt2Reference_data()
    {
        QTest::addColumn<QString>("loader");
        QTest::addColumn<QByteArray>("text");
        QTest::addColumn<QString>("ids");
        QTest::addColumn<QString>("tokens");
        const nlohmann::json reference = readJsonFile(kGpt2 / "reference_tokenization.json");
        for (const char *loader : {"tokenizer.json", "vocab.json"}) {
            for (std::size_t i = 0; i < reference.size(); ++i) {
                QTest::addRow("%s/%zu", loader, i)
                    << QString::fromLatin1(loader) << QByteArray::fromStdString(reference[i]["text"].get<std::string>())
                    << joined<std::int64_t>(reference[i]["input_ids"]) << joined<std::string>(reference[i]["tokens"]);
            }
        }
    }

    void gpt2Reference()
    {
        QFETCH(QString, loader);
        QFETCH(QByteArray, text);
        QFETCH(QString, ids);
        QFETCH(QString, tokens);
        const Tokenizer &tok = loaded(kGpt2 / loader.toStdString());
        const Encoding encoding = tok.encode(text.toStdString());
        QCOMPARE(joined(encoding.ids), ids);
        QCOMPARE(joined(tok.idsToTokens(encoding.ids)), tokens);
        QCOMPARE(QByteArray::fromStdString(tok.decode(encoding.ids, false)), text);
        for (const TokenSpan &span : encoding.offsets)
            QVERIFY(span.sequence == 0 && span.begin < span.end && span.end <= std::uint32_t(text.size()));
    }

    void gpt2SpecialTokens()
    {
        for (const char *loader : {"tokenizer.json", "vocab.json"}) {
            const Tokenizer &tok = loaded(kGpt2 / loader);
            const std::vector<std::int64_t> ids = {tok.unkId(), tok.bosId(), tok.eosId(), tok.padId(),
                                                   tok.clsId(), tok.sepId(), tok.maskId(), tok.vocabSize()};
            QCOMPARE(joined(ids), QStringLiteral("50256 50256 50256 -1 -1 -1 -1 50257"));
            QVERIFY(tok.byteLevel());
            QVERIFY(!tok.lowercases());
            QCOMPARE(tok.modelMaxLength(), std::size_t{1024});
            QCOMPARE(tok.specialTokenCount(false) + tok.specialTokenCount(true), std::size_t{0});
            QCOMPARE(tok.tokenToId("\xc4\xa0world"), std::optional<std::int64_t>(995));
            QCOMPARE(tok.idToToken(50256), std::string_view("<|endoftext|>"));
            QCOMPARE(tok.source().filename().string(), std::string(loader));
            // A pair gets token type 1, as HF's ByteLevel post-processor leaves it.
            const Encoding pair = tok.encode("Hello", "world");
            QCOMPARE(joined(pair.ids) + " / " + joined(pair.typeIds), QStringLiteral("15496 6894 / 0 1"));
            const std::vector<std::int64_t> special = {5239, 50256, 3549, 999999, -1};
            QCOMPARE(tok.decode(special), std::string("textmore"));
            QCOMPARE(tok.decode(special, false), std::string("text<|endoftext|>more"));
            // No pad token: a batch that needs padding is refused, saying so; one that does not is fine.
            const std::vector<std::string_view> ragged = {"a", "a b"};
            expectError([&] { tok.encodeBatch(ragged); }, ErrorKind::InvalidInput,
                        {QStringLiteral("no pad token"), QStringLiteral("pad_token")});
            const std::vector<std::string_view> even = {"a b", "c d"};
            QCOMPARE(tok.encodeBatch(even).cols, std::int64_t{2});
        }
        QCOMPARE(Tokenizer::fromFolder(kGpt2).source().filename().string(), std::string("tokenizer.json"));
    }

    void roundTrip_data()
    {
        QTest::addColumn<QString>("loader");
        QTest::addColumn<int>("index");
        for (const char *loader : {"tokenizer.json", "vocab.json"}) {
            for (std::size_t i = 0; i < hardTexts().size(); ++i)
                QTest::addRow("%s/%zu", loader, i) << QString::fromLatin1(loader) << int(i);
        }
    }

    void roundTrip()
    {
        QFETCH(QString, loader);
        QFETCH(int, index);
        const std::string &text = hardTexts()[std::size_t(index)];
        const Tokenizer &tok = loaded(kGpt2 / loader.toStdString());
        const Encoding encoding = encodeWhole(tok, text);
        QCOMPARE(tok.decode(encoding.ids, false), text);
        // The spans cover the text in order, without gaps, and each holds the bytes its token stands for.
        std::uint32_t covered = 0;
        for (std::size_t i = 0; i < encoding.size(); ++i) {
            const TokenSpan span = encoding.offsets[i];
            QVERIFY(span.begin <= covered && span.begin < span.end && span.end <= text.size());
            covered = std::max(covered, span.end);
            std::string bytes;
            ByteLevelBpe::appendDecoded(tok.idToToken(encoding.ids[i]), bytes);
            QVERIFY2(text.substr(span.begin, span.end - span.begin).find(bytes) != std::string::npos,
                     qPrintable(QStringLiteral("token %1").arg(i)));
        }
        QCOMPARE(std::size_t(covered), text.size());
    }

    void invalidUtf8ReadsAsReplacementCharacters()
    {
        const Tokenizer &tok = loaded(kGpt2 / "tokenizer.json");
        const std::string bad = "ok\xff\xfe ok \xe4\xb8 end\xc3";
        const std::string replaced = "ok\xef\xbf\xbd\xef\xbf\xbd ok \xef\xbf\xbd\xef\xbf\xbd end\xef\xbf\xbd";
        const Encoding encoding = tok.encode(bad);
        QCOMPARE(joined(encoding.ids), joined(tok.encode(replaced).ids));
        QCOMPARE(tok.decode(encoding.ids), replaced);
        QCOMPARE(encoding.offsets.back().end, std::uint32_t(bad.size()));
        for (int b = 0; b < 256; ++b) {
            const char bytes[] = {char(b), 'a', char(0xE4), char(b)};
            for (const TokenSpan &span : tok.encode(std::string_view(bytes, sizeof bytes)).offsets)
                QVERIFY(span.begin < span.end && span.end <= sizeof bytes);
        }
        // One U+FFFD per maximal bad subsequence (as Rust, Python and WHATWG decode): E4 B8 | F0 9F 98 | ED | A0 | 80.
        const std::string fffd = "\xef\xbf\xbd";
        QCOMPARE(toValidUtf8("a\xe4\xb8" "b\xf0\x9f\x98\xed\xa0\x80"), "a" + fffd + "b" + fffd + fffd + fffd + fffd);
    }

    void mergesGoByRank()
    {
        QTemporaryDir dir;
        // e+l has the best rank: "helo" is h el o, not he lo as merging from the left would give.
        const Tokenizer byRank = tinyTokenizer(dir, tinyBpeJson({"e l", "h e", "l o"}));
        QCOMPARE(joined(byRank.idsToTokens(byRank.encode("helo").ids)), QStringLiteral("h el o"));
        const Tokenizer tok = tinyTokenizer(dir, tinyBpeJson());
        const Encoding hello = tok.encode("hello world");
        QCOMPARE(joined(tok.idsToTokens(hello.ids)), QString::fromUtf8("hello \xc4\xa0w or l d"));
        QCOMPARE(spans(hello), QStringLiteral("0-5@0 5-7@0 7-9@0 9-10@0 10-11@0"));
        QCOMPARE(tok.decode(hello.ids), std::string("hello world"));
        QCOMPARE(tok.unkId(), std::int64_t{-1});
    }

    void robertaFraming_data()
    {
        QTest::addColumn<QString>("path");
        QTest::addColumn<bool>("hasConfig");
        QTest::newRow("vocab.json") << qpath(robertaFolder("files") / "vocab.json") << true;
        QTest::newRow("folder") << qpath(robertaFolder("files")) << true;
        QTest::newRow("tokenizer.json") << qpath(robertaFolder("json") / "tokenizer.json") << false;
    }

    void robertaFraming()
    {
        QFETCH(QString, path);
        QFETCH(bool, hasConfig);
        const Tokenizer &tok = loaded(toPath(path));
        const std::vector<std::int64_t> ids = {tok.bosId(), tok.padId(), tok.eosId(), tok.unkId(),
                                               tok.clsId(), tok.sepId(), tok.maskId(), tok.vocabSize()};
        QCOMPARE(joined(ids), QStringLiteral("0 1 2 3 0 2 50261 50262"));
        QCOMPARE(tok.modelMaxLength(), std::size_t(hasConfig ? 512 : 0));
        QCOMPARE(tok.specialTokenCount(false), std::size_t{2});
        QCOMPARE(tok.specialTokenCount(true), std::size_t{4});
        // GPT-2's ids + 4, framed; the span of " world" leaves out its space (trim_offsets).
        const Encoding single = tok.encode("Hello world");
        QCOMPARE(joined(single.ids), QStringLiteral("0 15500 999 2"));
        QCOMPARE(spans(single), QStringLiteral("0-0@-1 0-5@0 6-11@0 0-0@-1"));
        const Encoding pair = tok.encode("Hello", "world");
        QCOMPARE(joined(pair.ids), QStringLiteral("0 15500 2 2 6898 2"));
        QCOMPARE(joined(pair.typeIds), QStringLiteral("0 0 0 0 0 0"));
        QCOMPARE(spans(pair), QStringLiteral("0-0@-1 0-5@0 0-0@-1 0-0@-1 0-5@1 0-0@-1"));
        // <mask> takes the space before it, which trimming then leaves out of its span.
        const Encoding masked = tok.encode("Hello <mask>!");
        QCOMPARE(joined(masked.ids), QStringLiteral("0 15500 50261 4 2"));
        QCOMPARE(masked.offsets[2], (TokenSpan{6, 12, 0}));
        QCOMPARE(tok.decode(masked.ids), std::string("Hello!"));
        QCOMPARE(tok.decode(masked.ids, false), std::string("<s>Hello<mask>!</s>"));

        EncodeOptions options;
        options.maxLength = 5;
        const Encoding cut = tok.encode("Hello world, how are you?", options);
        QCOMPARE(joined(cut.ids), QStringLiteral("0 15500 999 15 2"));
        QCOMPARE(cut.untruncatedLength, std::size_t{9});
        options.maxLength = 9; // 5 pieces for the pair: 3 of the longer first text, 2 of the second
        QCOMPARE(joined(tok.encode("Hello world, how are you?", "Fine thanks", options).ids),
                 QStringLiteral("0 15500 999 15 2 2 34393 5180 2"));
        const std::vector<std::string_view> texts = {"Hello world", "Hi"};
        const BatchEncoding batch = tok.encodeBatch(texts);
        QCOMPARE(joined(batch.inputIds), QStringLiteral("0 15500 999 2 0 17254 2 1"));
        QCOMPARE(joined(batch.attentionMask), QStringLiteral("1 1 1 1 1 1 1 0"));
        QCOMPARE(joined(batch.tokenTypeIds), QStringLiteral("0 0 0 0 0 0 0 0"));
    }

    void familyFromTheFiles()
    {
        QTemporaryDir dir;
        const fs::path root = toPath(dir.path());
        // Without tokenizer_config.json, <s> and </s> in the vocabulary make it RoBERTa.
        fs::create_directories(root / "bare");
        fs::create_directories(root / "bos");
        for (const char *file : {"vocab.json", "merges.txt"})
            fs::copy_file(robertaFolder("files") / file, root / "bare" / file);
        const Tokenizer bare = Tokenizer::fromFolder(root / "bare");
        QCOMPARE(joined(bare.encode("Hello").ids), QStringLiteral("0 15500 2"));
        QCOMPARE(bare.padId(), std::int64_t{1});
        // GPT-2 with add_bos_token: <|endoftext|> before each text, as GPT2TokenizerFast's template puts it.
        for (const char *file : {"vocab.json", "merges.txt"})
            fs::copy_file(kGpt2 / file, root / "bos" / file);
        writeText(root / "bos" / "tokenizer_config.json",
                  R"({"tokenizer_class": "GPT2Tokenizer", "add_bos_token": true, "pad_token": "<|endoftext|>"})");
        const Tokenizer bos = Tokenizer::fromFolder(root / "bos");
        const Encoding pair = bos.encode("Hello", "world");
        QCOMPARE(joined(pair.ids) + " / " + joined(pair.typeIds), QStringLiteral("50256 15496 6894 / 0 0 1"));
        QCOMPARE(bos.padId(), std::int64_t{50256});
        // add_prefix_space from tokenizer_config.json: "Hello" reads as " Hello", its span still the word.
        const Tokenizer &prefixed = loaded(robertaFolder("prefix-files"));
        const Encoding hello = prefixed.encode("Hello");
        QCOMPARE(joined(hello.ids), QStringLiteral("0 18439 2"));
        QCOMPARE(spans(hello), QStringLiteral("0-0@-1 0-5@0 0-0@-1"));
    }

    void tokenizerJsonMatchesVocabFiles_data()
    {
        QTest::addColumn<QString>("json");
        QTest::addColumn<QString>("files");
        QTest::newRow("gpt2") << qpath(kGpt2 / "tokenizer.json") << qpath(kGpt2 / "vocab.json");
        QTest::newRow("roberta") << qpath(robertaFolder("json")) << qpath(robertaFolder("files"));
        QTest::newRow("roberta-prefix") << qpath(robertaFolder("prefix-json")) << qpath(robertaFolder("prefix-files"));
    }

    void tokenizerJsonMatchesVocabFiles()
    {
        QFETCH(QString, json);
        QFETCH(QString, files);
        const Tokenizer &a = loaded(toPath(json));
        const Tokenizer &b = loaded(toPath(files));
        for (const std::string &text : hardTexts())
            QCOMPARE(described(encodeWhole(a, text)), described(encodeWhole(b, text)));
        for (const auto &[first, second] : hardPairs())
            QCOMPARE(described(encodeWhole(a, first, &second)), described(encodeWhole(b, first, &second)));
    }

    void crossCheckWithHuggingFace_data()
    {
        QTest::addColumn<QString>("hf");   // the tokenizer.json HF's library loads
        QTest::addColumn<QString>("ours"); // what we load: the same file, or vocab.json + merges.txt
        const auto add = [](const char *name, const fs::path &json, const fs::path &ours) {
            QTest::newRow(name) << qpath(json) << qpath(ours);
        };
        add("gpt2/tokenizer.json", kGpt2 / "tokenizer.json", kGpt2 / "tokenizer.json");
        add("gpt2/vocab.json", kGpt2 / "tokenizer.json", kGpt2 / "vocab.json");
        add("roberta/tokenizer.json", robertaFolder("json") / "tokenizer.json", robertaFolder("json"));
        add("roberta/vocab.json", robertaFolder("json") / "tokenizer.json", robertaFolder("files"));
        const fs::path prefixJson = robertaFolder("prefix-json") / "tokenizer.json";
        add("roberta-prefix/tokenizer.json", prefixJson, robertaFolder("prefix-json"));
        add("roberta-prefix/vocab.json", prefixJson, robertaFolder("prefix-files"));
    }

    void crossCheckWithHuggingFace()
    {
        QFETCH(QString, hf);
        QFETCH(QString, ours);
        if (const QString why = hfCrossCheckUnavailable(); !why.isEmpty())
            QSKIP(qPrintable(why));
        QTemporaryDir scratch;
        QString failure;
        const nlohmann::json &expected = hfEncodings(toPath(hf), toPath(scratch.path()), failure);
        QVERIFY2(failure.isEmpty(), qPrintable(failure));
        QCOMPARE(expected["tokenizers"].get<std::string>(), std::string("0.23.2"));
        const Tokenizer &tok = loaded(toPath(ours));
        const auto check = [&](const Encoding &encoding, const nlohmann::json &theirs, const QString &what) {
            const QString mismatch = described(encoding) != described(theirs)
                ? QStringLiteral("ours %1\nHF's %2").arg(described(encoding), described(theirs))
                : QString();
            QVERIFY2(mismatch.isEmpty(), qPrintable(what + ":\n" + mismatch));
            QCOMPARE(tok.decode(encoding.ids, false), theirs["decoded"].get<std::string>());
            QCOMPARE(tok.decode(encoding.ids, true), theirs["decoded_skip_special"].get<std::string>());
        };
        for (std::size_t i = 0; i < hardTexts().size(); ++i) {
            check(encodeWhole(tok, hardTexts()[i]), expected["texts"][i],
                  QStringLiteral("text %1 %2").arg(i).arg(QString::fromStdString(hardTexts()[i])));
        }
        for (std::size_t i = 0; i < hardPairs().size(); ++i) {
            check(encodeWhole(tok, hardPairs()[i].first, &hardPairs()[i].second), expected["pairs"][i],
                  QStringLiteral("pair %1").arg(i));
        }
    }

    void badFiles_data()
    {
        QTest::addColumn<QString>("file");       // what is written; tokenizer.json or vocab.json + merges.txt load
        QTest::addColumn<QByteArray>("content"); // null: the file is missing
        QTest::addColumn<int>("kind");
        QTest::addColumn<QString>("needle");
        const auto add = [](const char *name, const char *file, const QByteArray &content, ErrorKind kind,
                            const char *needle) {
            QTest::newRow(name) << QString::fromLatin1(file) << content << int(kind) << QString::fromUtf8(needle);
        };
        const auto json = [](auto &&edit) {
            nlohmann::json j = tinyBpeJson();
            edit(j);
            return QByteArray::fromStdString(j.dump(1));
        };
        const ErrorKind invalid = ErrorKind::InvalidInput;
        const ErrorKind incompatible = ErrorKind::Incompatible;
        add("merges: one token", "merges.txt", "#version: 0.2\nh e\nhe\n", invalid,
            "merges.txt:3: expected two tokens separated by one space, found \"he\"");
        add("merges: two spaces", "merges.txt", "h  e\n", invalid, "merges.txt:1: expected two tokens");
        add("merges: joined not a token", "merges.txt", "h e\r\nq z\r\n", invalid,
            "merges.txt:2: the merged token \"qz\" is not in the vocabulary");
        add("merges: unknown part", "merges.txt", "h e\nhe zz\n", invalid,
            "merges.txt:2: \"zz\" is not in the vocabulary");
        add("merges: missing", "merges.txt", QByteArray(), ErrorKind::NotFound, "merges.txt: no such file");
        add("vocab: missing", "vocab.json", QByteArray(), ErrorKind::NotFound, "vocab.json: no such file");
        add("vocab: not json", "vocab.json", "{\"a\": 1,", invalid, "invalid JSON");
        add("vocab: an array", "vocab.json", "[\"a\"]", invalid, "vocab.json: /: expected an object of token ids");
        add("vocab: id a string", "vocab.json", R"({"a": 0, "hello": "1"})", invalid,
            "vocab.json: /hello: expected a token id, found string");
        add("vocab: id twice", "vocab.json", R"({"a": 0, "b": 0})", invalid, "/b: id 0 is already used by \"a\"");
        add("vocab: empty", "vocab.json", "{}", invalid, "vocab.json: /: the vocabulary is empty");
        add("json: merge one token", "tokenizer.json", json([](auto &j) { j["model"]["merges"][1] = "ll"; }), invalid,
            "/model/merges/1: expected two tokens separated by one space");
        add("json: merge a number", "tokenizer.json", json([](auto &j) { j["model"]["merges"][0] = 5; }), invalid,
            "/model/merges/0: expected \"left right\" or [\"left\", \"right\"]");
        add("json: merge not a token", "tokenizer.json", json([](auto &j) { j["model"]["merges"][2] = {"he", "q"}; }),
            invalid, "/model/merges/2: the merged token \"heq\"");
        add("json: merges missing", "tokenizer.json", json([](auto &j) { j["model"].erase("merges"); }), invalid,
            "/model: missing \"merges\"");
        add("json: vocab id a string", "tokenizer.json", json([](auto &j) { j["model"]["vocab"]["he"] = "x"; }),
            invalid, "/model/vocab/he: expected a token id");
        add("json: normalizer", "tokenizer.json", json([](auto &j) { j["normalizer"] = {{"type", "NFC"}}; }),
            incompatible, "/normalizer/type: unsupported normalizer \"NFC\"");
        add("json: pre-tokenizer", "tokenizer.json",
            json([](auto &j) { j["pre_tokenizer"] = {{"type", "Whitespace"}}; }), incompatible,
            "/pre_tokenizer/type: unsupported pre-tokenizer \"Whitespace\"");
        add("json: no regex", "tokenizer.json", json([](auto &j) { j["pre_tokenizer"]["use_regex"] = false; }),
            incompatible, "/pre_tokenizer/use_regex");
        add("json: dropout", "tokenizer.json", json([](auto &j) { j["model"]["dropout"] = 0.1; }), incompatible,
            "/model/dropout: BPE dropout");
        add("json: subword prefix", "tokenizer.json",
            json([](auto &j) { j["model"]["continuing_subword_prefix"] = "##"; }), incompatible,
            "/model/continuing_subword_prefix");
        add("json: sequence post-processor", "tokenizer.json",
            json([](auto &j) { j["post_processor"] = {{"type", "Sequence"}}; }), incompatible,
            "/post_processor/type: unsupported post-processor \"Sequence\"");
        add("json: roberta id unknown", "tokenizer.json", json([](auto &j) {
            j["post_processor"] = {{"type", "RobertaProcessing"}, {"sep", {"</s>", 2}}, {"cls", {"<s>", 99999}}};
        }), invalid, "special token \"<s>\" has id 99999");
        add("json: roberta without sep", "tokenizer.json", json([](auto &j) {
            j["post_processor"] = {{"type", "RobertaProcessing"}, {"cls", {"<s>", 0}}};
        }), invalid, "/post_processor/sep: expected [token, id]");
    }

    void badFiles()
    {
        QFETCH(QString, file);
        QFETCH(QByteArray, content);
        QFETCH(int, kind);
        QFETCH(QString, needle);
        QTemporaryDir dir;
        const fs::path folder = toPath(dir.path());
        const fs::path target = folder / file.toStdString();
        if (file != QLatin1String("tokenizer.json")) {
            // The other file of the pair is good: the tiny vocabulary or its merges.
            writeText(folder / "vocab.json", tinyBpeJson()["model"]["vocab"].dump());
            writeText(folder / "merges.txt", "#version: 0.2\nh e\nl l\n");
        }
        if (content.isNull())
            fs::remove(target);
        else
            writeBytes(target, content);
        const bool json = file == QLatin1String("tokenizer.json");
        expectError([&] {
            json ? Tokenizer::fromTokenizerJson(target)
                 : Tokenizer::fromVocabAndMerges(folder / "vocab.json", folder / "merges.txt");
        }, ErrorKind(kind), {QString::fromStdString(target.string()), needle});
    }

    void sameResultsFromTwoThreads()
    {
        std::vector<std::string> texts = sst2Sentences(3000);
        texts.insert(texts.end(), hardTexts().begin(), hardTexts().end());
        const auto encodeAll = [&](const Tokenizer &tok) {
            std::vector<Encoding> encodings;
            for (int round = 0; round < 2; ++round) {
                for (const std::string &text : texts)
                    encodings.push_back(tok.encode(text));
            }
            return encodings;
        };
        // Fresh tokenizers each time, so that two threads fill one word cache at once.
        const auto gpt2 = [] { return Tokenizer::fromTokenizerJson(kGpt2 / "tokenizer.json"); };
        const auto roberta = [] { return Tokenizer::fromFolder(robertaFolder("json")); };
        const std::vector<Encoding> expected[2] = {encodeAll(gpt2()), encodeAll(roberta())};
        const Tokenizer shared[2] = {gpt2(), roberta()};
        std::vector<Encoding> results[4];
        std::vector<std::thread> threads;
        for (int r = 0; r < 4; ++r)
            threads.emplace_back([&, r] { results[r] = encodeAll(shared[r / 2]); });
        for (std::thread &thread : threads)
            thread.join();
        for (int r = 0; r < 4; ++r) {
            QCOMPARE(results[r].size(), expected[r / 2].size());
            for (std::size_t i = 0; i < results[r].size(); ++i)
                QCOMPARE(described(results[r][i]), described(expected[r / 2][i]));
        }
    }

    void decodeWordPiece()
    {
        const Tokenizer tok = Tokenizer::fromFolder(kTiny);
        const Encoding encoding = tok.encode("Hello world, unaffable players!");
        QCOMPARE(tok.decode(encoding.ids), std::string("hello world, unaffable players!"));
        QCOMPARE(tok.decode(encoding.ids, false), std::string("[CLS] hello world, unaffable players! [SEP]"));
        QVERIFY(!tok.byteLevel());
        QCOMPARE(tok.bosId(), std::int64_t{-1});
        QCOMPARE(tok.eosId(), std::int64_t{-1});
    }
};

FT_REGISTER_TEST(BpeTokenizerTest);

#include "tst_bpe_tokenizer.moc"
