// tst_memory_estimate.cpp: the run dialog's memory estimate counts, from the config alone, exactly the
// parameters each family's model holds and trains under each method: the real model with the run's
// method applied (train/run_method.h) is the reference, for classifiers and causal LMs alike.
#include "common/error.h"
#include "models/classifier_factory.h"
#include "models/text_model_size.h"
#include "testregistry.h"
#include "train/memory_estimate.h"
#include "train/run_config.h"
#include "train/run_method.h"

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>
#include <torch/nn/module.h>

#include <QTest>

namespace fs = std::filesystem;
using namespace ft;

namespace {

const fs::path kGolden = fs::path(FT_TESTS_DIR) / "text_models" / "golden";

} // namespace

class MemoryEstimateTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void countsWhatTheModelHoldsAndTrains_data()
    {
        QTest::addColumn<QString>("folder");
        QTest::addColumn<bool>("causalLm");
        QTest::addColumn<QByteArray>("method");
        const std::vector<std::pair<const char *, bool>> models = {
            {"tiny-bert-uncased", false}, {"tiny-roberta", false},  {"tiny-distilbert", false},
            {"tiny-gpt2", false},         {"tiny-llama", false},    {"tiny-gpt2-lm", true},
            {"tiny-llama-lm", true}};
        const std::vector<std::pair<const char *, const char *>> methods = {
            {"full", R"({"method": "full"})"},
            {"freeze 1", R"({"method": "freeze", "freeze_layers": 1})"},
            {"freeze head", R"({"method": "freeze", "freeze_layers": -1})"},
            {"lora", R"({"method": "lora", "lora_r": 4})"},
            {"lora all-linear", R"({"method": "lora", "lora_r": 2, "lora_target_modules": ["all-linear"]})"},
            {"houlsby", R"({"method": "adapter", "adapter_type": "houlsby", "adapter_reduction_factor": 8})"},
            {"prefix mlp", R"({"method": "prefix", "num_virtual_tokens": 4, "encoder_hidden_size": 12})"},
            {"prefix", R"({"method": "prefix", "num_virtual_tokens": 4, "prefix_projection": false})"},
            {"prompt", R"({"method": "prompt", "num_virtual_tokens": 5})"}};
        for (const auto &[model, lm] : models)
            for (const auto &[name, method] : methods) {
                // Refused (PeftMethodsTest and the causal LM's freeze check it): DistilBERT takes no prefix,
                // and a causal LM has no head to train alone.
                const std::string row = std::string(model) + " " + name;
                if (row.starts_with("tiny-distilbert prefix") || (lm && row.ends_with("freeze head")))
                    continue;
                const QString folder = QString::fromStdString(
                    ((std::string(model) == "tiny-bert-uncased" ? fs::path(FT_SHARED_DIR) / "golden" : kGolden) / model)
                        .string());
                QTest::newRow(qPrintable(QStringLiteral("%1 %2").arg(QLatin1String(model), QLatin1String(name))))
                    << folder << lm << QByteArray(method);
            }
    }
    void countsWhatTheModelHoldsAndTrains()
    {
        QFETCH(QString, folder);
        QFETCH(bool, causalLm);
        QFETCH(QByteArray, method);
        nlohmann::json settings = nlohmann::json::parse(method.toStdString());
        settings["max_length"] = 16; // with the virtual tokens, within the tiny models' positions
        if (causalLm)
            settings["task"] = "causal-lm";
        const RunConfig run = parseRunConfig(settings);

        ClassifierOptions options;
        options.causalLm = causalLm;
        ClassifierPtr model = loadClassifier(folder.toStdString(), options).model;
        applyRunMethod(*model, run, {});
        std::int64_t parameters = 0, trainable = 0;
        for (const auto &parameter : model->module().parameters()) {
            parameters += parameter.numel();
            trainable += parameter.requires_grad() ? parameter.numel() : 0;
        }
        const TextModelSize size = textModelSize(model->configJson(), "config.json", 0, causalLm);
        const MemoryEstimate estimate = estimateTrainingMemory(size, run, 16);
        QCOMPARE(estimate.parameters, parameters);
        QCOMPARE(estimate.trainableParameters, trainable);
        QCOMPARE(estimate.gradientBytes, 4.0 * double(trainable));
        QVERIFY(estimate.activationBytes > 0);
    }

    // A causal LM keeps its logits over the vocabulary for backward: more activations than its classifier.
    void causalLmKeepsItsLogits()
    {
        const nlohmann::json config = {{"model_type", "llama"}, {"vocab_size", 32000}, {"hidden_size", 256},
                                       {"intermediate_size", 688}, {"num_hidden_layers", 4},
                                       {"num_attention_heads", 4}, {"pad_token_id", 0}};
        RunConfig run;
        const double classifier = estimateTrainingMemory(textModelSize(config, "c", 2), run, 64).activationBytes;
        const double lm = estimateTrainingMemory(textModelSize(config, "c", 0, true), run, 64).activationBytes;
        QCOMPARE(lm - classifier, 4.0 * double(run.perDeviceTrainBatchSize) * 64 * 2 * 32000);
        QVERIFY_THROWS_EXCEPTION(Error, textModelSize({{"model_type", "bert"}}, "c", 0, true));
    }
};

FT_REGISTER_TEST(MemoryEstimateTest);

#include "tst_memory_estimate.moc"
