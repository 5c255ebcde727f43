// tst_run_config.cpp: the run configuration file: defaults, round trips,
// unknown keys with suggestions, bad values named by key, the checks between
// keys, and the step-count helpers as transformers' Trainer counts steps.
#include "common/error.h"
#include "tempproject.h"
#include "testhelpers.h"
#include "testregistry.h"
#include "train/run_config.h"
#include "train/run_config_docs.h"

#include <nlohmann/json.hpp>

#include <QTemporaryDir>
#include <QTest>

using namespace ft;
using nlohmann::json;

namespace {

// Parses `text`, expecting ft::Error (InvalidInput) whose message has every needle.
void expectRejected(const std::string &text, const QStringList &needles)
{
    try {
        parseRunConfig(json::parse(text), "run.json");
        QFAIL(qPrintable("accepted: " + QString::fromStdString(text)));
    } catch (const Error &e) {
        QCOMPARE(int(e.kind()), int(ErrorKind::InvalidInput));
        const QString message = QString::fromStdString(e.what());
        QVERIFY2(message.startsWith("run.json: "), e.what());
        for (const QString &needle : needles)
            QVERIFY2(message.contains(needle), e.what());
    }
}

} // namespace

class RunConfigTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    // The studio's documentation of the keys covers exactly the keys a
    // configuration has, in the same order, and every listed choice parses.
    void everyKeyIsDocumented()
    {
        std::vector<std::string> written;
        const auto defaults = toJson(RunConfig{});
        for (const auto &item : defaults.items())
            written.push_back(item.key());
        std::vector<std::string> documented;
        for (const RunConfigKeyDoc &doc : runConfigKeyDocs()) {
            documented.push_back(doc.key);
            QVERIFY2(doc.meaning.size() > 10, doc.key.c_str());
            for (const std::string &choice : doc.choices) {
                nlohmann::json json = {{doc.key, choice}};
                if (doc.key == "eval_strategy" && choice == "steps")
                    json["eval_steps"] = 10;
                try {
                    parseRunConfig(json);
                } catch (const Error &e) {
                    QFAIL(qPrintable(QString::fromStdString(doc.key + " = " + choice + ": " + e.what())));
                }
            }
        }
        QCOMPARE(documented, written);
    }

    void defaults()
    {
        const RunConfig config = parseRunConfig(json::object());
        QVERIFY(config == RunConfig{});
        QCOMPARE(config.learningRate, 5e-5);
        QCOMPARE(config.numTrainEpochs, 3.0);
        QCOMPARE(config.perDeviceTrainBatchSize, std::int64_t{8});
        QCOMPARE(config.weightDecay, 0.0);
        QCOMPARE(config.adamBeta2, 0.999);
        QCOMPARE(config.maxGradNorm, 1.0);
        QCOMPARE(int(config.lrSchedulerType), int(LrSchedulerType::Linear));
        QCOMPARE(config.seed, std::int64_t{42});
        QCOMPARE(config.maxLength, std::int64_t{128});
        QCOMPARE(int(config.padding), int(Padding::Longest));
        QVERIFY(config.groupByLength);
        QCOMPARE(int(config.method), int(TrainMethod::Full));
        QCOMPARE(config.loraR, std::int64_t{8});
        QCOMPARE(config.loraAlpha, 16.0);
        QCOMPARE(config.loraDropout, 0.05);
        QVERIFY(config.loraTargetModules.empty()); // the model family's default (PEFT's)
        QCOMPARE(config.device, std::string("auto"));
        QCOMPARE(config.threads, std::int64_t{0});
        QVERIFY(config.imageRandomResizedCrop);
        QVERIFY(config.imageHorizontalFlip);
        QCOMPARE(config.imageColorJitter, 0.0);
    }

    void toJsonWritesEveryKeyAndRoundTrips()
    {
        const auto written = toJson(RunConfig{});
        const char *keys[] = {
            "learning_rate", "num_train_epochs", "max_steps", "per_device_train_batch_size",
            "per_device_eval_batch_size", "gradient_accumulation_steps", "warmup_ratio", "warmup_steps",
            "weight_decay", "adam_beta1", "adam_beta2", "adam_epsilon", "max_grad_norm", "lr_scheduler_type", "seed",
            "bf16", "fp16", "eval_strategy", "eval_steps", "save_steps", "save_total_limit", "metric_for_best_model",
            "load_best_model_at_end", "group_by_length", "logging_steps", "max_length", "padding", "task", "method", "lora_r",
            "lora_alpha", "lora_dropout", "lora_target_modules", "freeze_layers", "adapter_type",
            "adapter_reduction_factor", "num_virtual_tokens", "prefix_projection", "encoder_hidden_size",
            "prompt_tuning_init_text", "early_stopping_patience",
            "class_weights", "distill_teacher_run", "distill_temperature", "distill_alpha", "student_layers",
            "image_random_resized_crop", "image_horizontal_flip", "image_color_jitter", "device",
            "threads", "ddp_timeout"};
        QCOMPARE(written.size(), std::size(keys));
        for (const char *key : keys)
            QVERIFY2(written.contains(key), key);
        QCOMPARE(written["lr_scheduler_type"].get<std::string>(), std::string("linear"));
        QCOMPARE(written["eval_strategy"].get<std::string>(), std::string("epoch"));
        QVERIFY(parseRunConfig(json::parse(written.dump())) == RunConfig{});

        RunConfig changed;
        changed.learningRate = 2e-5;
        changed.numTrainEpochs = 0.5;
        changed.maxSteps = 1000;
        changed.perDeviceTrainBatchSize = 32;
        changed.gradientAccumulationSteps = 4;
        changed.warmupRatio = 0.06;
        changed.weightDecay = 0.01;
        changed.adamEpsilon = 1e-6;
        changed.maxGradNorm = 0;
        changed.lrSchedulerType = LrSchedulerType::ConstantWithWarmup;
        changed.seed = 1234;
        changed.bf16 = true;
        changed.evalStrategy = EvalStrategy::Steps;
        changed.evalSteps = 50;
        changed.saveTotalLimit = 0;
        changed.metricForBestModel = "eval_f1";
        changed.loadBestModelAtEnd = true;
        changed.groupByLength = false;
        changed.padding = Padding::MaxLength;
        changed.method = TrainMethod::Lora;
        changed.loraR = 16;
        changed.loraAlpha = 32;
        changed.loraDropout = 0.1;
        changed.loraTargetModules = {"query", "key", "value", "dense"};
        changed.adapterType = AdapterType::Houlsby;
        changed.adapterReductionFactor = 4;
        changed.numVirtualTokens = 8;
        changed.prefixProjection = false;
        changed.encoderHiddenSize = 128;
        changed.promptTuningInitText = "classify the sentiment";
        changed.earlyStoppingPatience = 3;
        changed.classWeights = ClassWeights::Balanced;
        changed.device = "cuda:1";
        changed.threads = 6;
        const RunConfig back = parseRunConfig(json::parse(toJson(changed).dump()));
        QVERIFY(back == changed);
        QVERIFY(!(back == RunConfig{}));
        QVERIFY(greaterIsBetter(back));
        QVERIFY(!greaterIsBetter(RunConfig{}));
    }

    void acceptsWhatTransformersWrites()
    {
        // TrainingArguments.to_json_string writes floats for whole numbers
        // and null for unset values.
        const RunConfig config = parseRunConfig(json::parse(R"({
            "num_train_epochs": 3.0, "per_device_train_batch_size": 16.0, "eval_steps": null,
            "save_total_limit": null, "metric_for_best_model": null, "lr_scheduler_type": "cosine",
            "eval_strategy": "no", "warmup_steps": 0})"));
        QCOMPARE(config.perDeviceTrainBatchSize, std::int64_t{16});
        QCOMPARE(config.evalSteps, std::int64_t{0});
        QCOMPARE(config.saveTotalLimit, std::int64_t{0}); // null: keep every checkpoint, as transformers does
        QCOMPARE(config.metricForBestModel, std::string("loss"));
        QCOMPARE(int(config.lrSchedulerType), int(LrSchedulerType::Cosine));
        QCOMPARE(int(config.evalStrategy), int(EvalStrategy::No));
    }

    void unknownKeysSuggestTheNearMiss_data()
    {
        QTest::addColumn<QString>("key");
        QTest::addColumn<QString>("suggestion"); // empty: none
        QTest::newRow("typo") << "learning_rat" << "learning_rate";
        QTest::newRow("swapped letters") << "weight_dacey" << "weight_decay";
        QTest::newRow("plural") << "lora_target_module" << "lora_target_modules";
        QTest::newRow("renamed by transformers") << "evaluation_strategy" << "eval_strategy";
        QTest::newRow("short name") << "epochs" << "num_train_epochs";
        QTest::newRow("nothing near") << "output_dir" << "";
    }

    void unknownKeysSuggestTheNearMiss()
    {
        QFETCH(QString, key);
        QFETCH(QString, suggestion);
        const std::string text = "{\"" + key.toStdString() + "\": 1}";
        try {
            parseRunConfig(json::parse(text), "run.json");
            QFAIL("accepted an unknown key");
        } catch (const Error &e) {
            const QString message = QString::fromStdString(e.what());
            QVERIFY2(message.contains("unknown key '" + key + "'"), e.what());
            if (suggestion.isEmpty())
                QVERIFY2(!message.contains("did you mean"), e.what());
            else
                QVERIFY2(message.contains("did you mean '" + suggestion + "'?"), e.what());
        }
    }

    void badValuesNameTheKey_data()
    {
        QTest::addColumn<QString>("config");
        QTest::addColumn<QStringList>("needles");
        const auto row = [](const char *name, const char *config, QStringList needles) {
            QTest::newRow(name) << QString(config) << needles;
        };
        row("not an object", "[1, 2]", {"must be a JSON object"});
        row("string for a number", R"({"learning_rate": "3e-5"})", {"learning_rate must be a number"});
        row("zero learning rate", R"({"learning_rate": 0})", {"learning_rate must be in (0, 1]"});
        row("negative epochs", R"({"num_train_epochs": -1})", {"num_train_epochs must be in"});
        row("fractional batch", R"({"per_device_train_batch_size": 2.5})",
            {"per_device_train_batch_size must be a whole number"});
        row("bool batch", R"({"per_device_train_batch_size": true})", {"per_device_train_batch_size"});
        row("zero batch", R"({"per_device_eval_batch_size": 0})", {"per_device_eval_batch_size must be in [1, 65536]"});
        row("zero accumulation", R"({"gradient_accumulation_steps": 0})", {"gradient_accumulation_steps"});
        row("max_steps zero", R"({"max_steps": -2})", {"max_steps must be in [-1,"});
        row("warmup ratio above 1", R"({"warmup_ratio": 1.5})", {"warmup_ratio must be in [0, 1]"});
        row("beta of 1", R"({"adam_beta1": 1.0})", {"adam_beta1 must be in [0, 1)"});
        row("zero epsilon", R"({"adam_epsilon": 0})", {"adam_epsilon"});
        row("unsupported scheduler", R"({"lr_scheduler_type": "polynomial"})",
            {"lr_scheduler_type must be one of linear, cosine, constant, constant_with_warmup", "\"polynomial\""});
        row("eval strategy", R"({"eval_strategy": "sometimes"})", {"eval_strategy must be one of no, steps, epoch"});
        row("string for bool", R"({"bf16": "true"})", {"bf16 must be true or false"});
        row("negative seed", R"({"seed": -1})", {"seed must be in [0,"});
        row("padding", R"({"padding": "max"})", {"padding must be one of longest, max_length"});
        row("method", R"({"method": "qlora"})", {"method must be one of full, lora, freeze"});
        row("device", R"({"device": "gpu"})", {"device must be auto, cpu, cuda or cuda:N"});
        row("device index", R"({"device": "cuda:x"})", {"device must be"});
        row("metric", R"({"metric_for_best_model": "bleu"})", {"metric_for_best_model must be loss, accuracy"});
        row("modules not a list", R"({"lora_target_modules": "query"})", {"lora_target_modules must be a list"});
        row("empty module name", R"({"lora_target_modules": ["query", ""]})", {"lora_target_modules"});
        row("lora dropout 1", R"({"lora_dropout": 1})", {"lora_dropout must be in [0, 1)"});
        row("max_length 1", R"({"max_length": 1})", {"max_length must be in [2, 65536]"});
        row("threads", R"({"threads": -1})", {"threads must be in [0, 1024]"});
        row("freeze layers", R"({"freeze_layers": -2})", {"freeze_layers"});
        row("fp16 and bf16", R"({"fp16": true, "bf16": true})", {"fp16 and bf16 cannot both be true"});
        row("fp16 on the CPU", R"({"fp16": true, "device": "cpu"})", {"fp16 needs a CUDA device"});
        row("steps without eval_steps", R"({"eval_strategy": "steps"})", {"eval_strategy \"steps\" needs eval_steps"});
        row("best model without eval", R"({"load_best_model_at_end": true, "eval_strategy": "no"})",
            {"load_best_model_at_end needs evaluation"});
        row("early stopping without eval", R"({"early_stopping_patience": 2, "eval_strategy": "no"})",
            {"early_stopping_patience needs evaluation"});
    }

    void badValuesNameTheKey()
    {
        QFETCH(QString, config);
        QFETCH(QStringList, needles);
        expectRejected(config.toStdString(), needles);
    }

    void loadsFiles()
    {
        QTemporaryDir dir;
        const auto file = ft::test::toPath(dir.filePath("run.json"));
        ft::test::writeBytes(file, R"({"learning_rate": 3e-5, "num_train_epochs": 2})");
        const RunConfig config = loadRunConfig(file);
        QCOMPARE(config.learningRate, 3e-5);
        QCOMPARE(config.numTrainEpochs, 2.0);

        ft::test::writeBytes(file, R"({"learning_rate": 3e-5,})");
        try {
            loadRunConfig(file);
            QFAIL("accepted malformed JSON");
        } catch (const Error &e) {
            QCOMPARE(int(e.kind()), int(ErrorKind::InvalidInput));
            const QString message = QString::fromStdString(e.what());
            QVERIFY2(message.contains(QString::fromStdString(file.string()) + ": invalid JSON at line 1, column 24"),
                     e.what());
        }
        // Nesting that would overflow the stack, and numbers beyond a double, are refused with their place.
        ft::test::writeBytes(file, QByteArray("{\"x\": ") + QByteArray(100000, '[') + QByteArray(100000, ']') + "}");
        FT_VERIFY_ERROR(loadRunConfig(file), ErrorKind::InvalidInput,
                        QString::fromStdString(file.string()) + ": invalid JSON: nested deeper than 512 levels");
        ft::test::writeBytes(file, R"({"learning_rate": 1e400})");
        FT_VERIFY_ERROR(loadRunConfig(file), ErrorKind::InvalidInput, "1e400");
        ft::test::writeBytes(file, R"({"lerning_rate": 3e-5})");
        try {
            loadRunConfig(file);
            QFAIL("accepted an unknown key");
        } catch (const Error &e) {
            QVERIFY2(QString(e.what()).startsWith(QString::fromStdString(file.string()) + ": unknown key"), e.what());
        }
        try {
            loadRunConfig(ft::test::toPath(dir.filePath("missing.json")));
            QFAIL("read a missing file");
        } catch (const Error &e) {
            QCOMPARE(int(e.kind()), int(ErrorKind::NotFound));
        }
    }

    void stepCounts_data()
    {
        QTest::addColumn<int>("examples");
        QTest::addColumn<int>("batch");
        QTest::addColumn<int>("accumulation");
        QTest::addColumn<double>("epochs");
        QTest::addColumn<int>("maxSteps");
        QTest::addColumn<int>("perEpoch");
        QTest::addColumn<int>("total");
        // Hand-computed as transformers' Trainer does: floor(ceil(n / batch) / accumulation), at least 1;
        // total = max_steps if > 0, else ceil(epochs * per epoch).
        QTest::newRow("plain") << 1000 << 8 << 1 << 3.0 << -1 << 125 << 375;
        QTest::newRow("last batch partial") << 1001 << 8 << 1 << 3.0 << -1 << 126 << 378;
        QTest::newRow("accumulation floors") << 1000 << 8 << 4 << 3.0 << -1 << 31 << 93;
        QTest::newRow("fractional epochs round up") << 1000 << 8 << 1 << 0.5 << -1 << 125 << 63;
        QTest::newRow("max_steps wins") << 1000 << 8 << 1 << 3.0 << 10 << 125 << 10;
        QTest::newRow("tiny dataset") << 3 << 8 << 4 << 2.0 << -1 << 1 << 2;
        QTest::newRow("sst2 train split") << 5536 << 32 << 1 << 3.0 << -1 << 173 << 519;
    }

    void stepCounts()
    {
        QFETCH(int, examples);
        QFETCH(int, batch);
        QFETCH(int, accumulation);
        QFETCH(double, epochs);
        QFETCH(int, maxSteps);
        QFETCH(int, perEpoch);
        QFETCH(int, total);
        RunConfig config;
        config.perDeviceTrainBatchSize = batch;
        config.gradientAccumulationSteps = accumulation;
        config.numTrainEpochs = epochs;
        config.maxSteps = maxSteps;
        QCOMPARE(updateStepsPerEpoch(config, examples), std::int64_t(perEpoch));
        QCOMPARE(totalTrainingSteps(config, examples), std::int64_t(total));
    }

    void warmupAndThreads()
    {
        RunConfig config;
        config.warmupRatio = 0.1;
        QCOMPARE(warmupStepCount(config, 375), std::int64_t{38}); // ceil(37.5)
        QCOMPARE(warmupStepCount(config, 370), std::int64_t{37});
        config.warmupSteps = 5; // wins over the ratio
        QCOMPARE(warmupStepCount(config, 375), std::int64_t{5});
        config.warmupSteps = 0;
        config.warmupRatio = 0;
        QCOMPARE(warmupStepCount(config, 375), std::int64_t{0});

        config.warmupRatio = 0.1;
        config.learningRate = 1e-4;
        QCOMPARE(learningRateAt(config, 5, 100), 0.5e-4);     // warmup 10: half way
        QCOMPARE(learningRateAt(config, 10, 100), 1e-4);      // peak
        QCOMPARE(learningRateAt(config, 55, 100), 0.5e-4);    // (100-55)/(100-10)
        QCOMPARE(learningRateAt(config, 100, 100), 0.0);

        QCOMPARE(resolvedThreads(config, 2), 1);
        QCOMPARE(resolvedThreads(config, 1), 1);
        QCOMPARE(resolvedThreads(config, 0), 1);
        QCOMPARE(resolvedThreads(config, 16), 15);
        config.threads = 4;
        QCOMPARE(resolvedThreads(config, 16), 4);
    }
};

FT_REGISTER_TEST(RunConfigTest);

#include "tst_run_config.moc"
