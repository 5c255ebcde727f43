// tst_decoder_virtual_tokens.cpp: prefix and prompt tuning on the decoders (GPT-2, Llama) against what
// they stand for. A prefix whose keys and values are those a real text leaves in the key/value cache,
// and a prompt of that text's embeddings, must give the logits of the text fed before the input: the
// positions, the causal mask and the cache all agree. Also: generation's cache keeps the virtual tokens,
// padding stays masked, and Llama's grouped-query prefix is sized by its key/value heads.
#include "common/error.h"
#include "models/causal_lm.h"
#include "models/classifier_factory.h"
#include "models/gpt2_model.h"
#include "models/llama_model.h"
#include "models/peft_methods.h"
#include "models/prompt_adapter.h"
#include "testhelpers.h"
#include "testregistry.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <nlohmann/json.hpp>

#include <QTemporaryDir>
#include <QTest>

namespace fs = std::filesystem;
using namespace ft;

namespace {

const fs::path kGolden = fs::path(FT_TESTS_DIR) / "text_models" / "golden";

// The causal LM's next-token logits, through its own module (so a cache can be passed).
struct Decoder {
    ClassifierPtr model;
    at::Tensor operator()(const at::Tensor &ids, KvCache *cache = nullptr, const at::Tensor &mask = {})
    {
        at::NoGradGuard noGrad;
        if (auto *llama = llamaCausalLmOf(*model))
            return llama->forward(ids, mask, {}, cache);
        return gpt2LmOf(*model)->forward(ids, mask, cache);
    }
};

Decoder loadDecoder(const QString &name)
{
    ClassifierOptions options;
    options.causalLm = true;
    Decoder decoder{loadCausalLm(kGolden / name.toStdString(), options).model};
    decoder.model->module().eval();
    return decoder;
}

at::Tensor ids(std::vector<std::int64_t> values)
{
    const auto count = std::int64_t(values.size());
    return at::tensor(values, at::kLong).view({1, count});
}

// Virtual tokens whose table holds `cache`'s keys and values: the inverse of pastKeyValues' view.
VirtualTokens prefixFromCache(const KvCache &cache)
{
    std::vector<at::Tensor> rows; // [layers * 2] of [heads, tokens, head_dim]
    for (const LayerKvCache &layer : cache.layers) {
        rows.push_back(layer.keys[0]);
        rows.push_back(layer.values[0]);
    }
    const at::Tensor kv = at::stack(rows); // [layers * 2, heads, tokens, head_dim]
    VirtualTokensOptions options;
    options.kind = VirtualTokenKind::Prefix;
    options.numVirtualTokens = kv.size(2);
    options.numLayers = std::int64_t(cache.layers.size());
    options.numHeads = kv.size(1);
    options.tokenDim = kv.size(1) * kv.size(3);
    at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(1);
    VirtualTokens tokens(options, generator);
    at::NoGradGuard noGrad;
    tokens->named_parameters()["embedding.weight"].copy_(kv.permute({2, 0, 1, 3}).reshape({kv.size(2), -1}));
    return tokens;
}

double maxDifference(const at::Tensor &a, const at::Tensor &b)
{
    return (a - b).abs().max().item<double>();
}

const std::vector<std::int64_t> kText{5, 17, 33, 8};       // what the virtual tokens stand for
const std::vector<std::int64_t> kInput{42, 9, 77, 13, 61}; // what follows

void addDecoderRows()
{
    QTest::addColumn<QString>("model");
    QTest::newRow("gpt2") << QStringLiteral("tiny-gpt2-lm");
    QTest::newRow("llama") << QStringLiteral("tiny-llama-lm");
}

} // namespace

class DecoderVirtualTokensTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    // The cache a text leaves, made a prefix: the input after it gives the logits it gets after the text.
    void prefixOfRealKeysAndValuesContinuesTheText_data() { addDecoderRows(); }
    void prefixOfRealKeysAndValuesContinuesTheText()
    {
        QFETCH(QString, model);
        Decoder plain = loadDecoder(model);
        KvCache cache;
        plain(ids(kText), &cache);
        std::vector<std::int64_t> joined = kText;
        joined.insert(joined.end(), kInput.begin(), kInput.end());
        const at::Tensor expected = plain(ids(joined)).narrow(1, std::int64_t(kText.size()), std::int64_t(kInput.size()));

        Decoder prefixed = loadDecoder(model);
        addVirtualTokens(*prefixed.model, prefixFromCache(cache));
        const double difference = maxDifference(prefixed(ids(kInput)), expected);
        QVERIFY2(difference < 1e-5, qPrintable(QString::number(difference)));
        // The caller's mask covers its own tokens only; the virtual ones are added in front.
        const double masked = maxDifference(prefixed(ids(kInput), nullptr, at::ones({1, 5}, at::kLong)), expected);
        QVERIFY2(masked < 1e-5, qPrintable(QString::number(masked)));
        QVERIFY_THROWS_EXCEPTION(Error, prefixed(ids(kInput), nullptr, at::ones({1, 9}, at::kLong)));
    }

    // PEFT's TEXT init: a prompt of the text's embeddings gives the logits of the text fed first.
    void promptOfTheTextEmbeddingsContinuesTheText_data() { addDecoderRows(); }
    void promptOfTheTextEmbeddingsContinuesTheText()
    {
        QFETCH(QString, model);
        Decoder plain = loadDecoder(model);
        std::vector<std::int64_t> joined = kText;
        joined.insert(joined.end(), kInput.begin(), kInput.end());
        const at::Tensor expected = plain(ids(joined)).narrow(1, std::int64_t(kText.size()), std::int64_t(kInput.size()));

        Decoder prompted = loadDecoder(model);
        PeftMethodConfig config;
        config.method = PeftMethod::Prompt;
        config.numVirtualTokens = std::int64_t(kText.size());
        config.promptInitTokenIds = kText;
        applyPeftMethod(*prompted.model, config);
        const at::Tensor logits = prompted(ids(kInput));
        QCOMPARE(logits.size(1), std::int64_t(kInput.size())); // the output covers the input only
        const double difference = maxDifference(logits, expected);
        QVERIFY2(difference < 1e-5, qPrintable(QString::number(difference)));
    }

    // Generation feeds the prompt, then one token at a time through the cache: each step's logits are
    // those of the whole sequence read at once, with either kind of virtual tokens.
    void generationCacheKeepsTheVirtualTokens_data()
    {
        QTest::addColumn<QString>("model");
        QTest::addColumn<int>("method");
        for (const char *name : {"gpt2", "llama"})
            for (const PeftMethod method : {PeftMethod::Prefix, PeftMethod::Prompt})
                QTest::newRow(qPrintable(QStringLiteral("%1 %2").arg(name, QString::fromStdString(toString(method)))))
                    << QStringLiteral("tiny-%1-lm").arg(QLatin1String(name)) << int(method);
    }
    void generationCacheKeepsTheVirtualTokens()
    {
        QFETCH(QString, model);
        QFETCH(int, method);
        Decoder decoder = loadDecoder(model);
        PeftMethodConfig config;
        config.method = PeftMethod(method);
        config.numVirtualTokens = 3;
        config.prefixProjection = false;
        config.seed = 9;
        applyPeftMethod(*decoder.model, config);
        KvCache cache;
        decoder(ids({42, 9, 77}), &cache);
        QCOMPARE(cache.length(), std::int64_t{3 + 3}); // the virtual tokens' keys and values first
        const at::Tensor step = decoder(ids({13}), &cache);
        const at::Tensor whole = decoder(ids({42, 9, 77, 13}));
        const double difference = maxDifference(step[0][-1], whole[0][-1]);
        QVERIFY2(difference < 1e-5, qPrintable(QString::number(difference)));
    }

    // GPT-2's position table holds the virtual tokens too: they leave fewer positions for the input.
    void virtualTokensTakePositions()
    {
        Decoder decoder = loadDecoder(QStringLiteral("tiny-gpt2-lm")); // n_positions 40
        PeftMethodConfig config;
        config.method = PeftMethod::Prompt;
        config.numVirtualTokens = 4;
        applyPeftMethod(*decoder.model, config);
        QCOMPARE(decoder(at::ones({1, 36}, at::kLong)).size(1), std::int64_t{36});
        try {
            decoder(at::ones({1, 37}, at::kLong));
            QFAIL("37 tokens after 4 virtual ones fit 40 positions");
        } catch (const Error &e) {
            QVERIFY2(QString::fromUtf8(e.what()).contains(QLatin1String("less the 4 virtual tokens")), e.what());
        }
    }

    // Llama's keys and values have 2 heads of 8 where its queries have 4: the prefix and PEFT's
    // adapter_config.json (token_dim, num_attention_heads) follow the keys and values.
    void groupedQueryPrefixIsSizedByKeyValueHeads()
    {
        ClassifierPtr model = loadClassifier(kGolden / "tiny-llama", {}).model;
        PeftMethodConfig config;
        config.method = PeftMethod::Prefix;
        config.numVirtualTokens = 3;
        config.prefixProjection = true;
        config = applyPeftMethod(*model, config).config;
        QCOMPARE(config.encoderHiddenSize, std::int64_t{16}); // PEFT's default: token_dim
        VirtualTokens tokens = virtualTokensOf(*model);
        QCOMPARE(tokens->width(), std::int64_t{2 * 2 * 16});
        QVERIFY(tokens->pastKeyValues(1).sizes() == at::IntArrayRef({4, 1, 2, 3, 8}));
        const nlohmann::ordered_json json = promptAdapterConfig(*model, config, "/models/llama");
        QCOMPARE(json.at("token_dim").get<int>(), 16);
        QCOMPARE(json.at("num_attention_heads").get<int>(), 2);
        QCOMPARE(json.at("encoder_hidden_size").get<int>(), 16);
    }
};

FT_REGISTER_TEST(DecoderVirtualTokensTest);

#include "tst_decoder_virtual_tokens.moc"
