// tst_onnx_export.cpp: writeOnnx on the golden tiny BERT and on scratch models (one per activation).
// The float export, run by OnnxRunner, equals the model's own forward within 1e-5 for batch 1 and a
// padded batch 3 at two sequence lengths; the int8 export is smaller and its logits stay close, with
// the same predictions on the golden texts. Two independent checks must pass too: Python's onnx
// checker and shape inference (tests/export/check_onnx.py), and ONNX Runtime for Node
// (tests/export/run_onnx.mjs, installed by the export_npm_setup CTest fixture). LoRA models, bad
// opsets and unwritable targets are refused, leaving no file behind.
#include "common/error.h"
#include "export/onnx_export.h"
#include "export/onnx_runner.h"
#include "models/bert_config.h"
#include "models/checkpoint.h"
#include "models/lora.h"
#include "onnx_runtime_node.h"
#include "testhelpers.h"
#include "testregistry.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <nlohmann/json.hpp>

#include <QTemporaryDir>
#include <QTest>

#include <fstream>
#include <iterator>
#include <numeric>
#include <set>

namespace fs = std::filesystem;
using namespace ft;
using nlohmann::json;

namespace {

const fs::path kTinyModel = fs::path(FT_SHARED_DIR) / "golden" / "tiny-bert-uncased";
const fs::path kExportScripts = fs::path(FT_TESTS_DIR) / "export";
constexpr double kFloatTolerance = 1e-5;   // our runner vs the model: the same float32 ops, reordered
constexpr double kRuntimeTolerance = 1e-4; // ONNX Runtime fuses Gelu, LayerNorm and attention its own way
// int8: each of the 13 quantised matmuls (6 per layer, 2 layers, pooler) rounds its weights to 1/254 of
// a channel's largest weight and its input to 1/255 of the activation range, about 0.2% relative each;
// through 13 of them, LayerNorms and tanh that stays within a few percent of the logits' scale. Allow
// 5% of the batch's largest logit (float logits of the test models are O(1)).
constexpr double kInt8RelativeTolerance = 0.05;

struct Batch {
    at::Tensor inputIds, attentionMask, tokenTypeIds;
};

// Rows of golden.json's padded batch (its texts tokenised by the HF tokenizer, right-padded to 32),
// cut to `length` columns: padding is kept where a row is shorter than the longest.
Batch goldenBatch(const std::vector<std::int64_t> &rows, std::int64_t length)
{
    const json &padded = test::goldenJson()["padded_batch"];
    const auto column = [&](const char *key) {
        std::vector<std::int64_t> values;
        for (const std::int64_t row : rows)
            for (std::int64_t i = 0; i < length; ++i)
                values.push_back(padded[key][row][i].get<std::int64_t>());
        return at::tensor(values, at::kLong).view({std::int64_t(rows.size()), length});
    };
    return {column("input_ids"), column("attention_mask"), column("token_type_ids")};
}

std::vector<std::int64_t> allGoldenRows()
{
    std::vector<std::int64_t> rows(test::goldenJson()["padded_batch"]["input_ids"].size());
    std::iota(rows.begin(), rows.end(), 0);
    return rows;
}

// Batch 1 unpadded (11 tokens), and batch 3 padded to its longest row (14) and to 32.
std::vector<std::pair<std::string, Batch>> testBatches()
{
    return {{"single", goldenBatch({0}, 11)}, {"padded-14", goldenBatch({0, 1, 2}, 14)},
            {"padded-32", goldenBatch({0, 1, 2}, 32)}};
}

// A scratch model with 3 labels and golden's vocabulary size, every parameter (biases and
// LayerNorms too) moved off its init so a weight in the wrong place changes the logits.
BertForSequenceClassification scratchModel(HiddenAct act, std::uint64_t seed)
{
    BertConfig config;
    config.vocabSize = 1000;
    config.hiddenSize = 48;
    config.numHiddenLayers = 2;
    config.numAttentionHeads = 4;
    config.intermediateSize = 96;
    config.maxPositionEmbeddings = 40;
    config.layerNormEps = 1e-5;
    config.hiddenAct = act;
    config.setLabels({"red", "green", "blue"});
    BertForSequenceClassification model = makeScratchBert(config, seed);
    at::NoGradGuard noGrad;
    at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(seed + 1);
    for (at::Tensor &parameter : model->parameters())
        parameter.add_(at::empty(parameter.sizes(), at::kFloat).normal_(0.0, 0.2, generator));
    model->eval();
    return model;
}

// "golden", "golden-gelu-new", "golden-relu" (shared checkpoints), or a scratch model named by its activation.
BertForSequenceClassification namedModel(const std::string &name)
{
    if (name.rfind("golden", 0) == 0) {
        const std::string suffix = name == "golden" ? "" : name.substr(6);
        return loadBert(kTinyModel.string() + suffix).model;
    }
    for (HiddenAct act : {HiddenAct::Gelu, HiddenAct::GeluNew, HiddenAct::GeluPytorchTanh, HiddenAct::Relu})
        if (name == hiddenActName(act))
            return scratchModel(act, 5);
    throw Error(ErrorKind::Internal, "no test model " + name);
}

at::Tensor modelLogits(BertForSequenceClassificationImpl &model, const Batch &batch)
{
    at::NoGradGuard noGrad;
    return model.forward(batch.inputIds, batch.attentionMask, batch.tokenTypeIds).logits;
}

at::Tensor runnerLogits(const OnnxRunner &runner, const Batch &batch)
{
    return runner.run(batch.inputIds, batch.attentionMask, batch.tokenTypeIds);
}

double maxAbsDiff(const at::Tensor &a, const at::Tensor &b)
{
    if (a.sizes() != b.sizes())
        return 1e9;
    return (a.to(at::kDouble) - b.to(at::kDouble)).abs().max().item<double>();
}

std::set<std::string> folderEntries(const fs::path &folder)
{
    std::set<std::string> names;
    for (const auto &entry : fs::directory_iterator(folder))
        names.insert(entry.path().filename().string());
    return names;
}

std::string fileBytes(const fs::path &file)
{
    std::ifstream in(file, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Logits from ONNX Runtime for Node for `batch` through `model`.
at::Tensor onnxRuntimeLogits(const fs::path &model, const Batch &batch, const fs::path &scratch, QString &failure)
{
    const auto rows = [](const at::Tensor &tensor) {
        json array = json::array();
        for (std::int64_t r = 0; r < tensor.size(0); ++r) {
            const at::Tensor row = tensor[r].contiguous();
            array.push_back(std::vector<std::int64_t>(row.data_ptr<std::int64_t>(),
                                                      row.data_ptr<std::int64_t>() + row.numel()));
        }
        return array;
    };
    return ft::test::onnxRuntimeLogits(model,
                                       json{{"input_ids", rows(batch.inputIds)},
                                            {"attention_mask", rows(batch.attentionMask)},
                                            {"token_type_ids", rows(batch.tokenTypeIds)}},
                                       scratch, failure);
}

} // namespace

class OnnxExportTest : public QObject {
    Q_OBJECT

private:
    QTemporaryDir mDir;

    fs::path file(const std::string &name) const { return fs::path(mDir.path().toStdString()) / name; }

private Q_SLOTS:
    void initTestCase() { QVERIFY(mDir.isValid()); }

    void floatExportMatchesModel_data()
    {
        QTest::addColumn<QString>("model");
        for (const char *name : {"golden", "golden-gelu-new", "golden-relu", "gelu", "gelu_new", "gelu_pytorch_tanh",
                                 "relu"})
            QTest::newRow(name) << name;
    }

    void floatExportMatchesModel()
    {
        QFETCH(QString, model);
        BertForSequenceClassification bert = namedModel(model.toStdString());
        const fs::path onnx = file(model.toStdString() + ".onnx");
        const OnnxExportReport report = writeOnnx(*bert, onnx);
        QCOMPARE(report.bytes, std::int64_t(fs::file_size(onnx)));
        QCOMPARE(report.quantizedLinearLayers, std::int64_t(0));
        QCOMPARE(report.opset, 17);

        const OnnxRunner runner(onnx);
        QCOMPARE(runner.metadata("hidden_act"), std::string(hiddenActName(bert->config().hiddenAct)));
        QCOMPARE(json::parse(runner.metadata("id2label")).size(), bert->config().id2label.size());
        double worst = 0;
        for (const auto &[name, batch] : testBatches()) {
            const at::Tensor expected = modelLogits(*bert, batch);
            const at::Tensor actual = runnerLogits(runner, batch);
            QCOMPARE(actual.sizes().vec(), expected.sizes().vec());
            const double diff = maxAbsDiff(actual, expected);
            QVERIFY2(diff <= kFloatTolerance, qPrintable(QString("%1: max |diff| %2").arg(name.c_str()).arg(diff)));
            worst = std::max(worst, diff);
        }
        qInfo("%s: OnnxRunner vs the model, max |logit diff| %.2e", qPrintable(model), worst);
    }

    void int8ExportIsSmallerAndClose_data()
    {
        QTest::addColumn<QString>("model");
        QTest::newRow("golden") << "golden";
        QTest::newRow("gelu") << "gelu";
        QTest::newRow("relu") << "relu";
    }

    void int8ExportIsSmallerAndClose()
    {
        QFETCH(QString, model);
        BertForSequenceClassification bert = namedModel(model.toStdString());
        const fs::path floatFile = file(model.toStdString() + "-float.onnx");
        const fs::path int8File = file(model.toStdString() + "-int8.onnx");
        const OnnxExportReport floatReport = writeOnnx(*bert, floatFile);
        const OnnxExportReport int8Report = writeOnnx(*bert, int8File, {.quantizeInt8 = true});
        // 6 linear layers per encoder layer, and the pooler.
        QCOMPARE(int8Report.quantizedLinearLayers, bert->config().numHiddenLayers * 6 + 1);
        QVERIFY(int8Report.bytes < floatReport.bytes);

        const OnnxRunner runner(int8File);
        const Batch batch = goldenBatch(allGoldenRows(), 32);
        const at::Tensor expected = modelLogits(*bert, batch);
        const at::Tensor actual = runnerLogits(runner, batch);
        const double scale = expected.abs().max().item<double>();
        const double diff = maxAbsDiff(actual, expected);
        const std::int64_t agreeing = actual.argmax(1).eq(expected.argmax(1)).sum().item<std::int64_t>();
        qInfo("%s: int8 %lld bytes / float %lld bytes = %.3f; max |logit diff| %.5f (%.2f%% of max |logit| %.3f); "
              "argmax agrees on %lld of %lld golden texts",
              qPrintable(model), qlonglong(int8Report.bytes), qlonglong(floatReport.bytes),
              double(int8Report.bytes) / double(floatReport.bytes), diff, 100 * diff / scale, scale,
              qlonglong(agreeing), qlonglong(batch.inputIds.size(0)));
        QVERIFY2(diff <= kInt8RelativeTolerance * scale, qPrintable(QString("max |diff| %1").arg(diff)));
        QCOMPARE(agreeing, batch.inputIds.size(0));
    }

    // Python's onnx (Debian's python3-onnx): checker with full_check, strict shape inference, and the
    // interface (inputs, outputs, dynamic dims, opset) of a float and an int8 export.
    void onnxCheckerAcceptsExports()
    {
        BertForSequenceClassification golden = namedModel("golden");
        BertForSequenceClassification scratch = namedModel("gelu_pytorch_tanh");
        QStringList arguments{QString::fromStdString((kExportScripts / "check_onnx.py").string()), "--opset", "17"};
        for (const auto &[name, model] : {std::pair{"golden", golden}, std::pair{"scratch", scratch}}) {
            for (const bool quantize : {false, true}) {
                const fs::path onnx = file(std::string("checked-") + name + (quantize ? "-int8" : "") + ".onnx");
                writeOnnx(*model, onnx, {.quantizeInt8 = quantize});
                arguments << QString("%1:%2").arg(model->config().numLabels()).arg(QString::fromStdString(onnx.string()));
            }
        }
        QString failure;
        const QByteArray output = ft::test::runProgram(FT_PYTHON, arguments, failure);
        QVERIFY2(failure.isEmpty(), qPrintable(failure));
        qInfo("check_onnx.py: %s", output.trimmed().constData());
    }

    // ONNX Runtime (onnxruntime-node, pinned in tests/export/package-lock.json) on the same inputs.
    void onnxRuntimeAgrees()
    {
        const Batch batch = goldenBatch(allGoldenRows(), 32);
        for (const std::string name : {"golden", "gelu", "gelu_new", "gelu_pytorch_tanh", "relu"}) {
            BertForSequenceClassification bert = namedModel(name);
            const at::Tensor expected = modelLogits(*bert, batch);
            QString floatDiffs;
            for (const int opset : {17, 21}) {
                const fs::path floatFile = file(name + "-ort-" + std::to_string(opset) + ".onnx");
                writeOnnx(*bert, floatFile, {.opset = opset});
                QString failure;
                const at::Tensor runtime = onnxRuntimeLogits(floatFile, batch, file(""), failure);
                QVERIFY2(failure.isEmpty(), qPrintable(failure));
                const double diff = maxAbsDiff(runtime, expected);
                QVERIFY2(diff <= kRuntimeTolerance,
                         qPrintable(QString("%1 opset %2: max |diff| %3").arg(name.c_str()).arg(opset).arg(diff)));
                floatDiffs += QString(" opset %1: %2").arg(opset).arg(diff, 0, 'e', 2);
            }
            qInfo("%s float: ONNX Runtime vs the model, max |logit diff|%s", name.c_str(), qPrintable(floatDiffs));
            const fs::path int8File = file(name + "-ort-int8.onnx");
            writeOnnx(*bert, int8File, {.quantizeInt8 = true});
            QString failure;
            const at::Tensor runtime = onnxRuntimeLogits(int8File, batch, file(""), failure);
            QVERIFY2(failure.isEmpty(), qPrintable(failure));
            const at::Tensor ours = runnerLogits(OnnxRunner(int8File), batch);
            const double scale = expected.abs().max().item<double>();
            const at::Tensor rowDiffs = (runtime - ours).abs().amax(1);
            const std::int64_t matchingRows = rowDiffs.le(kRuntimeTolerance).sum().item<std::int64_t>();
            const double vsFloat = maxAbsDiff(runtime, expected);
            qInfo("%s int8: ONNX Runtime vs OnnxRunner max |diff| %.2e (%lld of %lld rows within %.0e), "
                  "vs the float model %.2e (max |logit| %.3f)",
                  name.c_str(), rowDiffs.max().item<double>(), qlonglong(matchingRows), qlonglong(rowDiffs.numel()),
                  kRuntimeTolerance, vsFloat, scale);
            QVERIFY2(vsFloat <= kInt8RelativeTolerance * scale, qPrintable(QString("vs float %1").arg(vsFloat)));
            // The same integer graph, so rows agree as float ones do; but the runtimes' float kernels
            // differ in the last bit, and where that moves a value across a rounding boundary of
            // DynamicQuantizeLinear, its row differs by about one quantum's effect (seen: one row of
            // gelu_new, 3.5e-2). Most rows must match exactly; every row within the int8 bound.
            QVERIFY2(matchingRows >= rowDiffs.numel() - 2, qPrintable(QString("%1 rows match").arg(matchingRows)));
            QVERIFY2(rowDiffs.max().item<double>() <= kInt8RelativeTolerance * scale, "a row beyond the int8 bound");
        }
    }

    void refusesLora()
    {
        LoadedBert loaded = loadBert(kTinyModel);
        LoraConfig lora;
        lora.r = 4;
        lora.targetModules = {"query", "value"};
        applyLora(*loaded.model, lora);
        const fs::path onnx = file("lora.onnx");
        FT_VERIFY_ERROR(writeOnnx(*loaded.model, onnx), ErrorKind::InvalidInput, "LoRA", "merge");
        QVERIFY(!fs::exists(onnx));
        QVERIFY(!fs::exists(file("lora.onnx.tmp")));
        mergeLora(*loaded.model);
        loaded.model->eval();
        writeOnnx(*loaded.model, onnx);
        const Batch batch = goldenBatch({0, 1, 2}, 14);
        QVERIFY(maxAbsDiff(runnerLogits(OnnxRunner(onnx), batch), modelLogits(*loaded.model, batch)) <= kFloatTolerance);
    }

    void refusesUnsupportedOpset()
    {
        BertForSequenceClassification bert = namedModel("golden");
        for (const int opset : {16, 22}) {
            FT_VERIFY_ERROR(writeOnnx(*bert, file("opset.onnx"), {.opset = opset}), ErrorKind::InvalidInput,
                            QString("opset %1").arg(opset));
            QVERIFY(!fs::exists(file("opset.onnx")));
        }
    }

    // A failed write leaves the folder as it was: no target, no temporary file.
    void unwritableTargetLeavesNoFile()
    {
        BertForSequenceClassification bert = namedModel("golden");
        const fs::path folder = file("unwritable");
        fs::create_directories(folder);
        std::ofstream(folder / "blocker") << "a file where a folder should be";
        fs::create_directories(folder / "taken.onnx"); // a folder where the file should be
        const std::set<std::string> before = folderEntries(folder);

        FT_VERIFY_ERROR(writeOnnx(*bert, folder / "blocker" / "model.onnx"), ErrorKind::Io, "blocker");
        FT_VERIFY_ERROR(writeOnnx(*bert, folder / "taken.onnx", {.quantizeInt8 = true}), ErrorKind::Io, "taken.onnx");
        QCOMPARE(folderEntries(folder), before);
        QVERIFY(fs::is_empty(folder / "taken.onnx"));
    }

    // The runner refuses what it does not implement when it opens the file, naming the op and node.
    void runnerNamesUnknownOp()
    {
        const fs::path onnx = file("unknown-op.onnx");
        writeOnnx(*namedModel("golden"), onnx);
        std::string bytes = fileBytes(onnx);
        // NodeProto.op_type is field 4, a string: tag 0x22, length 4, "Tanh" (the pooler's activation).
        const std::string opType("\x22\x04Tanh", 6);
        const std::size_t at = bytes.find(opType);
        QVERIFY(at != std::string::npos);
        bytes.replace(at, opType.size(), std::string("\x22\x04Tanx", 6));
        std::ofstream(onnx, std::ios::binary | std::ios::trunc) << bytes;
        FT_VERIFY_ERROR(OnnxRunner{onnx}, ErrorKind::Incompatible, "'Tanx'", "/bert.pooler/Tanh");
        FT_VERIFY_ERROR(OnnxRunner{file("missing.onnx")}, ErrorKind::NotFound, "missing.onnx");
    }
};

FT_REGISTER_TEST(OnnxExportTest);
#include "tst_onnx_export.moc"
