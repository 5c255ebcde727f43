// tst_peft_methods.cpp: bottleneck adapters, prefix tuning and prompt tuning on the golden tiny BERT,
// RoBERTa, DistilBERT, GPT-2 and Llama classifiers: the trainable set and shapes, training that leaves every other parameter
// bit-identical, the prefix layout and mask extension, PEFT's adapter files and their reload, the run's
// model folder and refusals. Runs end to end: tst_peft_method_runs.cpp; the decoders' virtual tokens
// against real keys, values and embeddings: tst_decoder_virtual_tokens.cpp.
#include "common/error.h"
#include "models/classifier_factory.h"
#include "models/model_family.h"
#include "models/peft_methods.h"
#include "models/prompt_adapter.h"
#include "models/safetensors.h"
#include "tempproject.h"
#include "testhelpers.h"
#include "testregistry.h"
#include "train/adamw.h"
#include "train/run_config.h"
#include "train/run_method.h"
#include "train/train_step.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <nlohmann/json.hpp>

#include <QTemporaryDir>
#include <QTest>

#include <set>

namespace fs = std::filesystem;
using namespace ft;

namespace {

const fs::path kTinyBert = fs::path(FT_SHARED_DIR) / "golden" / "tiny-bert-uncased";
const fs::path kTinyRoberta = fs::path(FT_TESTS_DIR) / "text_models" / "golden" / "tiny-roberta";
const fs::path kTinyDistilBert = fs::path(FT_TESTS_DIR) / "text_models" / "golden" / "tiny-distilbert";
const fs::path kTinyGpt2 = fs::path(FT_TESTS_DIR) / "text_models" / "golden" / "tiny-gpt2";
const fs::path kTinyLlama = fs::path(FT_TESTS_DIR) / "text_models" / "golden" / "tiny-llama";

ClassifierPtr load(const fs::path &folder)
{
    return loadClassifier(folder, {}).model;
}

// Two rows of different lengths, the second padded; ids below the tiny vocabularies' 120.
TensorBatch tinyBatch(bool roberta = false)
{
    const std::int64_t pad = roberta ? 1 : 0;
    TensorBatch batch;
    batch.inputIds = at::tensor(std::vector<std::int64_t>{101, 7, 99, 25, 102, 101, 64, 31, 102, pad}, at::kLong).view({2, 5});
    batch.attentionMask = at::tensor({1, 1, 1, 1, 1, 1, 1, 1, 1, 0}, at::kLong).view({2, 5});
    batch.tokenTypeIds = at::zeros({2, 5}, at::kLong);
    batch.labels = at::tensor({2, 0}, at::kLong);
    return batch;
}

at::Tensor logitsOf(Classifier &model, const TensorBatch &batch)
{
    at::NoGradGuard noGrad;
    model.module().eval();
    return model.logits(batch);
}

TensorMap snapshot(const Classifier &model)
{
    TensorMap copy;
    for (const auto &item : model.module().named_parameters())
        copy.emplace(item.key(), item.value().detach().clone());
    return copy;
}

bool isHead(const std::string &name)
{
    return name.rfind("classifier.", 0) == 0 || name.rfind("pre_classifier.", 0) == 0 || name.rfind("score.", 0) == 0;
}

PeftMethodConfig methodConfig(PeftMethod method, AdapterType type = AdapterType::Pfeiffer)
{
    PeftMethodConfig config;
    config.method = method;
    config.adapterType = type;
    config.adapterReductionFactor = 8; // hidden 32 -> bottleneck 4
    config.numVirtualTokens = 4;
    config.encoderHiddenSize = 16;
    config.seed = 3;
    return config;
}

// What each method adds, by name and shape, for the tiny models (hidden 32, 2 layers, 4 heads; Llama's
// keys and values have 2 heads of 8, so its prefix is half as wide).
std::map<std::string, std::vector<std::int64_t>> expectedParameters(const std::string &encoder, PeftMethodConfig config)
{
    std::map<std::string, std::vector<std::int64_t>> expected;
    const bool distil = encoder == "distilbert";
    const bool decoder = encoder == "gpt2" || encoder == "llama";
    // Where the layers and the prompt encoder live.
    const std::string layers = distil              ? "distilbert.transformer.layer."
                               : encoder == "gpt2"  ? "transformer.h."
                               : encoder == "llama" ? "model.layers."
                                                    : encoder + ".encoder.layer.";
    const std::string root = encoder == "gpt2" ? "transformer" : encoder == "llama" ? "model" : encoder;
    const std::int64_t kvWidth = encoder == "llama" ? 16 : 32;
    if (config.method == PeftMethod::Adapter) {
        for (const char *layer : {"0", "1"}) {
            std::vector<std::string> modules;
            const std::string base = layers + layer + ".";
            modules.push_back(base + (distil || decoder ? "output_adapter" : "output.adapter"));
            if (config.adapterType == AdapterType::Houlsby)
                modules.push_back(base + (distil || decoder ? "attention_adapter" : "attention.output.adapter"));
            for (const std::string &module : modules) {
                expected[module + ".down_proj.weight"] = {4, 32};
                expected[module + ".down_proj.bias"] = {4};
                expected[module + ".up_proj.weight"] = {32, 4};
                expected[module + ".up_proj.bias"] = {32};
            }
        }
    } else if (config.method == PeftMethod::Prompt) {
        expected[root + ".prompt_encoder.embedding.weight"] = {4, 32};
    } else if (config.prefixProjection) {
        expected[root + ".prompt_encoder.embedding.weight"] = {4, kvWidth};
        expected[root + ".prompt_encoder.transform.0.weight"] = {16, kvWidth};
        expected[root + ".prompt_encoder.transform.0.bias"] = {16};
        expected[root + ".prompt_encoder.transform.2.weight"] = {2 * 2 * kvWidth, 16};
        expected[root + ".prompt_encoder.transform.2.bias"] = {2 * 2 * kvWidth};
    } else {
        expected[root + ".prompt_encoder.embedding.weight"] = {4, 2 * 2 * kvWidth};
    }
    return expected;
}

void addMethodRows()
{
    QTest::addColumn<QString>("folder");
    QTest::addColumn<QString>("encoder");
    QTest::addColumn<int>("method");
    QTest::addColumn<int>("adapterType");
    QTest::addColumn<bool>("projection");
    const auto bert = QString::fromStdString(kTinyBert.string());
    const auto roberta = QString::fromStdString(kTinyRoberta.string());
    const auto distil = QString::fromStdString(kTinyDistilBert.string());
    const auto gpt2 = QString::fromStdString(kTinyGpt2.string());
    const auto llama = QString::fromStdString(kTinyLlama.string());
    const int adapter = int(PeftMethod::Adapter), prefix = int(PeftMethod::Prefix), prompt = int(PeftMethod::Prompt);
    const int houlsby = int(AdapterType::Houlsby), pfeiffer = int(AdapterType::Pfeiffer);
    QTest::newRow("bert houlsby") << bert << "bert" << adapter << houlsby << false;
    QTest::newRow("bert pfeiffer") << bert << "bert" << adapter << pfeiffer << false;
    QTest::newRow("bert prefix mlp") << bert << "bert" << prefix << pfeiffer << true;
    QTest::newRow("bert prefix") << bert << "bert" << prefix << pfeiffer << false;
    QTest::newRow("bert prompt") << bert << "bert" << prompt << pfeiffer << false;
    QTest::newRow("roberta houlsby") << roberta << "roberta" << adapter << houlsby << false;
    QTest::newRow("roberta prefix mlp") << roberta << "roberta" << prefix << pfeiffer << true;
    QTest::newRow("roberta prompt") << roberta << "roberta" << prompt << pfeiffer << false;
    QTest::newRow("distilbert houlsby") << distil << "distilbert" << adapter << houlsby << false;
    QTest::newRow("distilbert pfeiffer") << distil << "distilbert" << adapter << pfeiffer << false;
    QTest::newRow("distilbert prompt") << distil << "distilbert" << prompt << pfeiffer << false;
    QTest::newRow("gpt2 houlsby") << gpt2 << "gpt2" << adapter << houlsby << false;
    QTest::newRow("gpt2 pfeiffer") << gpt2 << "gpt2" << adapter << pfeiffer << false;
    QTest::newRow("gpt2 prefix mlp") << gpt2 << "gpt2" << prefix << pfeiffer << true;
    QTest::newRow("gpt2 prefix") << gpt2 << "gpt2" << prefix << pfeiffer << false;
    QTest::newRow("gpt2 prompt") << gpt2 << "gpt2" << prompt << pfeiffer << false;
    QTest::newRow("llama houlsby") << llama << "llama" << adapter << houlsby << false;
    QTest::newRow("llama prefix mlp") << llama << "llama" << prefix << pfeiffer << true;
    QTest::newRow("llama prefix") << llama << "llama" << prefix << pfeiffer << false;
    QTest::newRow("llama prompt") << llama << "llama" << prompt << pfeiffer << false;
}

#define FETCH_METHOD()                                                                                                 \
    QFETCH(QString, folder);                                                                                           \
    QFETCH(QString, encoder);                                                                                          \
    QFETCH(int, method);                                                                                               \
    QFETCH(int, adapterType);                                                                                          \
    QFETCH(bool, projection);                                                                                          \
    PeftMethodConfig config = methodConfig(PeftMethod(method), AdapterType(adapterType));                              \
    config.prefixProjection = projection;                                                                              \
    [[maybe_unused]] const bool roberta = encoder == QLatin1String("roberta")

} // namespace

class PeftMethodsTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    // Each method adds exactly its parameters, and only they and the head train.
    void trainableSetIsTheMethodsAndTheHead_data() { addMethodRows(); }
    void trainableSetIsTheMethodsAndTheHead()
    {
        FETCH_METHOD();
        ClassifierPtr model = load(folder.toStdString());
        const std::int64_t before = model->parameterCount();
        const PeftMethodSummary summary = applyPeftMethod(*model, config);
        const auto expected = expectedParameters(encoder.toStdString(), config);
        std::map<std::string, std::vector<std::int64_t>> added;
        std::set<std::string> trainable, wanted;
        std::int64_t trainableCount = 0, head = 0;
        for (const auto &item : model->module().named_parameters()) {
            const std::string &name = item.key();
            if (isPeftMethodParameter(name))
                added.emplace(name, item.value().sizes().vec());
            if (item.value().requires_grad()) {
                trainable.insert(name);
                trainableCount += item.value().numel();
            }
            if (isPeftMethodParameter(name) || isHead(name))
                wanted.insert(name);
            head += isHead(name) ? item.value().numel() : 0;
        }
        QVERIFY(added == expected);
        QVERIFY(trainable == wanted);
        QCOMPARE(summary.trainableParameters, trainableCount);
        QCOMPARE(model->parameterCount(), before); // the base model's own, as for LoRA
        std::int64_t methodCount = 0;
        for (const auto &[name, shape] : expected)
            methodCount += at::IntArrayRef(shape).size() == 2 ? shape[0] * shape[1] : shape[0];
        QCOMPARE(summary.allParameters, before + methodCount + (PeftMethod(method) == PeftMethod::Adapter ? 0 : head));
        QVERIFY(hasPeftMethod(*model));
        QVERIFY_THROWS_EXCEPTION(Error, applyPeftMethod(*model, config)); // once
    }

    // Some optimiser steps move the method's parameters and the head, and nothing else by a bit.
    void trainingChangesOnlyTheMethodAndTheHead_data() { addMethodRows(); }
    void trainingChangesOnlyTheMethodAndTheHead()
    {
        FETCH_METHOD();
        ClassifierPtr model = load(folder.toStdString());
        const TensorBatch batch = tinyBatch(roberta);
        const at::Tensor baseLogits = logitsOf(*model, batch);
        applyPeftMethod(*model, config);
        // Adapters start as the identity (up_proj zero): the pretrained function, bit for bit.
        if (config.method == PeftMethod::Adapter)
            QVERIFY(at::equal(logitsOf(*model, batch), baseLogits));
        const TensorMap before = snapshot(*model);
        const double lossBefore = classificationLoss(logitsOf(*model, batch), batch.labels).item<double>();

        std::vector<AdamW::NamedParameter> parameters;
        for (const auto &item : model->module().named_parameters())
            parameters.emplace_back(item.key(), item.value());
        AdamW optimizer(parameters, AdamWOptions{});
        at::manual_seed(1);
        for (int step = 0; step < 10; ++step) {
            model->module().train();
            forwardBackward(*model, batch, 1.0);
            optimizer.step(1e-2);
            optimizer.zeroGrad();
        }
        QVERIFY2(classificationLoss(logitsOf(*model, batch), batch.labels).item<double>() < lossBefore,
                 "the loss did not go down");
        for (const auto &item : model->module().named_parameters()) {
            const std::string &name = item.key();
            const bool same = at::equal(item.value(), before.at(name));
            if (isPeftMethodParameter(name) || isHead(name))
                QVERIFY2(!same, ("trainable but unchanged: " + name).c_str());
            else
                QVERIFY2(same, ("frozen but changed: " + name).c_str());
        }
    }

    // PEFT's get_prompt: the table's row p holds every layer's key, then value, head by head.
    void prefixLayoutAndMaskFollowPeft()
    {
        VirtualTokensOptions options;
        options.kind = VirtualTokenKind::Prefix;
        options.numVirtualTokens = 3;
        options.tokenDim = 8;
        options.numLayers = 2;
        options.numHeads = 2;
        at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(7);
        VirtualTokens tokens(options, generator);
        QCOMPARE(tokens->width(), std::int64_t{2 * 2 * 8});
        at::NoGradGuard noGrad;
        const at::Tensor table = tokens->table();
        const at::Tensor kv = tokens->pastKeyValues(2);
        QVERIFY(kv.sizes() == at::IntArrayRef({4, 2, 2, 3, 4})); // [layers * 2, batch, heads, tokens, head_dim]
        for (std::int64_t row = 0; row < 4; ++row) // layer * 2 + (0 key, 1 value)
            for (std::int64_t head = 0; head < 2; ++head)
                for (std::int64_t token = 0; token < 3; ++token)
                    for (std::int64_t d = 0; d < 4; ++d) {
                        const float expected = table[token][(row * 2 + head) * 4 + d].item<float>();
                        QCOMPARE(kv[row][1][head][token][d].item<float>(), expected);
                    }
        const at::Tensor mask = at::tensor({1, 1, 0, 1, 1, 1}, at::kLong).view({2, 3});
        QVERIFY(at::equal(tokens->extendMask(mask),
                          at::tensor({1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1}, at::kLong).view({2, 6})));
    }

    // Padding stays masked and the virtual tokens attended: a row gives the same logits alone and
    // padded beside a longer one.
    void virtualTokensSeePaddingMasked_data() { addMethodRows(); }
    void virtualTokensSeePaddingMasked()
    {
        FETCH_METHOD();
        ClassifierPtr model = load(folder.toStdString());
        applyPeftMethod(*model, config);
        const TensorBatch both = tinyBatch(roberta);
        TensorBatch alone;
        alone.inputIds = both.inputIds.narrow(0, 1, 1).narrow(1, 0, 4);
        alone.attentionMask = both.attentionMask.narrow(0, 1, 1).narrow(1, 0, 4);
        alone.tokenTypeIds = both.tokenTypeIds.narrow(0, 1, 1).narrow(1, 0, 4);
        const at::Tensor padded = logitsOf(*model, both)[1];
        QVERIFY2(at::allclose(logitsOf(*model, alone)[0], padded, 1e-5, 1e-6), qPrintable(QString::number(
                     (logitsOf(*model, alone)[0] - padded).abs().max().item<double>())));
    }

    // PEFT's TEXT init on BERT: a prompt of the word embeddings of "[CLS] x ..." gives the logits of
    // those ids fed as input, for positions and token types (0) are the same either way.
    void promptFromTextEqualsTheTextAsInput()
    {
        ClassifierPtr plain = load(kTinyBert);
        ClassifierPtr prompted = load(kTinyBert);
        PeftMethodConfig config = methodConfig(PeftMethod::Prompt);
        config.promptInitTokenIds = {101, 17, 23}; // repeated to 4: 101, 17, 23, 101
        applyPeftMethod(*prompted, config);
        TensorBatch input;
        input.inputIds = at::tensor({42, 43, 102}, at::kLong).view({1, 3});
        input.attentionMask = at::ones({1, 3}, at::kLong);
        input.tokenTypeIds = at::zeros({1, 3}, at::kLong);
        TensorBatch joined;
        joined.inputIds = at::tensor({101, 17, 23, 101, 42, 43, 102}, at::kLong).view({1, 7});
        joined.attentionMask = at::ones({1, 7}, at::kLong);
        joined.tokenTypeIds = at::zeros({1, 7}, at::kLong);
        QVERIFY(at::allclose(logitsOf(*prompted, input), logitsOf(*plain, joined), 1e-5, 1e-6));
        config.promptInitTokenIds = {1000}; // outside the vocabulary of 1,000
        QVERIFY_THROWS_EXCEPTION(Error, applyPeftMethod(*load(kTinyBert), config));
    }

    // adapter_model.safetensors and adapter_config.json under PEFT's names for prompt learning.
    void peftFilesFollowPeft()
    {
        QTemporaryDir dir;
        for (const bool prefix : {true, false}) {
            ClassifierPtr model = load(prefix ? kTinyBert : kTinyDistilBert);
            PeftMethodConfig config = methodConfig(prefix ? PeftMethod::Prefix : PeftMethod::Prompt);
            if (!prefix)
                config.promptInitText = "great movie";
            config = applyPeftMethod(*model, config).config;
            const fs::path folder = ft::test::toPath(dir.path()) / (prefix ? "prefix" : "prompt");
            savePromptAdapter(*model, config, "/models/base", folder);
            std::map<std::string, std::vector<std::int64_t>> shapes;
            for (const auto &[name, tensor] : loadSafetensors(folder / "adapter_model.safetensors"))
                shapes.emplace(name, tensor.sizes().vec());
            const std::map<std::string, std::vector<std::int64_t>> expected =
                prefix ? std::map<std::string, std::vector<std::int64_t>>{{"prompt_embeddings", {4, 2 * 2 * 32}},
                                                                          {"base_model.classifier.weight", {3, 32}},
                                                                          {"base_model.classifier.bias", {3}}}
                       : std::map<std::string, std::vector<std::int64_t>>{{"prompt_embeddings", {4, 32}},
                                                                          {"base_model.pre_classifier.weight", {32, 32}},
                                                                          {"base_model.pre_classifier.bias", {32}},
                                                                          {"base_model.classifier.weight", {3, 32}},
                                                                          {"base_model.classifier.bias", {3}}};
            QVERIFY(shapes == expected);
            const nlohmann::json json = test::readJsonFile(folder / "adapter_config.json");
            QCOMPARE(json.at("peft_type").get<std::string>(), std::string(prefix ? "PREFIX_TUNING" : "PROMPT_TUNING"));
            QCOMPARE(json.at("task_type").get<std::string>(), std::string("SEQ_CLS"));
            QCOMPARE(json.at("base_model_name_or_path").get<std::string>(), std::string("/models/base"));
            QCOMPARE(json.at("num_virtual_tokens").get<int>(), 4);
            QCOMPARE(json.at("token_dim").get<int>(), 32);
            QCOMPARE(json.at("num_layers").get<int>(), 2);
            QCOMPARE(json.at("num_attention_heads").get<int>(), 4);
            QCOMPARE(json.at("num_transformer_submodules").get<int>(), 1);
            QCOMPARE(json.at("inference_mode").get<bool>(), true);
            QCOMPARE(json.at("modules_to_save").get<std::vector<std::string>>(),
                     (std::vector<std::string>{"classifier", "score"}));
            if (prefix) {
                QCOMPARE(json.at("prefix_projection").get<bool>(), true);
                QCOMPARE(json.at("encoder_hidden_size").get<int>(), 16);
            } else {
                QCOMPARE(json.at("prompt_tuning_init").get<std::string>(), std::string("TEXT"));
                QCOMPARE(json.at("prompt_tuning_init_text").get<std::string>(), std::string("great movie"));
                QCOMPARE(json.at("tokenizer_name_or_path").get<std::string>(), std::string("/models/base"));
            }
            std::vector<std::string> keys;
            for (const auto &item : json.items())
                keys.push_back(item.key());
            QVERIFY(std::is_sorted(keys.begin(), keys.end())); // as PEFT writes them
        }
    }

    // The PEFT folder over a freshly loaded base gives the trained model's logits (the prefix MLP's
    // output saved as the table, as PEFT's inference mode uses it).
    void peftFolderReloadsWithTheSameLogits_data()
    {
        QTest::addColumn<QString>("folder");
        QTest::addColumn<int>("method");
        QTest::newRow("bert prefix") << QString::fromStdString(kTinyBert.string()) << int(PeftMethod::Prefix);
        QTest::newRow("bert prompt") << QString::fromStdString(kTinyBert.string()) << int(PeftMethod::Prompt);
        QTest::newRow("roberta prefix") << QString::fromStdString(kTinyRoberta.string()) << int(PeftMethod::Prefix);
        QTest::newRow("roberta prompt") << QString::fromStdString(kTinyRoberta.string()) << int(PeftMethod::Prompt);
        QTest::newRow("distilbert prompt") << QString::fromStdString(kTinyDistilBert.string()) << int(PeftMethod::Prompt);
        QTest::newRow("gpt2 prefix") << QString::fromStdString(kTinyGpt2.string()) << int(PeftMethod::Prefix);
        QTest::newRow("gpt2 prompt") << QString::fromStdString(kTinyGpt2.string()) << int(PeftMethod::Prompt);
        QTest::newRow("llama prefix") << QString::fromStdString(kTinyLlama.string()) << int(PeftMethod::Prefix);
        QTest::newRow("llama prompt") << QString::fromStdString(kTinyLlama.string()) << int(PeftMethod::Prompt);
    }
    void peftFolderReloadsWithTheSameLogits()
    {
        QFETCH(QString, folder);
        QFETCH(int, method);
        const fs::path base = folder.toStdString();
        ClassifierPtr trained = load(base);
        const PeftMethodConfig config = applyPeftMethod(*trained, methodConfig(PeftMethod(method))).config;
        {
            at::NoGradGuard noGrad; // as after training: a head unlike the base's
            for (auto &item : trained->module().named_parameters())
                if (isHead(item.key()))
                    item.value().add_(at::randn_like(item.value()) * 0.1);
        }
        QTemporaryDir dir;
        const fs::path adapter = ft::test::toPath(dir.path()) / "adapter";
        savePromptAdapter(*trained, config, base.string(), adapter);

        ClassifierPtr reloaded = load(base);
        applyPeftAdapterFolder(*reloaded, adapter);
        const TensorBatch batch = tinyBatch(folder.contains(QLatin1String("roberta")));
        const double difference = (logitsOf(*reloaded, batch) - logitsOf(*trained, batch)).abs().max().item<double>();
        QVERIFY2(difference < 1e-6, qPrintable(QString::number(difference)));

        // A family that takes no prefix is refused.
        if (PeftMethod(method) == PeftMethod::Prefix)
            QVERIFY_THROWS_EXCEPTION(Error, applyPeftAdapterFolder(*load(kTinyDistilBert), adapter));
    }

    // The run's model folder: model.safetensors with the method's tensors, config.json's record, and
    // loadClassifier rebuilding both; the predictor's longest input leaves room for the virtual tokens.
    void modelFolderRoundTrips_data() { addMethodRows(); }
    void modelFolderRoundTrips()
    {
        FETCH_METHOD();
        ClassifierPtr model = load(folder.toStdString());
        config = applyPeftMethod(*model, config).config;
        {
            at::NoGradGuard noGrad;
            for (auto &item : model->module().named_parameters())
                if (isPeftMethodParameter(item.key()))
                    item.value().add_(at::randn_like(item.value()) * 0.1);
        }
        QTemporaryDir dir;
        const fs::path saved = ft::test::toPath(dir.path()) / "model";
        model->save(saved);
        recordPeftMethod(saved, config);
        const nlohmann::json json = test::readJsonFile(saved / "config.json");
        QCOMPARE(json.at(kPeftMethodKey).at("method").get<std::string>(), toString(config.method));
        const TensorMap tensors = loadSafetensors(saved / "model.safetensors");
        for (const auto &[name, shape] : expectedParameters(encoder.toStdString(), config))
            QVERIFY2(tensors.count(name) && tensors.at(name).sizes() == at::IntArrayRef(shape), name.c_str());

        LoadedClassifier reloaded = loadClassifier(saved, {});
        QVERIFY(reloaded.initialised.empty());
        const TensorBatch batch = tinyBatch(roberta);
        QVERIFY(at::equal(logitsOf(*reloaded.model, batch), logitsOf(*model, batch)));
        for (const auto &item : reloaded.model->module().named_parameters())
            QVERIFY2(item.value().requires_grad(), item.key().c_str()); // trainable, as any loaded model
        const std::int64_t positions = readTextModelShape(folder.toStdString() + "/config.json").maxLength;
        QCOMPARE(readTextModelShape(saved / "config.json").maxLength,
                 positions - (config.method == PeftMethod::Adapter ? 0 : config.numVirtualTokens));
    }

    // Families without a method are refused with a message that names the ones that have it.
    void refusals()
    {
        const auto message = [](const std::function<void()> &call) {
            try {
                call();
            } catch (const Error &e) {
                return QString::fromStdString(e.what());
            }
            return QString();
        };
        const QString distilPrefix =
            message([] { applyPeftMethod(*load(kTinyDistilBert), methodConfig(PeftMethod::Prefix)); });
        QVERIFY2(distilPrefix.contains(QLatin1String("BERT, RoBERTa, XLM-RoBERTa")), qPrintable(distilPrefix));
        QVERIFY2(distilPrefix.contains(QLatin1String("DistilBERT")), qPrintable(distilPrefix));
        QVERIFY2(distilPrefix.contains(QLatin1String("GPT-2, Llama")), qPrintable(distilPrefix));
        PeftMethodConfig tooLong = methodConfig(PeftMethod::Prompt);
        tooLong.maxInputLength = 62; // BERT's 64 positions
        const QString positions = message([&] { applyPeftMethod(*load(kTinyBert), tooLong); });
        QVERIFY2(positions.contains(QLatin1String("lower max_length to at most 60")), qPrintable(positions));
        PeftMethodConfig wide = methodConfig(PeftMethod::Adapter);
        wide.adapterReductionFactor = 64;
        QVERIFY_THROWS_EXCEPTION(Error, applyPeftMethod(*load(kTinyBert), wide));
        for (const auto &family : modelFamilies())
            if (family.images)
                for (const char *method : {"adapter", "prefix", "prompt"})
                    QVERIFY(std::find(family.methods.begin(), family.methods.end(), method) == family.methods.end());

        RunConfig run = parseRunConfig({{"method", "prefix"}, {"num_virtual_tokens", 8}, {"prefix_projection", false},
                                        {"encoder_hidden_size", 24}});
        QCOMPARE(int(run.method), int(TrainMethod::Prefix));
        const std::optional<PeftMethodConfig> fromRun = peftMethodConfigOf(run);
        QVERIFY(fromRun && fromRun->numVirtualTokens == 8 && !fromRun->prefixProjection
                && fromRun->encoderHiddenSize == 24 && fromRun->maxInputLength == 128);
        QVERIFY(!peftMethodConfigOf(parseRunConfig({{"method", "lora"}})));
        QVERIFY_THROWS_EXCEPTION(Error, parseRunConfig({{"adapter_type", "parallel"}}));
        QVERIFY_THROWS_EXCEPTION(Error, parseRunConfig({{"num_virtual_tokens", 0}}));
    }
};

FT_REGISTER_TEST(PeftMethodsTest);

#include "tst_peft_methods.moc"
