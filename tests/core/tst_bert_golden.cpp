// tst_bert_golden.cpp: every golden checkpoint's forward pass against the
// outputs the Python reference computed (../shared/golden/golden.json), case
// by case and as one padded batch, with golden.json's own tolerances. Inputs
// are the ids stored in golden.json, so the tokenizer is not under test here.
#include "common/error.h"
#include "models/checkpoint.h"
#include "testhelpers.h"
#include "testregistry.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>
#include <nlohmann/json.hpp>

#include <QTest>

#include <limits>
#include <map>

namespace fs = std::filesystem;
using namespace ft;
using ft::test::goldenJson;
using nlohmann::json;

namespace {

const fs::path kGolden = fs::path(FT_SHARED_DIR) / "golden";

at::Tensor idsTensor(const json &rows)
{
    std::vector<std::int64_t> flat;
    std::int64_t length = 0;
    for (const json &row : rows) {
        length = std::int64_t(row.size());
        for (const json &id : row)
            flat.push_back(id.get<std::int64_t>());
    }
    return at::tensor(flat, at::kLong).view({std::int64_t(rows.size()), length});
}

// Largest |actual - expected| over the elements, or -1 when the sizes differ.
double maxAbsDiff(const at::Tensor &actual, const json &expected)
{
    const at::Tensor values = actual.detach().to(at::kCPU, at::kDouble).contiguous().view({-1});
    if (values.numel() != std::int64_t(expected.size()))
        return -1.0;
    double worst = 0.0;
    for (std::int64_t i = 0; i < values.numel(); ++i)
        worst = std::max(worst, std::abs(values.data_ptr<double>()[i] - expected[std::size_t(i)].get<double>()));
    return worst;
}

#define CHECK_CLOSE(actual, expected, tolerance)                                                                       \
    do {                                                                                                               \
        const double diff = maxAbsDiff(actual, expected);                                                              \
        QVERIFY2(diff >= 0.0 && diff <= (tolerance),                                                                   \
                 qPrintable(QStringLiteral("%1: max abs diff %2 > %3").arg(#expected).arg(diff).arg(tolerance)));      \
    } while (0)

} // namespace

class BertGoldenTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void forwardMatchesGolden_data()
    {
        QTest::addColumn<QString>("model");
        QTest::addColumn<int>("index");
        for (const auto &[model, entry] : goldenJson()["models"].items()) {
            const json &cases = goldenJson()["cases"];
            for (std::size_t i = 0; i < cases.size(); ++i) {
                const std::string row = model + "/" + cases[i]["id"].get<std::string>();
                QTest::newRow(row.c_str()) << QString::fromStdString(model) << int(i);
            }
        }
    }

    void forwardMatchesGolden()
    {
        QFETCH(QString, model);
        QFETCH(int, index);
        const json &testCase = goldenJson()["cases"][std::size_t(index)];
        const json &expected =
            goldenJson()["models"][model.toStdString()]["outputs"][testCase["id"].get<std::string>()];
        const double tolerance = goldenJson()["tolerances"]["float32_compute_abs"].get<double>();
        const double sumTolerance = goldenJson()["tolerances"]["sums_abs"].get<double>();
        LoadedBert &loaded = load(model.toStdString());

        c10::NoGradGuard noGrad;
        const SequenceClassifierOutput out =
            loaded.model->forward(idsTensor(json::array({testCase["input_ids"]})),
                                  idsTensor(json::array({testCase["attention_mask"]})),
                                  idsTensor(json::array({testCase["token_type_ids"]})));
        CHECK_CLOSE(out.lastHiddenState[0][0].slice(0, 0, 8), expected["cls_hidden_first8"], tolerance);
        CHECK_CLOSE(out.pooledOutput[0].slice(0, 0, 8), expected["pooled_first8"], tolerance);
        CHECK_CLOSE(out.lastHiddenState.sum(), json::array({expected["last_hidden_sum"]}), sumTolerance);
        CHECK_CLOSE(out.lastHiddenState.abs().sum(), json::array({expected["last_hidden_abs_sum"]}), sumTolerance);
        if (expected.contains("logits")) {
            CHECK_CLOSE(out.logits[0], expected["logits"], tolerance);
            CHECK_CLOSE(at::softmax(out.logits[0], -1), expected["probs"], tolerance);
        } else {
            // A base checkpoint: HF initialises the head randomly, and so do we, saying so.
            QCOMPARE(loaded.report.initialized, (std::vector<std::string>{"classifier.weight", "classifier.bias"}));
        }
    }

    void paddedBatchMatchesGolden_data()
    {
        QTest::addColumn<QString>("model");
        for (const auto &[model, entry] : goldenJson()["models"].items())
            if (entry.contains("padded_batch_logits"))
                QTest::newRow(model.c_str()) << QString::fromStdString(model);
    }

    void paddedBatchMatchesGolden()
    {
        QFETCH(QString, model);
        const json &batch = goldenJson()["padded_batch"];
        const json &expected = goldenJson()["models"][model.toStdString()]["padded_batch_logits"];
        const double tolerance = goldenJson()["tolerances"]["float32_compute_abs"].get<double>();
        LoadedBert &loaded = load(model.toStdString());
        c10::NoGradGuard noGrad;
        const at::Tensor logits = loaded.model->forward(idsTensor(batch["input_ids"]), idsTensor(batch["attention_mask"]),
                                                        idsTensor(batch["token_type_ids"]))
                                      .logits;
        QCOMPARE(logits.size(0), std::int64_t(expected.size()));
        for (std::size_t row = 0; row < expected.size(); ++row)
            CHECK_CLOSE(logits[std::int64_t(row)], expected[row], tolerance);
    }

    void dropoutOnlyInTrainingMode()
    {
        LoadedBert &loaded = load("tiny-bert-uncased");
        const at::Tensor ids = idsTensor(goldenJson()["padded_batch"]["input_ids"]);
        const at::Tensor mask = idsTensor(goldenJson()["padded_batch"]["attention_mask"]);
        c10::NoGradGuard noGrad;
        loaded.model->train();
        const at::Tensor a = loaded.model->forward(ids, mask).logits;
        const at::Tensor b = loaded.model->forward(ids, mask).logits;
        loaded.model->eval();
        const at::Tensor c = loaded.model->forward(ids, mask).logits;
        const at::Tensor d = loaded.model->forward(ids, mask).logits;
        QVERIFY(!at::equal(a, b));
        QVERIFY(at::equal(c, d));
    }

    void maskUsesTheDtypeMinimum()
    {
        const at::Tensor mask = at::tensor(std::vector<std::int64_t>{1, 1, 0}).view({1, 3});
        const at::Tensor additive = extendedAttentionMask(mask, at::kFloat);
        QCOMPARE(additive.sizes(), (at::IntArrayRef{1, 1, 1, 3}));
        QCOMPARE(additive[0][0][0][0].item<float>(), 0.0f);
        QCOMPARE(additive[0][0][0][2].item<float>(), std::numeric_limits<float>::lowest());
        QCOMPARE(extendedAttentionMask(mask, at::kHalf)[0][0][0][2].item<float>(), -65504.0f);
    }

    void tooLongSequenceIsRefused()
    {
        LoadedBert &loaded = load("tiny-bert-uncased");
        c10::NoGradGuard noGrad;
        try {
            loaded.model->forward(at::zeros({1, 65}, at::kLong));
            QFAIL("expected an ft::Error");
        } catch (const Error &e) {
            QVERIFY2(QString(e.what()).contains("max_position_embeddings"), e.what());
        }
    }

    void bfloat16ComputeStaysNearGolden()
    {
        // Reduced-precision compute is not golden; golden.json's smoke bound applies.
        LoadOptions options;
        options.dtype = at::kBFloat16;
        LoadedBert loaded = loadBert(kGolden / "tiny-bert-uncased", options);
        const json &batch = goldenJson()["padded_batch"];
        c10::NoGradGuard noGrad;
        const at::Tensor logits = loaded.model->forward(idsTensor(batch["input_ids"]), idsTensor(batch["attention_mask"]),
                                                        idsTensor(batch["token_type_ids"]))
                                      .logits;
        QCOMPARE(logits.scalar_type(), at::kBFloat16);
        const json &expected = goldenJson()["models"]["tiny-bert-uncased"]["padded_batch_logits"];
        for (std::size_t row = 0; row < expected.size(); ++row)
            CHECK_CLOSE(logits[std::int64_t(row)], expected[row], 0.1);
    }

private:
    LoadedBert &load(const std::string &model)
    {
        auto found = mModels.find(model);
        if (found == mModels.end()) {
            // The legacy .bin checkpoint is read only when asked for by name (models/pickle_checkpoint.h).
            LoadOptions options;
            if (model.ends_with("-legacy-bin"))
                options.format = WeightsFormat::PytorchBin;
            found = mModels.emplace(model, loadBert(kGolden / model, options)).first;
        }
        return found->second;
    }

    std::map<std::string, LoadedBert> mModels;
};

FT_REGISTER_TEST(BertGoldenTest);

#include "tst_bert_golden.moc"
