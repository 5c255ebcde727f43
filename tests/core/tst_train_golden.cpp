// tst_train_golden.cpp: fine-tuning steps on one fixed batch against
// ../shared/golden/train_golden.json: loss, gradient norm, selected gradients,
// parameter deltas (weight-decay grouping) and logits after each step, with
// a constant learning rate and in the Hugging Face Trainer style (clipping,
// linear schedule with warmup).
#include "models/bert_classifier.h"
#include "models/checkpoint.h"
#include "testregistry.h"
#include "train/adamw.h"
#include "train/lr_schedule.h"
#include "train/train_step.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <nlohmann/json.hpp>

#include <QTest>

#include <fstream>
#include <regex>

using namespace ft;
using nlohmann::json;

namespace {

const std::filesystem::path kGolden = std::filesystem::path(FT_SHARED_DIR) / "golden";

json loadGolden()
{
    std::ifstream in(kGolden / "train_golden.json");
    return json::parse(in);
}

at::Tensor toTensor(const json &rows)
{
    std::vector<std::int64_t> flat;
    for (const auto &row : rows)
        for (const auto &value : row)
            flat.push_back(value.get<std::int64_t>());
    return at::tensor(flat, at::kLong).view({static_cast<std::int64_t>(rows.size()), -1});
}

TensorBatch goldenBatch(const json &golden)
{
    const json &batch = golden["batch"];
    TensorBatch result;
    result.inputIds = toTensor(batch["input_ids"]);
    result.tokenTypeIds = toTensor(batch["token_type_ids"]);
    result.attentionMask = toTensor(batch["attention_mask"]);
    result.labels = at::tensor(batch["labels"].get<std::vector<std::int64_t>>(), at::kLong);
    return result;
}

// "classifier.weight[0][:8] (decay)" -> the flat values of that slice, or its
// absolute maximum for keys ending in "abs max".
std::vector<double> sliceOf(const TensorMap &parameters, const std::string &key, bool &absMax)
{
    static const std::regex pattern(R"(^([A-Za-z0-9_.]+)((?:\[[0-9:]+\])*)(.*)$)");
    std::smatch match;
    if (!std::regex_match(key, match, pattern))
        throw std::runtime_error("cannot read golden key " + key);
    at::Tensor value = parameters.at(match[1].str());
    const std::string indices = match[2].str();
    static const std::regex index(R"(\[(:?)([0-9]+)\])");
    for (auto it = std::sregex_iterator(indices.begin(), indices.end(), index); it != std::sregex_iterator(); ++it) {
        const auto n = std::stoll((*it)[2].str());
        value = (*it)[1].str() == ":" ? value.slice(0, 0, n) : value.select(0, n);
    }
    absMax = match[3].str().find("abs max") != std::string::npos;
    if (absMax)
        return {value.abs().max().item<double>()};
    value = value.contiguous().to(at::kDouble);
    return std::vector<double>(value.data_ptr<double>(), value.data_ptr<double>() + value.numel());
}

std::vector<double> asVector(const json &value)
{
    return value.is_array() ? value.get<std::vector<double>>() : std::vector<double>{value.get<double>()};
}

TensorMap namedParameters(BertForSequenceClassificationImpl &model)
{
    TensorMap map;
    for (const auto &item : model.named_parameters())
        map.emplace(item.key(), item.value().detach());
    return map;
}

void compareLogits(const at::Tensor &logits, const json &expected, double tolerance, const QString &what)
{
    for (size_t row = 0; row < expected.size(); ++row) {
        for (size_t col = 0; col < expected[row].size(); ++col) {
            const double got = logits[row][col].item<double>();
            const double wanted = expected[row][col].get<double>();
            QVERIFY2(std::abs(got - wanted) <= tolerance,
                     qPrintable(QStringLiteral("%1 [%2][%3]: %4 vs %5").arg(what).arg(row).arg(col).arg(got).arg(wanted)));
        }
    }
}

} // namespace

class TrainGoldenTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initialLogits()
    {
        const json golden = loadGolden();
        LoadedBert loaded = loadBert(kGolden / golden["checkpoint"].get<std::string>());
        at::NoGradGuard noGrad;
        const TensorBatch batch = goldenBatch(golden);
        const auto logits = loaded.model->forward(batch.inputIds, batch.attentionMask, batch.tokenTypeIds).logits;
        compareLogits(logits, golden["initial_logits"], golden["tolerances"]["logits_after_step_abs"].get<double>(),
                      QStringLiteral("initial logits"));
    }

    void scenarios_data()
    {
        QTest::addColumn<QString>("scenario");
        QTest::newRow("adamw_constant_lr") << QStringLiteral("adamw_constant_lr");
        QTest::newRow("hf_trainer_style") << QStringLiteral("hf_trainer_style");
    }

    void scenarios()
    {
        QFETCH(QString, scenario);
        const json golden = loadGolden();
        const json &tolerances = golden["tolerances"];
        const json &spec = golden["scenarios"][scenario.toStdString()];
        const json &optimizerSpec = golden["optimizer"];

        LoadedBert loaded = loadBert(kGolden / golden["checkpoint"].get<std::string>());
        auto &model = *loaded.model;
        model.eval(); // the golden disables dropout while computing gradients
        const TensorMap before = [&] {
            TensorMap copy;
            for (const auto &[name, value] : namedParameters(model))
                copy.emplace(name, value.clone());
            return copy;
        }();

        std::vector<AdamW::NamedParameter> parameters;
        for (const auto &item : model.named_parameters())
            parameters.emplace_back(item.key(), item.value());
        AdamWOptions options;
        options.beta1 = optimizerSpec["betas"][0].get<double>();
        options.beta2 = optimizerSpec["betas"][1].get<double>();
        options.epsilon = optimizerSpec["eps"].get<double>();
        options.weightDecay = optimizerSpec["weight_decay"].get<double>();
        AdamW optimizer(parameters, options);
        const double peakLr = optimizerSpec["lr"].get<double>();
        const bool hfStyle = scenario == QLatin1String("hf_trainer_style");
        const auto totalSteps = static_cast<std::int64_t>(spec["steps"].size());

        const TensorBatch batch = goldenBatch(golden);
        BertClassifier classifier(loaded.model);
        for (const json &expected : spec["steps"]) {
            const auto step = expected["step"].get<std::int64_t>();
            const QString where = scenario + QStringLiteral(" step %1").arg(step);
            const double lr = hfStyle ? peakLr * lrFactor(LrSchedulerType::Linear, step - 1, 1, totalSteps) : peakLr;
            QVERIFY2(std::abs(lr - expected["lr"].get<double>()) < 1e-12, qPrintable(where + " lr"));

            const double loss = forwardBackward(classifier, batch, 1.0);
            QVERIFY2(std::abs(loss - expected["loss_before_step"].get<double>()) <= tolerances["loss_abs"].get<double>(),
                     qPrintable(where + QStringLiteral(" loss %1").arg(loss, 0, 'g', 9)));
            const double norm = hfStyle ? optimizer.clipGradNorm(spec["max_grad_norm"].get<double>()) : optimizer.gradNorm();
            const double wantedNorm = expected["grad_norm_before_clip"].get<double>();
            QVERIFY2(std::abs(norm - wantedNorm) / wantedNorm <= tolerances["grad_norm_rel"].get<double>(),
                     qPrintable(where + QStringLiteral(" grad norm %1").arg(norm, 0, 'g', 9)));

            if (step == 1 && spec.contains("gradients_step1")) {
                TensorMap gradients;
                for (const auto &item : model.named_parameters())
                    gradients.emplace(item.key(), item.value().grad());
                for (const auto &[key, values] : spec["gradients_step1"].items()) {
                    bool absMax = false;
                    const auto got = sliceOf(gradients, key, absMax);
                    const auto want = asVector(values);
                    QCOMPARE(got.size(), want.size());
                    for (size_t i = 0; i < got.size(); ++i)
                        QVERIFY2(std::abs(got[i] - want[i]) <= tolerances["gradients_abs"].get<double>(),
                                 qPrintable(QString::fromStdString(key) + QStringLiteral(": %1 vs %2").arg(got[i]).arg(want[i])));
                }
            }

            optimizer.step(lr);
            optimizer.zeroGrad();

            if (step == 1 && spec.contains("param_deltas_step1")) {
                const TensorMap after = namedParameters(model);
                for (const auto &[key, values] : spec["param_deltas_step1"].items()) {
                    bool absMax = false;
                    const auto was = sliceOf(before, key, absMax);
                    const auto now = sliceOf(after, key, absMax);
                    const auto wantBefore = asVector(values["before"]);
                    const auto wantDelta = asVector(values["delta"]);
                    QCOMPARE(now.size(), wantDelta.size());
                    for (size_t i = 0; i < now.size(); ++i) {
                        QVERIFY(std::abs(was[i] - wantBefore[i]) <= 1e-7);
                        QVERIFY2(std::abs((now[i] - was[i]) - wantDelta[i]) <= tolerances["param_delta_abs"].get<double>(),
                                 qPrintable(QString::fromStdString(key)
                                            + QStringLiteral(": delta %1 vs %2").arg(now[i] - was[i]).arg(wantDelta[i])));
                    }
                }
            }

            at::NoGradGuard noGrad;
            const auto logits = model.forward(batch.inputIds, batch.attentionMask, batch.tokenTypeIds).logits;
            compareLogits(logits, expected["logits_after_step"], tolerances["logits_after_step_abs"].get<double>(), where);
            const double lossAfter = classificationLoss(logits, batch.labels).item<double>();
            QVERIFY2(std::abs(lossAfter - expected["loss_after_step"].get<double>()) <= tolerances["loss_abs"].get<double>(),
                     qPrintable(where + QStringLiteral(" loss after %1").arg(lossAfter, 0, 'g', 9)));
        }
    }
};

FT_REGISTER_TEST(TrainGoldenTest);

#include "tst_train_golden.moc"
