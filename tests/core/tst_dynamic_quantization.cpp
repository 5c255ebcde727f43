// tst_dynamic_quantization.cpp: int8 dynamic quantisation against PyTorch's own: one layer's int8
// weights, scales and outputs, and the golden tiny BERT with its encoder and pooler quantised by
// torch.ao.quantization.quantize_dynamic (Debian's python3-torch, the same LibTorch, the same
// engine); then the quantised model against its float self, through Predictor, and the refusals.
#include "common/error.h"
#include "infer/predictor.h"
#include "models/bert_classifier.h"
#include "models/classifier_factory.h"
#include "models/dynamic_quantization.h"
#include "models/lora.h"
#include "testhelpers.h"
#include "testregistry.h"

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <fstream>

namespace fs = std::filesystem;
using namespace ft;
using json = nlohmann::json;

namespace {

const fs::path kTinyModel = fs::path(FT_SHARED_DIR) / "golden" / "tiny-bert-uncased";
const fs::path kReference = fs::path(FT_SHARED_DIR) / "reference";

// The reference side. argv: request.json, answer.json, the folder of bert_reference.py.
const char *const kPyTorchSide = R"PY(
import json, sys
import torch
import torch.nn.functional as F
from torch.ao.quantization import quantize_dynamic, per_channel_dynamic_qconfig
sys.path.insert(0, sys.argv[3])
import bert_reference as ref

request = json.load(open(sys.argv[1]))
torch.backends.quantized.engine = request["engine"]
specs = {"int8": {torch.nn.Linear}, "int8-per-channel": {torch.nn.Linear: per_channel_dynamic_qconfig}}
out = {}

# One layer: its int8 weight, scales, and outputs with and without reduce_range.
torch.manual_seed(0)
lin = torch.nn.Linear(48, 20)
x = torch.randn(3, 5, 48) * 2
out["layer"] = {"weight": lin.weight.tolist(), "bias": lin.bias.tolist(), "input": x.tolist()}
for name, spec in specs.items():
    q = quantize_dynamic(torch.nn.Sequential(lin), spec, dtype=torch.qint8)[0]
    w = q.weight()
    per_channel = w.qscheme() in (torch.per_channel_affine, torch.per_channel_symmetric)
    packed = q._packed_params._packed_params
    out["layer"][name] = {"int8": w.int_repr().tolist(),
                          "scales": w.q_per_channel_scales().tolist() if per_channel else [w.q_scale()],
                          "output": torch.ops.quantized.linear_dynamic(x, packed, False).tolist(),
                          "module_output": q(x).tolist()}

# The reference BERT with each encoder and pooler linear layer replaced by quantize_dynamic's module.
cfg, W = ref.load_model(request["model"])
ids = torch.tensor(request["input_ids"])
mask = torch.tensor(request["attention_mask"])
linear = F.linear
for name, spec in specs.items():
    quantized = {}
    for key, w in W.items():
        if key.endswith(".weight") and w.dim() == 2 and key.startswith(("bert.encoder.", "bert.pooler.")):
            layer = torch.nn.Linear(w.shape[1], w.shape[0])
            layer.weight.data, layer.bias.data = w, W[key[:-6] + "bias"]
            quantized[w.data_ptr()] = quantize_dynamic(torch.nn.Sequential(layer), spec, dtype=torch.qint8)[0]
    F.linear = lambda x, w, b=None: quantized[w.data_ptr()](x) if w.data_ptr() in quantized else linear(x, w, b)
    with torch.no_grad():
        out[name] = ref.bert_forward(cfg, W, ids, mask)["logits"].tolist()
    F.linear = linear
    out[name + "-layers"] = len(quantized)
json.dump(out, open(sys.argv[2], "w"))
)PY";

// A nested JSON list of numbers as a tensor of `dtype`.
at::Tensor tensorOf(const json &value, at::ScalarType dtype = at::kFloat)
{
    std::vector<std::int64_t> shape;
    for (const json *level = &value; level->is_array(); level = &level->front())
        shape.push_back(std::int64_t(level->size()));
    std::vector<double> flat;
    const std::function<void(const json &)> collect = [&](const json &v) {
        if (v.is_array())
            for (const json &item : v)
                collect(item);
        else
            flat.push_back(v.get<double>());
    };
    collect(value);
    return at::tensor(flat, at::kDouble).view(shape).to(dtype);
}

// Eight rows of the golden model's vocabulary, the later ones padded.
std::pair<at::Tensor, at::Tensor> tinyInputs()
{
    const at::Tensor ids = (at::arange(8 * 12, at::kLong).view({8, 12}) * 37 + 11) % 990 + 5;
    at::Tensor mask = at::ones({8, 12}, at::kLong);
    for (std::int64_t row = 4; row < 8; ++row)
        mask[row].slice(0, 12 - 2 * (row - 3)).zero_();
    return {ids * mask, mask};
}

json listOf(const at::Tensor &tensor)
{
    const at::Tensor t = tensor.contiguous();
    json rows = json::array();
    for (std::int64_t r = 0; r < t.size(0); ++r) {
        json row = json::array();
        for (std::int64_t c = 0; c < t.size(1); ++c)
            row.push_back(t[r][c].item<std::int64_t>());
        rows.push_back(row);
    }
    return rows;
}

double maxDifference(const at::Tensor &a, const at::Tensor &b)
{
    return (a.to(at::kDouble) - b.to(at::kDouble)).abs().max().item<double>();
}

} // namespace

class DynamicQuantizationTest : public QObject {
    Q_OBJECT

private:
    QTemporaryDir mDir;
    json mPyTorch; // the reference side's answer
    std::string mEngine;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(mDir.isValid());
        mEngine = selectQuantizedEngine();
        qInfo("quantised engine: %s", mEngine.c_str());
        const auto [ids, mask] = tinyInputs();
        const fs::path request = mDir.filePath(QStringLiteral("request.json")).toStdString();
        const fs::path answer = mDir.filePath(QStringLiteral("answer.json")).toStdString();
        std::ofstream(request) << json{{"engine", mEngine}, {"model", kTinyModel.string()},
                                       {"input_ids", listOf(ids)}, {"attention_mask", listOf(mask)}}
                                      .dump();
        QString failure;
        ft::test::runProgram(QStringLiteral(FT_PYTHON),
                             {QStringLiteral("-c"), QString::fromUtf8(kPyTorchSide),
                              QString::fromStdString(request.string()), QString::fromStdString(answer.string()),
                              QString::fromStdString(kReference.string())},
                             failure);
        QVERIFY2(failure.isEmpty(), qPrintable(failure));
        mPyTorch = ft::test::readJsonFile(answer);
    }

    void layerMatchesPyTorch_data()
    {
        QTest::addColumn<QString>("quantization");
        QTest::newRow("per tensor") << "int8";
        QTest::newRow("per channel") << "int8-per-channel";
    }
    // The int8 weight and its scales are quantize_dynamic's exactly; the outputs are
    // quantized::linear_dynamic's on the packed weights it made, with and without reduce_range.
    void layerMatchesPyTorch()
    {
        QFETCH(QString, quantization);
        const json &layer = mPyTorch["layer"];
        const json &want = layer[quantization.toStdString()];
        const at::Tensor weight = tensorOf(layer["weight"]);
        const at::Tensor bias = tensorOf(layer["bias"]);
        const at::Tensor input = tensorOf(layer["input"]);
        DynamicQuantizationOptions options = dynamicQuantizationFromString(quantization.toStdString());
        const QuantizedLinear ours(weight, bias, options);
        QVERIFY(at::equal(ours.quantizedWeight().int_repr().to(at::kLong), tensorOf(want["int8"], at::kLong)));
        const at::Tensor scales = options.perChannel ? ours.quantizedWeight().q_per_channel_scales()
                                                     : at::tensor({ours.quantizedWeight().q_scale()}, at::kDouble);
        QVERIFY(at::equal(scales.to(at::kDouble), tensorOf(want["scales"], at::kDouble)));
        const at::Tensor output = ours.forward(input);
        QCOMPARE(output.sizes().vec(), (std::vector<std::int64_t>{3, 5, 20}));
        QVERIFY2(maxDifference(output, tensorOf(want["output"])) < 1e-5,
                 qPrintable(QString::number(maxDifference(output, tensorOf(want["output"])))));
        options.reduceRange = true; // what quantize_dynamic's modules pass
        const at::Tensor reduced = QuantizedLinear(weight, bias, options).forward(input);
        QVERIFY(maxDifference(reduced, tensorOf(want["module_output"])) < 1e-5);
        const at::Tensor exact = at::linear(input, weight, bias);
        qInfo("%s: largest error against float32 %.5f (8-bit activations), %.5f (with reduce_range)",
              qPrintable(quantization), maxDifference(output, exact), maxDifference(reduced, exact));
    }

    void bertMatchesPyTorch_data() { layerMatchesPyTorch_data(); }
    // The golden BERT with reduce_range as quantize_dynamic runs it gives PyTorch's logits; the
    // encoder's 12 and the pooler's 1 linear layers are quantised, the head is not.
    void bertMatchesPyTorch()
    {
        QFETCH(QString, quantization);
        const std::string name = quantization.toStdString();
        const auto [ids, mask] = tinyInputs();
        TensorBatch batch;
        batch.inputIds = ids;
        batch.attentionMask = mask;
        batch.tokenTypeIds = at::zeros_like(ids);
        ClassifierPtr model = loadClassifier(kTinyModel, {}).model;
        const at::Tensor floatLogits = model->logits(batch);
        DynamicQuantizationOptions options = dynamicQuantizationFromString(name);
        options.reduceRange = true;
        const DynamicQuantizationReport report = quantizeDynamic(*model, options);
        QCOMPARE(report.layers, std::int64_t{13});
        QCOMPARE(report.layers, mPyTorch[name + "-layers"].get<std::int64_t>());
        QCOMPARE(report.engine, mEngine);
        const at::Tensor logits = model->logits(batch);
        const double difference = maxDifference(logits, tensorOf(mPyTorch[name]));
        qInfo("%s: logits against PyTorch's quantize_dynamic: largest difference %.3g; against float32 %.3g "
              "(logits up to %.3g)",
              name.c_str(), difference, maxDifference(logits, floatLogits), floatLogits.abs().max().item<double>());
        QVERIFY2(difference < 1e-5, qPrintable(QString::number(difference)));
    }

    // Our default, 8-bit activations: the pooled output (tanh, so O(1)) stays within 5 % of its
    // float32 value (2.4 % measured: hidden 32 leaves few weights to average the rounding over);
    // int8 weights shrink the encoder's share of the bytes about 4x.
    void closeToFloat()
    {
        const auto [ids, mask] = tinyInputs();
        TensorBatch batch;
        batch.inputIds = ids;
        batch.attentionMask = mask;
        batch.tokenTypeIds = at::zeros_like(ids);
        ClassifierPtr floatModel = loadClassifier(kTinyModel, {}).model;
        ClassifierPtr model = loadClassifier(kTinyModel, {}).model;
        const DynamicQuantizationReport report = quantizeDynamic(*model, {});
        const auto pooled = [&](Classifier &m) {
            auto *bert = dynamic_cast<BertClassifier *>(&m);
            return bert->bert()->forward(batch.inputIds, batch.attentionMask, batch.tokenTypeIds).pooledOutput;
        };
        const at::Tensor exact = pooled(*floatModel);
        const double relative = (pooled(*model) - exact).norm().item<double>() / exact.norm().item<double>();
        qInfo("pooled output relative error %.4f; %lld int8 weights; %.1f kB against %.1f kB float32", relative,
              static_cast<long long>(report.int8Weights), double(report.bytes) / 1e3, double(report.floatBytes) / 1e3);
        QVERIFY2(relative < 0.05, qPrintable(QString::number(relative)));
        // 2 layers x (4 x 32 x 32 + 2 x 32 x 64) + the pooler's 32 x 32.
        QCOMPARE(report.int8Weights, std::int64_t{2 * (4 * 32 * 32 + 2 * 32 * 64) + 32 * 32});
        QCOMPARE(report.floatBytes - report.bytes, 3 * report.int8Weights - 4 * 13);
        // The float weights are kept for state(): the saved model is the float one.
        QVERIFY(at::equal(model->state().at("bert.pooler.dense.weight"), floatModel->state().at("bert.pooler.dense.weight")));
    }

    // `finetune predict --quantize int8`: logits within 10 % of the largest (5.8 % measured on this
    // tiny random model), the same label for nearly every row.
    void predictorQuantizes()
    {
        std::vector<std::string> texts;
        for (const char *word : {"good", "bad", "movie", "the", "a", "terrible", "great", "plot"})
            for (const char *other : {"film", "acting", "story", "ending"})
                texts.push_back(std::string(word) + " " + other + " " + word);
        const std::vector<std::string_view> views(texts.begin(), texts.end());
        Predictor floatPredictor;
        floatPredictor.load(kTinyModel);
        Predictor int8Predictor;
        PredictorOptions options;
        options.quantize = "int8";
        int8Predictor.load(kTinyModel, options);
        const Predictions a = floatPredictor.predict(views);
        const Predictions b = int8Predictor.predict(views);
        double largest = 0, scale = 0;
        for (std::size_t i = 0; i < a.logits.size(); ++i) {
            largest = std::max(largest, double(std::abs(a.logits[i] - b.logits[i])));
            scale = std::max(scale, double(std::abs(a.logits[i])));
        }
        std::size_t same = 0;
        for (std::size_t i = 0; i < a.size(); ++i)
            same += a.labelIds[i] == b.labelIds[i] ? 1 : 0;
        qInfo("Predictor int8: largest logit difference %.3g (logits up to %.3g), %zu of %zu labels the same",
              largest, scale, same, a.size());
        QVERIFY(largest < 0.1 * scale);
        QVERIFY(same * 10 >= a.size() * 9);
        FT_VERIFY_ERROR(dynamicQuantizationFromString("int4"), ErrorKind::InvalidInput, "int8-per-channel");
    }

    void refusals()
    {
        ClassifierPtr model = loadClassifier(kTinyModel, {}).model;
        applyLora(model->module(), LoraConfig{});
        FT_VERIFY_ERROR(quantizeDynamic(*model, {}), ErrorKind::Incompatible, "LoRA", "merged first");
    }
};

FT_REGISTER_TEST(DynamicQuantizationTest);
#include "tst_dynamic_quantization.moc"
