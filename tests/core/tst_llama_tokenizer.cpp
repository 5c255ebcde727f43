// tst_llama_tokenizer.cpp: Llama-style tokenizer.json (SentencePiece's "▁"
// rules, BPE merges, byte fallback) in its legacy (Prepend + Replace) and
// Metaspace forms, and the byte-level tokenizer `model convert-llama2c`
// writes, each cross-checked with Hugging Face's own library on hard texts:
// ids, token types, spans and decoding.
#include "common/error.h"
#include "hf_tokenizers_check.h"
#include "models/llama2c_convert.h"
#include "tempproject.h"
#include "testhelpers.h"
#include "testregistry.h"
#include "text/tokenizer.h"

#include <QTemporaryDir>
#include <QTest>

#include <nlohmann/json.hpp>

#include <set>

namespace fs = std::filesystem;
using namespace ft;
using namespace ft::test;
using ordered = nlohmann::ordered_json;

namespace {

const fs::path kStories = fs::path(FT_SHARED_DIR) / "data" / "pretrained_stories260K" / "stories260K.bin";

// A small Llama-like vocabulary: the specials, the 256 byte tokens, lower-case
// letters, "▁" and some punctuation, and the tokens of `merges`.
const std::vector<std::string> kMerges = {"▁ t", "h e", "▁t he", "a n", "▁ a", "▁a n", "▁an d", "o r", "▁ w",
                                          "▁w or", "l d", "▁wor ld", "l l", "he ll", "▁ hell", "▁hell o",
                                          "i s", "▁ is", "e r", "▁ ▁", "▁▁ ▁", "i n", "in g"};

ordered special(int id, const char *content)
{
    return {{"id", id}, {"content", content}, {"single_word", false}, {"lstrip", false},
            {"rstrip", false}, {"normalized", false}, {"special", true}};
}

ordered llamaJson(const ordered &normalizer, const ordered &preTokenizer, const ordered &decoder, bool byteFallback)
{
    ordered vocab = ordered::object();
    int next = 0;
    for (const char *token : {"<unk>", "<s>", "</s>"})
        vocab[token] = next++;
    for (int byte = 0; byte < 256; ++byte) {
        char name[8];
        std::snprintf(name, sizeof name, "<0x%02X>", byte);
        vocab[name] = next++;
    }
    for (const std::string base : {"▁", ",", ".", "!", "?", "'", "T", "H", "W"})
        vocab[base] = next++;
    for (char c = 'a'; c <= 'z'; ++c)
        vocab[std::string(1, c)] = next++;
    for (const std::string &merge : kMerges) {
        const std::size_t space = merge.find(' ');
        const std::string joined = merge.substr(0, space) + merge.substr(space + 1);
        if (!vocab.contains(joined))
            vocab[joined] = next++;
    }
    const auto token = [](const char *id, int type) { return ordered{{"SpecialToken", {{"id", id}, {"type_id", type}}}}; };
    const auto sequence = [](const char *id, int type) { return ordered{{"Sequence", {{"id", id}, {"type_id", type}}}}; };
    return {{"version", "1.0"},
            {"truncation", nullptr},
            {"padding", nullptr},
            {"added_tokens", {special(0, "<unk>"), special(1, "<s>"), special(2, "</s>")}},
            {"normalizer", normalizer},
            {"pre_tokenizer", preTokenizer},
            {"post_processor",
             {{"type", "TemplateProcessing"},
              {"single", {token("<s>", 0), sequence("A", 0)}},
              {"pair", {token("<s>", 0), sequence("A", 0), token("<s>", 1), sequence("B", 1)}},
              {"special_tokens", {{"<s>", {{"id", "<s>"}, {"ids", {1}}, {"tokens", {"<s>"}}}}}}}},
            {"decoder", decoder},
            {"model",
             {{"type", "BPE"}, {"dropout", nullptr}, {"unk_token", "<unk>"}, {"continuing_subword_prefix", nullptr},
              {"end_of_word_suffix", nullptr}, {"fuse_unk", true}, {"byte_fallback", byteFallback},
              {"ignore_merges", false}, {"vocab", vocab}, {"merges", kMerges}}}};
}

ordered replace(const char *from, const char *to)
{
    return {{"type", "Replace"}, {"pattern", {{"String", from}}}, {"content", to}};
}

// Llama 2's legacy files: the normalizer writes the "▁"s.
ordered legacyJson()
{
    const ordered normalizer = {{"type", "Sequence"},
                                {"normalizers", {{{"type", "Prepend"}, {"prepend", "▁"}}, replace(" ", "▁")}}};
    const ordered decoder = {{"type", "Sequence"},
                             {"decoders",
                              {replace("▁", " "), {{"type", "ByteFallback"}}, {{"type", "Fuse"}},
                               {{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}}}}};
    return llamaJson(ordered{{"type", "Sequence"}, {"normalizers", normalizer["normalizers"]}}, nullptr, decoder, true);
}

// Newer files: the Metaspace pre-tokenizer, "▁" before the first stretch only.
ordered metaspaceJson(const char *scheme, bool split, bool byteFallback)
{
    const ordered meta = {{"type", "Metaspace"}, {"replacement", "▁"}, {"prepend_scheme", scheme}, {"split", split}};
    const ordered decoder = {{"type", "Sequence"}, {"decoders", {{{"type", "ByteFallback"}}, {{"type", "Fuse"}}, meta}}};
    return llamaJson(nullptr, meta, decoder, byteFallback);
}

fs::path writeTokenizer(const QTemporaryDir &dir, const char *name, const ordered &json)
{
    const fs::path folder = toPath(dir.filePath(QString::fromLatin1(name)));
    fs::create_directories(folder);
    writeText(folder / "tokenizer.json", json.dump(1));
    writeText(folder / "tokenizer_config.json", R"({"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"})");
    return folder / "tokenizer.json";
}

} // namespace

class LlamaTokenizerTest : public QObject {
    Q_OBJECT

private:
    QTemporaryDir mDir;
    fs::path mStories;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(mDir.isValid());
        mStories = toPath(mDir.filePath(QStringLiteral("stories")));
        convertLlama2c(kStories, mStories);
    }

    // Merges by rank, "▁" for spaces and before the text, bytes for what the vocabulary lacks.
    void legacyEncodes()
    {
        const Tokenizer tok = Tokenizer::fromTokenizerJson(writeTokenizer(mDir, "legacy", legacyJson()));
        QCOMPARE(joined(tok.idsToTokens(tok.encode("hello the world").ids)),
                 QStringLiteral("<s> ▁hello ▁the ▁world"));
        // "é" is not in the vocabulary: its two UTF-8 bytes. "a" + "n" outranks "▁" + "a", so no "▁and".
        QCOMPARE(joined(tok.idsToTokens(tok.encode("é  and").ids)), QStringLiteral("<s> ▁ <0xC3> <0xA9> ▁▁ an d"));
        QCOMPARE(tok.bosId(), 1);
        QCOMPARE(tok.eosId(), 2);
        QCOMPARE(tok.decode(tok.encode("hello, Wörld  and 世界!").ids), std::string("hello, Wörld  and 世界!"));
        QCOMPARE(tok.decode(tok.encode("hi").ids, false), std::string("<s> hi"));
    }

    // llama2.c's vocabulary without its tokenizer.bin: every character as its bytes.
    void convertedStoriesTokenizerReadsBytes()
    {
        const Tokenizer tok = Tokenizer::fromFolder(mStories);
        QCOMPARE(tok.vocabSize(), 512);
        const Encoding encoding = tok.encode("Hi there");
        // <s>, "▁" (3 bytes), H, i, "▁" (3 bytes), t, h, e, r, e
        QCOMPARE(joined(encoding.ids), QStringLiteral("1 229 153 132 75 108 229 153 132 119 107 104 117 104"));
        QCOMPARE(tok.decode(encoding.ids), std::string("Hi there"));
        QCOMPARE(tok.decode(std::vector<std::int64_t>{461}), std::string("<piece_461>"));
    }

    void crossCheckWithHuggingFace_data()
    {
        QTest::addColumn<QString>("file");
        QTest::newRow("legacy") << qpath(writeTokenizer(mDir, "legacy", legacyJson()));
        QTest::newRow("metaspace first") << qpath(writeTokenizer(mDir, "first", metaspaceJson("first", false, true)));
        QTest::newRow("metaspace split, unk") << qpath(writeTokenizer(mDir, "split", metaspaceJson("always", true, false)));
        QTest::newRow("stories260K") << qpath(mStories / "tokenizer.json");
    }

    void crossCheckWithHuggingFace()
    {
        QFETCH(QString, file);
        if (const QString why = hfCrossCheckUnavailable(); !why.isEmpty())
            QSKIP(qPrintable(why));
        QTemporaryDir scratch;
        QString failure;
        const nlohmann::json &expected = hfEncodings(toPath(file), toPath(scratch.path()), failure);
        QVERIFY2(failure.isEmpty(), qPrintable(failure));
        const Tokenizer tok = Tokenizer::fromTokenizerJson(toPath(file));
        const auto check = [&](const Encoding &encoding, const nlohmann::json &theirs, const QString &what) {
            const QString mismatch = described(encoding) != described(theirs)
                ? QStringLiteral("ours %1\nHF's %2").arg(described(encoding), described(theirs))
                : QString();
            QVERIFY2(mismatch.isEmpty(), qPrintable(what + ":\n" + mismatch));
            QCOMPARE(QString::fromStdString(tok.decode(encoding.ids, false)),
                     QString::fromStdString(theirs["decoded"].get<std::string>()));
            QCOMPARE(QString::fromStdString(tok.decode(encoding.ids, true)),
                     QString::fromStdString(theirs["decoded_skip_special"].get<std::string>()));
        };
        for (std::size_t i = 0; i < hardTexts().size(); ++i)
            check(encodeWhole(tok, hardTexts()[i]), expected["texts"][i],
                  QStringLiteral("text %1 %2").arg(i).arg(QString::fromStdString(hardTexts()[i])));
        for (std::size_t i = 0; i < hardPairs().size(); ++i)
            check(encodeWhole(tok, hardPairs()[i].first, &hardPairs()[i].second), expected["pairs"][i],
                  QStringLiteral("pair %1").arg(i));
    }

    // Rules this tokenizer does not read are refused, naming the file and the place.
    void unsupportedRulesAreRefused()
    {
        ordered json = legacyJson();
        json["normalizer"] = {{"type", "NFKC"}};
        const fs::path file = writeTokenizer(mDir, "nfkc", json);
        try {
            Tokenizer::fromTokenizerJson(file);
            QFAIL("an NFKC normalizer was accepted");
        } catch (const Error &error) {
            QCOMPARE(int(error.kind()), int(ErrorKind::Incompatible));
            QVERIFY2(QString::fromStdString(error.what()).contains(qpath(file) + ": /normalizer"), error.what());
        }
    }
};

FT_REGISTER_TEST(LlamaTokenizerTest);
#include "tst_llama_tokenizer.moc"
