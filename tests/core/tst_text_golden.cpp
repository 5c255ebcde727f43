// tst_text_golden.cpp: the text model families beside BERT against
// tests/text_models/golden, made by an independent reference
// (tests/text_models/make_text_golden.py: plain torch following
// transformers' modeling_distilbert.py, ...), through the same loader the
// trainer and the predictor use.
#include "models/classifier_factory.h"
#include "models/text_classifier.h"
#include "export/gpt2_onnx_export.h"
#include "export/onnx_export.h"
#include "export/onnx_runner.h"
#include "export/text_torchscript_export.h"
#include "export/torchscript_export.h"
#include "models/checkpoint.h"
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

#include <fstream>

namespace fs = std::filesystem;
using namespace ft;
using ft::test::toPath;

namespace {

const fs::path kGolden = fs::path(FT_TESTS_DIR) / "text_models" / "golden";

nlohmann::json golden()
{
    std::ifstream in(kGolden / "golden.json");
    return nlohmann::json::parse(in);
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
    const nlohmann::json document = golden();
    const nlohmann::json &inputs = document.at("models").at(model).at("inputs");
    return {longTensor(inputs["input_ids"]), longTensor(inputs["attention_mask"])};
}

// Largest difference over the real (unmasked) tokens of [batch, length, hidden] states.
double hiddenError(const at::Tensor &actual, const at::Tensor &expected, const at::Tensor &mask)
{
    const at::Tensor real = mask.unsqueeze(-1).to(at::kDouble);
    return ((actual.to(at::kDouble) - expected.to(at::kDouble)) * real).abs().max().item<double>();
}

double maxDifference(const at::Tensor &a, const at::Tensor &b)
{
    return (a.to(at::kDouble) - b.to(at::kDouble)).abs().max().item<double>();
}

constexpr double kTolerance = 2e-5; // golden.json's float32_compute_abs

// The module's outputs for golden `model`'s inputs.
SequenceClassifierOutput outputsOf(Classifier &classifier, const Inputs &inputs)
{
    const c10::NoGradGuard noGrad;
    if (auto *distil = distilBertOf(classifier))
        return distil->forward(inputs.inputIds, inputs.attentionMask);
    if (auto *roberta = robertaOf(classifier))
        return roberta->forward(inputs.inputIds, inputs.attentionMask);
    if (auto *gpt2 = gpt2Of(classifier))
        return gpt2->forward(inputs.inputIds, inputs.attentionMask);
    throw std::runtime_error("not a DistilBERT or RoBERTa classifier");
}

// The classifier of golden `model` against its expected logits and hidden states.
void checkClassifier(const std::string &model)
{
    const TensorMap expected = loadSafetensors(kGolden / "expected.safetensors");
    LoadedTextClassifier loaded = loadTextClassifier(kGolden / model, {});
    QVERIFY(loaded.report.initialized.empty());
    QVERIFY(loaded.report.unexpected.empty());
    const Inputs inputs = inputsOf(model);
    const SequenceClassifierOutput out = outputsOf(*loaded.model, inputs);
    const double logitError = maxDifference(out.logits, expected.at(model + ".logits"));
    QVERIFY2(logitError <= kTolerance, qPrintable(QString::number(logitError)));
    const double hidden =
        hiddenError(out.lastHiddenState, expected.at(model + ".last_hidden_state"), inputs.attentionMask);
    QVERIFY2(hidden <= kTolerance, qPrintable(QString::number(hidden)));
}

} // namespace

class TextModelGoldenTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void distilBertMatchesTheReference() { checkClassifier("tiny-distilbert"); }
    void distilBertActivationComesFromTheConfig() { checkClassifier("tiny-distilbert-relu"); }
    // Positions from pad_token_id + 1 over the real tokens, no pooler, the dense + tanh head.
    void robertaMatchesTheReference() { checkClassifier("tiny-roberta"); }
    // Causal attention, Conv1D weights stored [in, out], the last non-padding
    // token read (right- and left-padded rows).
    void gpt2MatchesTheReference() { checkClassifier("tiny-gpt2"); }

    // The LM head is the token embedding: next-token logits at every position.
    void gpt2LanguageModelMatchesTheReference()
    {
        const std::string model = "tiny-gpt2-lm";
        Gpt2LmHeadModel lm(loadGpt2Config(kGolden / model));
        const CheckpointTensors weights = readCheckpointTensors(kGolden / model);
        QVERIFY(loadModuleState(*lm, weights.tensors, weights.source).empty());
        lm->eval();
        const Inputs inputs = inputsOf(model);
        const c10::NoGradGuard noGrad;
        const at::Tensor logits = lm->forward(inputs.inputIds, inputs.attentionMask);
        const TensorMap expected = loadSafetensors(kGolden / "expected.safetensors");
        const double error = maxDifference(logits, expected.at(model + ".logits"));
        QVERIFY2(error <= 1e-4, qPrintable(QString::number(error))); // golden.json's lm_logits_abs
    }

    // A masked-LM checkpoint (what people download) gets a new head; its
    // encoder's states are the reference's.
    void distilBertBaseCheckpointGetsANewHead()
    {
        const std::string model = "tiny-distilbert-mlm";
        ClassifierOptions options;
        options.labels = {"spam", "ham"};
        LoadedTextClassifier loaded = loadTextClassifier(kGolden / model, options);
        QCOMPARE(loaded.report.initialized, (std::vector<std::string>{"pre_classifier.weight", "pre_classifier.bias",
                                                                       "classifier.weight", "classifier.bias"}));
        QCOMPARE(loaded.report.unexpected.size(), std::size_t{5}); // vocab_transform, vocab_layer_norm, vocab_projector
        const Inputs inputs = inputsOf(model);
        const SequenceClassifierOutput out = outputsOf(*loaded.model, inputs);
        QCOMPARE(out.logits.size(1), std::int64_t{2});
        const TensorMap expected = loadSafetensors(kGolden / "expected.safetensors");
        const double hidden =
            hiddenError(out.lastHiddenState, expected.at(model + ".last_hidden_state"), inputs.attentionMask);
        QVERIFY2(hidden <= kTolerance, qPrintable(QString::number(hidden)));
    }

    // Through the factory, as training and prediction load it; save() writes a
    // folder that loads back to the same logits, with DistilBERT's own config keys.
    void distilBertFolderRoundTrips()
    {
        LoadedClassifier loaded = loadClassifier(kGolden / "tiny-distilbert", {});
        QCOMPARE(loaded.model->architecture(), std::string("DistilBertForSequenceClassification"));
        QCOMPARE(loaded.model->labels(), (std::vector<std::string>{"negative", "neutral", "positive"}));
        QTemporaryDir dir;
        const fs::path copy = toPath(dir.path());
        loaded.model->save(copy);
        std::ifstream in(copy / "config.json");
        const nlohmann::json config = nlohmann::json::parse(in);
        QCOMPARE(config["dim"].get<int>(), 32);
        QCOMPARE(config["n_layers"].get<int>(), 2);
        QVERIFY(!config.contains("hidden_size"));
        QCOMPARE(config["architectures"][0].get<std::string>(), std::string("DistilBertForSequenceClassification"));
        LoadedClassifier again = loadClassifier(copy, {});
        QVERIFY(again.initialised.empty());
        const Inputs inputs = inputsOf("tiny-distilbert");
        TensorBatch batch;
        batch.inputIds = inputs.inputIds;
        batch.attentionMask = inputs.attentionMask;
        const c10::NoGradGuard noGrad;
        QCOMPARE(maxDifference(loaded.model->logits(batch), again.model->logits(batch)), 0.0);
    }

    // Each family's TorchScript file gives the module's logits on the golden
    // inputs (GPT-2's left-padded row included), read back by LibTorch.
    void torchScriptExportsGiveTheModulesLogits()
    {
        QTemporaryDir dir;
        for (const std::string model : {"tiny-distilbert", "tiny-roberta", "tiny-gpt2"}) {
            LoadedTextClassifier loaded = loadTextClassifier(kGolden / model, {});
            const fs::path file = toPath(dir.filePath(QString::fromStdString(model + ".pt")));
            if (auto *distil = distilBertOf(*loaded.model))
                writeDistilBertTorchScript(*distil, file);
            else if (auto *roberta = robertaOf(*loaded.model))
                writeRobertaTorchScript(*roberta, file);
            else
                writeGpt2TorchScript(*gpt2Of(*loaded.model), file);
            const Inputs inputs = inputsOf(model);
            const at::Tensor expected = outputsOf(*loaded.model, inputs).logits;
            TorchScriptClassifier script(file);
            const at::Tensor logits =
                script.logits(inputs.inputIds, inputs.attentionMask, at::zeros_like(inputs.inputIds));
            const double error = maxDifference(logits, expected);
            QVERIFY2(error <= 1e-5, qPrintable(QString::fromStdString(model) + ": " + QString::number(error)));
        }
    }

    // Each family's ONNX graph (RoBERTa's positions from the ids, GPT-2's
    // causal mask and last-token read, its left-padded row included) gives
    // the module's logits, run by the app's ONNX checker.
    void onnxExportsGiveTheModulesLogits()
    {
        QTemporaryDir dir;
        for (const std::string model : {"tiny-distilbert", "tiny-roberta", "tiny-gpt2"}) {
            LoadedTextClassifier loaded = loadTextClassifier(kGolden / model, {});
            const fs::path file = toPath(dir.filePath(QString::fromStdString(model + ".onnx")));
            if (auto *distil = distilBertOf(*loaded.model))
                writeOnnx(*distil, file);
            else if (auto *roberta = robertaOf(*loaded.model))
                writeOnnx(*roberta, file);
            else
                writeGpt2Onnx(*gpt2Of(*loaded.model), file);
            const Inputs inputs = inputsOf(model);
            const at::Tensor expected = outputsOf(*loaded.model, inputs).logits;
            const at::Tensor logits =
                OnnxRunner(file).run(inputs.inputIds, inputs.attentionMask, at::zeros_like(inputs.inputIds));
            const double error = maxDifference(logits, expected);
            QVERIFY2(error <= 1e-5, qPrintable(QString::fromStdString(model) + ": " + QString::number(error)));
        }
    }

    void distilBertConfigErrorsNameTheKey()
    {
        QTemporaryDir dir;
        const fs::path folder = toPath(dir.path());
        std::ifstream in(kGolden / "tiny-distilbert" / "config.json");
        nlohmann::json config = nlohmann::json::parse(in);
        config["n_heads"] = 5;
        ft::test::writeBytes(folder / "config.json", QByteArray::fromStdString(config.dump()));
        FT_VERIFY_ERROR(loadBertConfig(folder), ErrorKind::InvalidInput, QStringLiteral("n_heads"));
        config["n_heads"] = 4;
        config["sinusoidal_pos_embds"] = true;
        ft::test::writeBytes(folder / "config.json", QByteArray::fromStdString(config.dump()));
        FT_VERIFY_ERROR(loadBertConfig(folder), ErrorKind::Incompatible, QStringLiteral("sinusoidal_pos_embds"));
    }
};

FT_REGISTER_TEST(TextModelGoldenTest);

#include "tst_text_golden.moc"
