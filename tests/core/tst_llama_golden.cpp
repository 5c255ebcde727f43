// tst_llama_golden.cpp: Llama against tests/text_models/golden (made by
// tests/text_models/make_text_golden.py, plain torch following transformers'
// modeling_llama.py), and the llama2.c converter against run.c's own forward
// pass (the same script, in numpy) on the shared stories260K.bin.
#include "export/llama_onnx_export.h"
#include "export/onnx_runner.h"
#include "export/text_torchscript_export.h"
#include "export/torchscript_export.h"
#include "models/causal_lm.h"
#include "models/checkpoint.h"
#include "models/classifier_factory.h"
#include "models/text_classifier.h"
#include "train/train_step.h"
#include "models/llama2c_convert.h"
#include "models/gpt2_model.h"
#include "models/llama_model.h"
#include "models/lora.h"
#include "models/module_state.h"
#include "models/safetensors.h"
#include "tempproject.h"
#include "testhelpers.h"
#include "testregistry.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>
#include <nlohmann/json.hpp>

#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace fs = std::filesystem;
using namespace ft;
using ft::test::toPath;

namespace {

const fs::path kGolden = fs::path(FT_TESTS_DIR) / "text_models" / "golden";
const fs::path kStories = fs::path(FT_SHARED_DIR) / "data" / "pretrained_stories260K" / "stories260K.bin";

constexpr double kTolerance = 2e-5;   // golden.json's float32_compute_abs
constexpr double kLmTolerance = 1e-4; // golden.json's lm_logits_abs

const nlohmann::json &golden()
{
    static const nlohmann::json document = ft::test::readJsonFile(kGolden / "golden.json");
    return document;
}

const TensorMap &expected()
{
    static const TensorMap tensors = loadSafetensors(kGolden / "expected.safetensors");
    return tensors;
}

at::Tensor longTensor(const nlohmann::json &rows)
{
    std::vector<std::int64_t> values;
    for (const auto &row : rows)
        for (const auto &value : row)
            values.push_back(value.get<std::int64_t>());
    return at::tensor(values, at::kLong).view({std::int64_t(rows.size()), -1});
}

struct Inputs {
    at::Tensor inputIds;
    at::Tensor attentionMask;
};

Inputs inputsOf(const std::string &model)
{
    const nlohmann::json &inputs = golden().at("models").at(model).at("inputs");
    return {longTensor(inputs["input_ids"]), longTensor(inputs["attention_mask"])};
}

double maxDifference(const at::Tensor &a, const at::Tensor &b)
{
    return (a.to(at::kDouble) - b.to(at::kDouble)).abs().max().item<double>();
}

// Largest difference over the real (unmasked) tokens of [batch, length, hidden] states.
double hiddenError(const at::Tensor &actual, const at::Tensor &expectedStates, const at::Tensor &mask)
{
    const at::Tensor real = mask.unsqueeze(-1).to(at::kDouble);
    return ((actual.to(at::kDouble) - expectedStates.to(at::kDouble)) * real).abs().max().item<double>();
}

// A module of type M built from `folder`'s config with its weights loaded; fails the test on a
// missing or unexpected tensor.
template <typename Module>
Module loadFolder(const fs::path &folder)
{
    Module model(loadLlamaConfig(folder));
    const CheckpointTensors weights = readCheckpointTensors(folder);
    const std::vector<std::string> unexpected = loadModuleState(*model, weights.tensors, weights.source);
    if (!unexpected.empty())
        throw std::runtime_error("unexpected tensor " + unexpected.front());
    model->eval();
    return model;
}

void writeConfig(const fs::path &folder, const nlohmann::json &config)
{
    ft::test::writeBytes(folder / "config.json", QByteArray::fromStdString(config.dump()));
}

nlohmann::json tinyConfig()
{
    return ft::test::readJsonFile(kGolden / "tiny-llama" / "config.json");
}

// Greedy ids from `ids`, the whole sequence run again at every step.
std::vector<std::int64_t> greedy(LlamaForCausalLM &lm, std::vector<std::int64_t> ids, int steps)
{
    const c10::NoGradGuard noGrad;
    for (int step = 0; step < steps; ++step) {
        const at::Tensor input = at::tensor(ids, at::kLong).unsqueeze(0);
        ids.push_back(lm->forward(input)[0][-1].argmax().item<std::int64_t>());
    }
    return ids;
}

} // namespace

class LlamaGoldenTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    // RMSNorm, rotate_half RoPE, grouped-query attention, SwiGLU, the causal
    // and padding mask, score at the last non-padding token (right- and
    // left-padded rows).
    void classifierMatchesTheReference()
    {
        LlamaForSequenceClassification classifier = loadFolder<LlamaForSequenceClassification>(kGolden / "tiny-llama");
        const Inputs inputs = inputsOf("tiny-llama");
        const c10::NoGradGuard noGrad;
        const SequenceClassifierOutput out = classifier->forward(inputs.inputIds, inputs.attentionMask);
        const double logitError = maxDifference(out.logits, expected().at("tiny-llama.logits"));
        const double hidden =
            hiddenError(out.lastHiddenState, expected().at("tiny-llama.last_hidden_state"), inputs.attentionMask);
        qInfo("tiny-llama: logits %.3g, hidden states %.3g from the reference", logitError, hidden);
        QVERIFY2(logitError <= kTolerance, qPrintable(QString::number(logitError)));
        QVERIFY2(hidden <= kTolerance, qPrintable(QString::number(hidden)));
        QVERIFY(at::equal(lastTokenIndices(inputs.inputIds, 0), at::tensor({8, 4, 0, 8}, at::kLong)));
        // Row 3 is row 1 left-padded, at positions 4..8: RoPE only sees relative positions.
        const nlohmann::json &model = golden().at("models").at("tiny-llama");
        QCOMPARE(model.at("inputs").at("padding_side")[3].get<std::string>(), std::string("left"));
        const double leftVsRight = maxDifference(out.logits[3], out.logits[1]);
        QVERIFY2(leftVsRight <= kTolerance, qPrintable(QString::number(leftVsRight)));
        QCOMPARE(llamaParameterCount(classifier->config()), model.at("num_float_parameters").get<std::int64_t>());
    }

    // The TorchScript file and the ONNX graph (opset 17's ReduceMean with an axes attribute, 18's with
    // an axes input) give the reference's logits, read back by LibTorch and the app's ONNX checker; the
    // left-padded row included.
    void exportsGiveTheReferenceLogits()
    {
        LoadedClassifier loaded = loadClassifier(kGolden / "tiny-llama", {});
        LlamaForSequenceClassificationImpl *classifier = llamaOf(*loaded.model);
        QVERIFY(classifier);
        const Inputs inputs = inputsOf("tiny-llama");
        const at::Tensor types = at::zeros_like(inputs.inputIds);
        const at::Tensor &reference = expected().at("tiny-llama.logits");
        QTemporaryDir dir;
        const fs::path script = toPath(dir.filePath(QStringLiteral("model.pt")));
        writeLlamaTorchScript(*classifier, script);
        const double scriptError =
            maxDifference(TorchScriptClassifier(script).logits(inputs.inputIds, inputs.attentionMask, types), reference);
        QVERIFY2(scriptError <= kTolerance, qPrintable(QString::number(scriptError)));
        for (const int opset : {17, 18}) {
            const fs::path file = toPath(dir.filePath(QStringLiteral("model-%1.onnx").arg(opset)));
            OnnxExportOptions options;
            options.opset = opset;
            QCOMPARE(writeLlamaOnnx(*classifier, file, options).opset, opset);
            const double onnxError =
                maxDifference(OnnxRunner(file).run(inputs.inputIds, inputs.attentionMask, types), reference);
            qInfo("opset %d: ONNX logits %.3g, TorchScript %.3g from the reference", opset, onnxError, scriptError);
            QVERIFY2(onnxError <= kTolerance, qPrintable(QString::number(onnxError)));
        }
        OnnxExportOptions int8;
        int8.quantizeInt8 = true;
        FT_VERIFY_ERROR(writeLlamaOnnx(*classifier, toPath(dir.filePath(QStringLiteral("int8.onnx"))), int8),
                        ErrorKind::Incompatible, QStringLiteral("int8"));
    }

    // The folders load through the factory as every family does: the
    // classifier behind the Classifier interface, the LM with options.causalLm.
    void factoryLoadsBothHeads()
    {
        LoadedClassifier classifier = loadClassifier(kGolden / "tiny-llama", {});
        QVERIFY(llamaOf(*classifier.model) != nullptr);
        QVERIFY(classifier.initialised.empty());
        QCOMPARE(classifier.model->architecture(), std::string("LlamaForSequenceClassification"));
        QCOMPARE(classifier.model->peftTaskType(), std::string("SEQ_CLS"));
        const Inputs inputs = inputsOf("tiny-llama");
        TensorBatch batch;
        batch.inputIds = inputs.inputIds;
        batch.attentionMask = inputs.attentionMask;
        const c10::NoGradGuard noGrad;
        QVERIFY(maxDifference(classifier.model->logits(batch), expected().at("tiny-llama.logits")) <= kTolerance);

        ClassifierOptions lmOptions;
        lmOptions.causalLm = true;
        LoadedClassifier lm = loadClassifier(kGolden / "tiny-llama-lm", lmOptions);
        QVERIFY(llamaCausalLmOf(*lm.model) != nullptr);
        QCOMPARE(lm.model->peftTaskType(), std::string("CAUSAL_LM"));
        QVERIFY(lm.model->labels().empty());
        const Inputs lmInputs = inputsOf("tiny-llama-lm");
        batch.inputIds = lmInputs.inputIds;
        batch.attentionMask = lmInputs.attentionMask;
        QVERIFY(maxDifference(lm.model->logits(batch), expected().at("tiny-llama-lm.logits")) <= 1e-4);
        // A base checkpoint (the classifier's) gives the LM a fresh lm_head, as from_pretrained does.
        LoadedClassifier fromClassifier = loadClassifier(kGolden / "tiny-llama", lmOptions);
        QVERIFY(std::find(fromClassifier.initialised.begin(), fromClassifier.initialised.end(), "lm_head.weight")
                != fromClassifier.initialised.end());
    }

    // The loss counts target tokens only (-100 elsewhere), position t scored on token t + 1.
    void causalLmLossCountsTargetsOnly()
    {
        const at::Tensor logits = at::randn({2, 4, 5}, at::TensorOptions().dtype(at::kFloat));
        const at::Tensor labels = at::tensor({-100, -100, 3, 1, -100, 2, -100, -100}, at::kLong).reshape({2, 4});
        const at::Tensor logProbabilities = at::log_softmax(logits, -1);
        // Targets: row 0 tokens 2 and 3 (read at positions 1 and 2), row 1 token 1 (position 0).
        const double expectedLoss = -(logProbabilities[0][1][3].item<double>() + logProbabilities[0][2][1].item<double>()
                                      + logProbabilities[1][0][2].item<double>())
                                    / 3.0;
        QVERIFY(std::abs(causalLmLoss(logits, labels).item<double>() - expectedLoss) < 1e-6);
    }

    // 4 query heads read 2 key/value heads: k_proj and v_proj are half as tall,
    // and a model without grouping does not take the checkpoint.
    void groupedQueryAttentionIsExercised()
    {
        const LlamaConfig config = loadLlamaConfig(kGolden / "tiny-llama");
        QCOMPARE(config.numAttentionHeads, std::int64_t{4});
        QCOMPARE(config.numKeyValueHeads, std::int64_t{2});
        QCOMPARE(config.kvGroups(), std::int64_t{2});
        const CheckpointTensors weights = readCheckpointTensors(kGolden / "tiny-llama");
        QCOMPARE(weights.tensors.at("model.layers.0.self_attn.k_proj.weight").sizes().vec(),
                 (std::vector<std::int64_t>{16, 32}));
        LlamaConfig ungrouped = config;
        ungrouped.numKeyValueHeads = 4;
        LlamaForSequenceClassification classifier(ungrouped);
        FT_VERIFY_ERROR(loadModuleState(*classifier, weights.tensors, weights.source), ErrorKind::InvalidInput,
                        QStringLiteral("model.layers.0.self_attn.k_proj.weight"));
    }

    // lm_head stored (tie_word_embeddings false): next-token logits at every position.
    void causalLmMatchesTheReference()
    {
        LlamaForCausalLM lm = loadFolder<LlamaForCausalLM>(kGolden / "tiny-llama-lm");
        QVERIFY(lm->named_parameters().contains("lm_head.weight"));
        const Inputs inputs = inputsOf("tiny-llama-lm");
        const c10::NoGradGuard noGrad;
        const at::Tensor logits = lm->forward(inputs.inputIds, inputs.attentionMask);
        const double error = maxDifference(logits, expected().at("tiny-llama-lm.logits"));
        const double hidden = hiddenError(lm->model()->forward(inputs.inputIds),
                                          expected().at("tiny-llama-lm.last_hidden_state"), inputs.attentionMask);
        qInfo("tiny-llama-lm: logits %.3g, hidden states %.3g from the reference", error, hidden);
        QVERIFY2(error <= kLmTolerance, qPrintable(QString::number(error)));
        QVERIFY2(hidden <= kTolerance, qPrintable(QString::number(hidden)));
        QCOMPARE(llamaParameterCount(lm->config(), LlamaHead::CausalLm),
                 golden().at("models").at("tiny-llama-lm").at("num_float_parameters").get<std::int64_t>());
    }

    // One token at a time through the key/value cache gives the logits of the
    // whole sequence; explicit position ids are used (shifting them all changes
    // nothing but rounding, RoPE being relative).
    void cacheAndPositionIdsGiveTheSameLogits()
    {
        LlamaForCausalLM lm = loadFolder<LlamaForCausalLM>(kGolden / "tiny-llama-lm");
        const at::Tensor ids = inputsOf("tiny-llama-lm").inputIds;
        const std::int64_t length = ids.size(1);
        const c10::NoGradGuard noGrad;
        const at::Tensor whole = lm->forward(ids);
        LlamaKvCache cache;
        std::vector<at::Tensor> steps;
        for (std::int64_t t = 0; t < length; ++t)
            steps.push_back(lm->forward(ids.narrow(1, t, 1), {}, {}, &cache));
        QCOMPARE(cache.length(), length);
        const double cached = maxDifference(at::cat(steps, 1), whole);
        const at::Tensor positions = at::arange(length, at::kLong).unsqueeze(0);
        const double explicitPositions = maxDifference(lm->forward(ids, {}, positions), whole);
        const double shifted = maxDifference(lm->forward(ids, {}, positions + 7), whole);
        qInfo("cache %.3g, explicit positions %.3g, shifted by 7 %.3g", cached, explicitPositions, shifted);
        QVERIFY2(cached <= 1e-5, qPrintable(QString::number(cached)));
        QCOMPARE(explicitPositions, 0.0);
        QVERIFY2(shifted <= kLmTolerance, qPrintable(QString::number(shifted)));
    }

    void ropeThetaComesFromTheConfig()
    {
        QTemporaryDir dir;
        const fs::path folder = toPath(dir.path());
        nlohmann::json config = tinyConfig();
        config["rope_theta"] = 500000.0;
        writeConfig(folder, config);
        fs::copy_file(kGolden / "tiny-llama" / "model.safetensors", folder / "model.safetensors");
        LlamaForSequenceClassification classifier = loadFolder<LlamaForSequenceClassification>(folder);
        const Inputs inputs = inputsOf("tiny-llama");
        const c10::NoGradGuard noGrad;
        const double change = maxDifference(classifier->forward(inputs.inputIds, inputs.attentionMask).logits,
                                            expected().at("tiny-llama.logits"));
        QVERIFY2(change > 0.1, qPrintable(QString::number(change))); // the reference measured 0.254
    }

    void configDefaultsAndRoundTrip()
    {
        const LlamaConfig defaults = LlamaConfig::fromJson({{"model_type", "llama"}}, "config.json");
        QCOMPARE(defaults.numKeyValueHeads, defaults.numAttentionHeads);
        QCOMPARE(defaults.headDim(), std::int64_t{128});
        QCOMPARE(defaults.ropeTheta, 10000.0);
        QCOMPARE(defaults.rmsNormEps, 1e-6);
        QVERIFY(!defaults.tieWordEmbeddings);
        QVERIFY(!defaults.padTokenId);
        QCOMPARE(defaults.eosTokenIds, (std::vector<std::int64_t>{2}));
        nlohmann::json document = tinyConfig();
        document["eos_token_id"] = {2, 7};
        const LlamaConfig config = LlamaConfig::fromJson(document, "config.json");
        const nlohmann::json saved = config.toJson();
        QCOMPARE(saved["torch_dtype"].get<std::string>(), std::string("float32")); // kept, not modelled
        QVERIFY2(saved["eos_token_id"] == nlohmann::json({2, 7}), saved["eos_token_id"].dump().c_str());
        QCOMPARE(saved["id2label"]["2"].get<std::string>(), std::string("positive"));
        QVERIFY(LlamaConfig::fromJson(saved, "saved").toJson() == saved);
    }

    void configErrorsNameTheKey()
    {
        const auto load = [](nlohmann::json config) { return LlamaConfig::fromJson(config, "tiny/config.json"); };
        nlohmann::json config = tinyConfig();
        config["num_key_value_heads"] = 3;
        FT_VERIFY_ERROR(load(config), ErrorKind::InvalidInput, QStringLiteral("tiny/config.json"),
                        QStringLiteral("num_key_value_heads"), QStringLiteral("must divide num_attention_heads (4)"));
        config = tinyConfig();
        config["rope_scaling"] = {{"type", "linear"}, {"factor", 2.0}};
        FT_VERIFY_ERROR(load(config), ErrorKind::Incompatible, QStringLiteral("rope_scaling"));
        config = tinyConfig();
        config["hidden_act"] = "gelu";
        FT_VERIFY_ERROR(load(config), ErrorKind::Incompatible, QStringLiteral("hidden_act"), QStringLiteral("gelu"));
        config = tinyConfig();
        config["attention_bias"] = true;
        FT_VERIFY_ERROR(load(config), ErrorKind::Incompatible, QStringLiteral("attention_bias"));
        config = tinyConfig();
        config["pad_token_id"] = 120;
        FT_VERIFY_ERROR(load(config), ErrorKind::InvalidInput, QStringLiteral("pad_token_id"));
        config = tinyConfig();
        config.erase("pad_token_id");
        const auto build = [&] { LlamaForSequenceClassification classifier(load(config)); };
        FT_VERIFY_ERROR(build(), ErrorKind::InvalidInput, QStringLiteral("pad_token_id"));
    }

    // transformers' _init_weights: N(0, initializer_range), the padding row 0,
    // RMSNorm 1; the same weights for the same seed.
    void initWeightsLikeTransformers()
    {
        const LlamaConfig config = loadLlamaConfig(kGolden / "tiny-llama");
        LlamaForSequenceClassification a(config), b(config);
        a->initWeights(7);
        b->initWeights(7);
        const auto parameters = a->named_parameters();
        for (const auto &item : parameters)
            QVERIFY2(at::equal(item.value(), b->named_parameters()[item.key()]), item.key().c_str());
        QVERIFY(at::equal(parameters["model.norm.weight"], at::ones({32})));
        QCOMPARE(parameters["model.embed_tokens.weight"][0].abs().sum().item<double>(), 0.0);
        const double std = parameters["model.layers.0.mlp.up_proj.weight"].std().item<double>();
        QVERIFY2(std > 0.015 && std < 0.025, qPrintable(QString::number(std)));
        QVERIFY(!parameters.contains("model.layers.0.self_attn.q_proj.bias"));
    }

    // The bias-free projections take PEFT's LoRA branch: nothing changes until
    // lora_B moves, and merging keeps the adapted outputs.
    void loraAdaptsTheProjections()
    {
        LlamaForSequenceClassification classifier = loadFolder<LlamaForSequenceClassification>(kGolden / "tiny-llama");
        const Inputs inputs = inputsOf("tiny-llama");
        LoraConfig config;
        config.r = 4;
        config.dropout = 0;
        config.targetModules = {"q_proj", "v_proj", "down_proj"};
        const LoraSummary summary = applyLora(*classifier, config);
        QCOMPARE(summary.adaptedModules.size(), std::size_t{6});
        QCOMPARE(summary.adaptedModules.front(), std::string("model.layers.0.self_attn.q_proj"));
        const c10::NoGradGuard noGrad;
        const at::Tensor before = classifier->forward(inputs.inputIds, inputs.attentionMask).logits;
        QVERIFY(maxDifference(before, expected().at("tiny-llama.logits")) <= kTolerance);
        for (auto &item : classifier->named_parameters())
            if (item.key().ends_with("lora_B.weight"))
                item.value().fill_(0.05);
        const at::Tensor adapted = classifier->forward(inputs.inputIds, inputs.attentionMask).logits;
        QVERIFY(maxDifference(adapted, before) > 1e-2);
        QCOMPARE(mergeLora(*classifier), std::int64_t{6});
        const double merged = maxDifference(classifier->forward(inputs.inputIds, inputs.attentionMask).logits, adapted);
        QVERIFY2(merged <= 1e-5, qPrintable(QString::number(merged)));
        QVERIFY(!classifier->named_parameters().contains("model.layers.0.self_attn.q_proj.bias"));
    }

    // stories260K.bin converted (wq/wk rows permuted to HF's layout) and run as
    // LlamaForCausalLM gives llama2.c's own logits and greedy ids.
    void llama2cConversionMatchesRunC()
    {
        if (!fs::exists(kStories))
            QSKIP("../shared/data/pretrained_stories260K is not here");
        QTemporaryDir dir;
        const fs::path folder = toPath(dir.path());
        const LlamaConfig written = convertLlama2c(kStories, folder);
        QVERIFY(written.tieWordEmbeddings);
        QCOMPARE(written.rmsNormEps, 1e-5);
        QCOMPARE(written.numKeyValueHeads, std::int64_t{4});
        QVERIFY(loadLlamaConfig(folder).toJson() == written.toJson());
        LlamaForCausalLM lm = loadFolder<LlamaForCausalLM>(folder);
        QVERIFY(!lm->named_parameters().contains("lm_head.weight"));
        const nlohmann::json &reference = golden().at("llama2c");
        const at::Tensor ids = longTensor(reference["input_ids"]);
        at::Tensor logits;
        {
            const c10::NoGradGuard noGrad;
            logits = lm->forward(ids);
        }
        const double error = maxDifference(logits, expected().at("stories260K.logits"));
        qInfo("stories260K: logits %.3g from llama2.c's forward", error);
        QVERIFY2(error <= kLmTolerance, qPrintable(QString::number(error)));
        const std::vector<std::int64_t> ids20 = greedy(lm, {1}, 20);
        QCOMPARE(ids20, reference["greedy_ids"].get<std::vector<std::int64_t>>());
    }

    // vocab_size < 0 in the header: the classifier follows the weights and
    // becomes lm_head. With the embedding copied there the logits are the same.
    void llama2cUnsharedClassifierBecomesLmHead()
    {
        if (!fs::exists(kStories))
            QSKIP("../shared/data/pretrained_stories260K is not here");
        QByteArray bytes = ft::test::readBytes(kStories);
        std::int32_t dim = 0, vocab = 0;
        std::memcpy(&dim, bytes.constData(), 4);
        std::memcpy(&vocab, bytes.constData() + 20, 4);
        const QByteArray embedding = bytes.mid(28, vocab * dim * 4);
        vocab = -vocab;
        bytes.replace(20, 4, QByteArray(reinterpret_cast<const char *>(&vocab), 4));
        bytes.append(embedding);
        QTemporaryDir dir;
        const fs::path file = toPath(dir.filePath("unshared.bin"));
        ft::test::writeBytes(file, bytes);
        const Llama2cCheckpoint checkpoint = readLlama2c(file);
        QVERIFY(!checkpoint.config.tieWordEmbeddings);
        QVERIFY(at::equal(checkpoint.tensors.at("lm_head.weight"), checkpoint.tensors.at("model.embed_tokens.weight")));
        convertLlama2c(file, toPath(dir.filePath("unshared")));
        LlamaForCausalLM lm = loadFolder<LlamaForCausalLM>(toPath(dir.filePath("unshared")));
        const at::Tensor ids = longTensor(golden().at("llama2c")["input_ids"]);
        const c10::NoGradGuard noGrad;
        const double error = maxDifference(lm->forward(ids), expected().at("stories260K.logits"));
        QVERIFY2(error <= kLmTolerance, qPrintable(QString::number(error)));
    }

    void llama2cErrorsNameTheFile()
    {
        if (!fs::exists(kStories))
            QSKIP("../shared/data/pretrained_stories260K is not here");
        QTemporaryDir dir;
        const QByteArray bytes = ft::test::readBytes(kStories);
        const fs::path truncated = toPath(dir.filePath("truncated.bin"));
        ft::test::writeBytes(truncated, bytes.left(1000));
        FT_VERIFY_ERROR(readLlama2c(truncated), ErrorKind::InvalidInput, QStringLiteral("truncated.bin"),
                        QStringLiteral("truncated: expected 1056540 bytes, found 1000"));
        ft::test::writeBytes(truncated, bytes.left(10));
        FT_VERIFY_ERROR(readLlama2c(truncated), ErrorKind::InvalidInput,
                        QStringLiteral("truncated: expected 28 bytes, found 10"));
        QByteArray badHeads = bytes;
        const std::int32_t three = 3;
        badHeads.replace(16, 4, QByteArray(reinterpret_cast<const char *>(&three), 4)); // n_kv_heads
        const fs::path bad = toPath(dir.filePath("bad.bin"));
        ft::test::writeBytes(bad, badHeads);
        FT_VERIFY_ERROR(readLlama2c(bad), ErrorKind::InvalidInput, QStringLiteral("bad.bin"),
                        QStringLiteral("n_kv_heads (3) must divide n_heads (8)"));
        ft::test::writeBytes(bad, bytes + QByteArray(8, '\0'));
        FT_VERIFY_ERROR(readLlama2c(bad), ErrorKind::InvalidInput, QStringLiteral("1056548 bytes"));
        FT_VERIFY_ERROR(readLlama2c(toPath(dir.filePath("missing.bin"))), ErrorKind::NotFound,
                        QStringLiteral("missing.bin"));
    }
};

FT_REGISTER_TEST(LlamaGoldenTest);

#include "tst_llama_golden.moc"
