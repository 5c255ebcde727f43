// tst_predictor.cpp: Predictor on the golden checkpoint: batched and one by
// one agree, input order is kept through the length sort, pairs are encoded
// as pairs, and unusable folders or settings are refused with their kind.
#include "common/error.h"
#include "infer/predictor.h"
#include "infer/token_attribution.h"
#include "text/tokenizer.h"
#include "testregistry.h"

#include <nlohmann/json.hpp>

#include <QTest>

#include <cmath>
#include <fstream>

namespace fs = std::filesystem;
using namespace ft;
using nlohmann::json;

namespace {

const fs::path kGolden = fs::path(FT_SHARED_DIR) / "golden";

const json &golden()
{
    static const json document = [] {
        std::ifstream in(kGolden / "golden.json");
        return json::parse(in);
    }();
    return document;
}

// The golden cases' texts that have a text (an empty one is the CLI's row error).
struct Texts {
    std::vector<std::string> ids;
    std::vector<std::string> texts;
    std::vector<std::string> pairs;

    std::vector<std::string_view> textViews() const { return {texts.begin(), texts.end()}; }
    std::vector<std::string_view> pairViews() const { return {pairs.begin(), pairs.end()}; }
};

Texts goldenTexts(std::int64_t maxLength)
{
    Texts result;
    for (const json &testCase : golden()["cases"]) {
        if (testCase["max_length"].get<std::int64_t>() != maxLength || testCase["text"].get<std::string>().empty())
            continue;
        result.ids.push_back(testCase["id"].get<std::string>());
        result.texts.push_back(testCase["text"].get<std::string>());
        result.pairs.push_back(testCase["text_pair"].is_string() ? testCase["text_pair"].get<std::string>() : "");
    }
    return result;
}

Predictor loadPredictor(std::size_t maxLength, std::size_t batchSize)
{
    PredictorOptions options;
    options.maxLength = maxLength;
    options.batchSize = batchSize;
    Predictor predictor;
    predictor.load(kGolden / "tiny-bert-uncased", options);
    return predictor;
}

double maxAbsDiff(std::span<const float> a, std::span<const float> b)
{
    if (a.size() != b.size())
        return 1e9;
    double worst = 0;
    for (std::size_t i = 0; i < a.size(); ++i)
        worst = std::max(worst, std::abs(double(a[i]) - double(b[i])));
    return worst;
}

ErrorKind loadErrorKind(const fs::path &folder, const PredictorOptions &options = {})
{
    try {
        Predictor predictor;
        predictor.load(folder, options);
    } catch (const Error &e) {
        return e.kind();
    }
    return ErrorKind::Internal;
}

} // namespace

class PredictorTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    // The playground's explanation: the prediction of the whole text, and
    // per wordpiece the drop in the predicted class's probability without
    // its word, checked against predicting those texts directly.
    void occlusionExplainsByWord()
    {
        Predictor predictor;
        predictor.load(kGolden / "tiny-bert-uncased");
        const Tokenizer tokenizer = Tokenizer::fromFolder(kGolden / "tiny-bert-uncased");
        const std::string text = "The kettle  works perfectly";
        const Explanation e = explainPrediction(predictor, tokenizer, text);
        const std::vector<std::string_view> whole{text};
        const Predictions p = predictor.predict(whole);
        QCOMPARE(e.labels, predictor.labelNames());
        QCOMPARE(e.predicted, std::size_t(p.labelIds[0]));
        for (std::size_t c = 0; c < e.labels.size(); ++c)
            QCOMPARE(e.probabilities[c], p.probabilities[c]);
        QVERIFY(!e.tokens.empty());
        const std::vector<std::string> without = {"kettle  works perfectly", "The   works perfectly",
                                                  "The kettle   perfectly", "The kettle  works "};
        for (const TokenImportance &token : e.tokens) {
            std::string piece = token.token.rfind("##", 0) == 0 ? token.token.substr(2) : token.token;
            std::string span = text.substr(token.begin, token.end - token.begin);
            std::transform(span.begin(), span.end(), span.begin(), [](unsigned char c) { return char(std::tolower(c)); });
            QCOMPARE(QString::fromStdString(span), QString::fromStdString(piece));
            const std::size_t word = token.begin < 4 ? 0 : token.begin < 12 ? 1 : token.begin < 18 ? 2 : 3;
            const std::vector<std::string_view> variant{without[word]};
            const double expected = double(p.probabilities[e.predicted])
                                    - double(predictor.predict(variant).probabilities[e.predicted]);
            QVERIFY2(std::abs(token.importance - expected) < 1e-6, token.token.c_str());
        }
    }

    void matchesGoldenInInputOrder()
    {
        for (const std::int64_t maxLength : {32, 16}) {
            const Texts cases = goldenTexts(maxLength);
            const Predictor predictor = loadPredictor(std::size_t(maxLength), 4);
            QCOMPARE(predictor.maxLength(), std::size_t(maxLength));
            QCOMPARE(predictor.labelNames(), (std::vector<std::string>{"negative", "neutral", "positive"}));
            const Predictions out = predictor.predict(cases.textViews(), cases.pairViews());
            QCOMPARE(out.size(), cases.texts.size());
            QCOMPARE(out.numLabels, std::size_t(3));
            for (std::size_t r = 0; r < out.size(); ++r) {
                const json &want = golden()["models"]["tiny-bert-uncased"]["outputs"][cases.ids[r]];
                for (std::size_t c = 0; c < 3; ++c) {
                    QVERIFY2(std::abs(out.logits[r * 3 + c] - want["logits"][c].get<double>()) <= 2e-5,
                             cases.ids[r].c_str());
                    QVERIFY(std::abs(out.probabilities[r * 3 + c] - want["probs"][c].get<double>()) <= 2e-5);
                }
                QCOMPARE(out.labels[r], predictor.labelNames()[std::size_t(out.labelIds[r])]);
            }
        }
    }

    void batchedEqualsOneByOne()
    {
        const Texts cases = goldenTexts(32);
        const Predictor batched = loadPredictor(32, 32);
        const Predictions all = batched.predict(cases.textViews(), cases.pairViews());
        for (std::size_t r = 0; r < cases.texts.size(); ++r) {
            const std::string_view text = cases.texts[r];
            const std::string_view pair = cases.pairs[r];
            const Predictions one = batched.predict({&text, 1}, {&pair, 1});
            QVERIFY2(maxAbsDiff(one.logits, std::span<const float>(all.logits).subspan(r * 3, 3)) <= 1e-6,
                     cases.ids[r].c_str());
            QCOMPARE(one.labelIds[0], all.labelIds[r]);
        }
    }

    void reversedInputGivesReversedOutput()
    {
        const Texts cases = goldenTexts(32);
        const Predictor predictor = loadPredictor(32, 3);
        std::vector<std::string_view> texts = cases.textViews();
        std::vector<std::string_view> pairs = cases.pairViews();
        const Predictions forward = predictor.predict(texts, pairs);
        std::reverse(texts.begin(), texts.end());
        std::reverse(pairs.begin(), pairs.end());
        const Predictions backward = predictor.predict(texts, pairs);
        const std::size_t n = texts.size();
        for (std::size_t r = 0; r < n; ++r) {
            const auto a = std::span<const float>(forward.logits).subspan(r * 3, 3);
            const auto b = std::span<const float>(backward.logits).subspan((n - 1 - r) * 3, 3);
            QVERIFY(maxAbsDiff(a, b) <= 1e-6);
        }
    }

    // A pair is encoded with token types 0/1; an empty pair is the text alone.
    void pairsAreEncodedAsPairs()
    {
        const Predictor predictor = loadPredictor(32, 8);
        const std::vector<std::string_view> texts = {"How old are you?", "How old are you?", "How old are you?"};
        const std::string_view pair = "I am six years old, and you?";
        const std::vector<std::string_view> pairs = {pair, "", pair};
        const Predictions withPairs = predictor.predict(texts, pairs);
        const Predictions alone = predictor.predict(std::span(texts).first(1));
        const auto logits = std::span<const float>(withPairs.logits);
        QVERIFY(maxAbsDiff(logits.subspan(0, 3), logits.subspan(3, 3)) > 1e-3);
        QVERIFY(maxAbsDiff(logits.subspan(3, 3), alone.logits) <= 1e-6);
        QVERIFY(maxAbsDiff(logits.subspan(0, 3), logits.subspan(6, 3)) <= 1e-6);
        const json &want = golden()["models"]["tiny-bert-uncased"]["outputs"]["pair"]["logits"];
        for (std::size_t c = 0; c < 3; ++c)
            QVERIFY(std::abs(logits[c] - want[c].get<double>()) <= 2e-5);
    }

    void progressCanCancel()
    {
        const Texts cases = goldenTexts(32);
        const Predictor predictor = loadPredictor(32, 2);
        std::vector<std::size_t> seen;
        try {
            predictor.predict(cases.textViews(), cases.pairViews(), [&](std::size_t done) {
                seen.push_back(done);
                return seen.size() < 2;
            });
            QFAIL("predict was not cancelled");
        } catch (const Error &e) {
            QCOMPARE(e.kind(), ErrorKind::Cancelled);
        }
        QCOMPARE(seen, (std::vector<std::size_t>{2, 4}));
    }

    void refusesWhatCannotPredict()
    {
        QCOMPARE(loadErrorKind(kGolden / "no-such-model"), ErrorKind::NotFound);
        QCOMPARE(loadErrorKind(kGolden / "tiny-bert-uncased-base"), ErrorKind::Incompatible);
        PredictorOptions tooLong;
        tooLong.maxLength = 65; // max_position_embeddings is 64
        QCOMPARE(loadErrorKind(kGolden / "tiny-bert-uncased", tooLong), ErrorKind::InvalidInput);
        PredictorOptions device;
        device.device = "tpu";
        QCOMPARE(loadErrorKind(kGolden / "tiny-bert-uncased", device), ErrorKind::InvalidInput);
        // Default max length: the tokenizer's model_max_length (64), within max_position_embeddings.
        Predictor predictor;
        predictor.load(kGolden / "tiny-bert-uncased-f16");
        QCOMPARE(predictor.maxLength(), std::size_t(64));
        QCOMPARE(predictor.deviceName(), std::string("cpu"));
        const std::string_view text = "hello world, unaffable players!";
        const Predictions out = predictor.predict({&text, 1});
        const json &want = golden()["models"]["tiny-bert-uncased-f16"]["outputs"]["ascii_basic"]["logits"];
        for (std::size_t c = 0; c < 3; ++c)
            QVERIFY(std::abs(out.logits[c] - want[c].get<double>()) <= 2e-5);
        QVERIFY(predictor.predict({}).size() == 0);
    }
};

FT_REGISTER_TEST(PredictorTest);

#include "tst_predictor.moc"
