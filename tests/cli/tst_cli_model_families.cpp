// tst_cli_model_families.cpp: the model families beside BERT, end to end
// through the command line on real data (SST-2 from ../shared/data): a
// scratch DistilBERT and a scratch GPT-2 learn as well as a scratch BERT of
// the same size, LoRA trains on them with PEFT's default modules, and their
// runs export and predict.
#include "clirunner.h"
#include "tempproject.h"
#include "testhelpers.h"
#include "testregistry.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>
#include <filesystem>

namespace fs = std::filesystem;
using ft::test::lastJsonLine;
using ft::test::runFinetune;
using ft::test::sst2WithSplits;

namespace {

QString pathOf(const fs::path &path)
{
    return QString::fromStdString(path.string());
}

// A scratch model folder: `config` beside a real tokenizer's files.
fs::path scratchModel(const QTemporaryDir &dir, const char *name, const QByteArray &config,
                      const char *tokenizer = "bert-base-uncased")
{
    return ft::test::toPath(ft::test::scratchModelConfig(dir.filePath(QString::fromLatin1(name)), config, tokenizer))
        .parent_path();
}

// Both the same size: hidden 64, 2 layers of 2 heads, feed-forward 256.
const QByteArray kBertConfig = R"({"model_type": "bert", "vocab_size": 30522, "hidden_size": 64,
    "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 256, "max_position_embeddings": 128})";
const QByteArray kDistilBertConfig = R"({"model_type": "distilbert", "vocab_size": 30522, "dim": 64,
    "n_layers": 2, "n_heads": 2, "hidden_dim": 256, "max_position_embeddings": 128, "seq_classif_dropout": 0.1})";
// GPT-2 of the same size on GPT-2's byte-level BPE; it classifies by its last
// token, padding with the end of text (pad_token_id unset: the eos id).
const QByteArray kGpt2Config = R"({"model_type": "gpt2", "vocab_size": 50257, "n_embd": 64, "n_layer": 2,
    "n_head": 2, "n_inner": 256, "n_positions": 128, "bos_token_id": 50256, "eos_token_id": 50256})";
const QByteArray kRecipe = R"({"num_train_epochs": 2, "learning_rate": 0.001, "per_device_train_batch_size": 32,
    "max_length": 64, "warmup_ratio": 0.1, "weight_decay": 0.01, "eval_strategy": "epoch", "threads": 1, "seed": 1})";

} // namespace

class CliModelFamiliesTest : public QObject {
    Q_OBJECT

private:
    QTemporaryDir mDir;
    QString mProject;
    int mDistilRun = 0;
    int mGpt2Run = 0;

    // A scratch model of `modelFolder`'s config.json, trained with `config`.
    QJsonObject trainScratch(const fs::path &modelFolder, const QString &config)
    {
        const auto result = runFinetune({"train", "--project", mProject, "--dataset", "sst2", "--model",
                                         "scratch:" + pathOf(modelFolder / "config.json"), "--config", config, "--json"},
                                        {}, 600000);
        if (result.exitCode != 0)
            qWarning().noquote() << result.err;
        return result.exitCode == 0 ? lastJsonLine(result.out) : QJsonObject();
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(mDir.isValid());
        mProject = mDir.filePath(QStringLiteral("project"));
        QCOMPARE(runFinetune({"project", "init", mProject}).exitCode, 0);
        const auto imported = ft::test::importSst2(mProject, "sst2", mDir.filePath("sst2.tsv"), sst2WithSplits());
        QCOMPARE(imported.exitCode, 0);
        QCOMPARE(lastJsonLine(imported.out)["errors"].toObject()["count"].toInt(), 0);
    }

    // Same size, same recipe, same data: accuracy within 3 points of BERT's
    // (2 epochs on 6,920 sentences; chance is 50 %).
    void familiesLearnAsWellAsBert()
    {
        const QString recipe = mDir.filePath(QStringLiteral("recipe.json"));
        ft::test::writeBytes(ft::test::toPath(recipe), kRecipe);
        const QJsonObject bert = trainScratch(scratchModel(mDir, "bert", kBertConfig), recipe);
        const QJsonObject distil = trainScratch(scratchModel(mDir, "distilbert", kDistilBertConfig), recipe);
        const QJsonObject gpt2 = trainScratch(scratchModel(mDir, "gpt2", kGpt2Config, "gpt2"), recipe);
        QCOMPARE(distil["state"].toString(), QStringLiteral("completed"));
        QCOMPARE(gpt2["state"].toString(), QStringLiteral("completed"));
        const auto accuracy = [](const QJsonObject &run) { return run["eval"].toObject()["eval_accuracy"].toDouble(); };
        qInfo("SST-2 dev accuracy, scratch BERT / DistilBERT / GPT-2 (hidden 64, 2 layers): %.4f / %.4f / %.4f",
              accuracy(bert), accuracy(distil), accuracy(gpt2));
        QVERIFY(accuracy(bert) > 0.7);
        QVERIFY(std::abs(accuracy(distil) - accuracy(bert)) < 0.03);
        QVERIFY(std::abs(accuracy(gpt2) - accuracy(bert)) < 0.03);
        mDistilRun = distil["run_id"].toInt();
        mGpt2Run = gpt2["run_id"].toInt();
    }

    // TorchScript and ONNX exports give the run's logits; the TorchScript
    // folder predicts what the run's own model does.
    void distilBertExportsAndPredicts()
    {
        QVERIFY(mDistilRun > 0);
        for (const char *format : {"torchscript", "onnx", "hf"}) {
            const QString output = mDir.filePath(QStringLiteral("export-%1").arg(QLatin1String(format)));
            const auto result = runFinetune({"export", "--project", mProject, "--run", QString::number(mDistilRun),
                                             "--format", format, "--output", output, "--json"},
                                            {}, 600000);
            QVERIFY2(result.exitCode == 0, qPrintable(result.err));
            const QJsonObject check = lastJsonLine(result.out)["check"].toObject();
            QCOMPARE(check["predictions_changed"].toInt(), 0);
            QVERIFY2(check["max_abs_logit_difference"].toDouble() < 1e-4,
                     qPrintable(QString::number(check["max_abs_logit_difference"].toDouble())));
        }
        const QString input = mDir.filePath(QStringLiteral("texts.csv"));
        ft::test::writeBytes(ft::test::toPath(input), "text\na gripping and beautifully acted film\na dull and lifeless mess\n");
        QStringList predictions;
        for (const QString &model : {mProject + QStringLiteral("/runs/%1").arg(mDistilRun),
                                     mDir.filePath(QStringLiteral("export-torchscript"))}) {
            const QString output = mDir.filePath(QStringLiteral("predictions.csv"));
            const auto result = runFinetune({"predict", "--model", model, "--input", input, "--output", output});
            QVERIFY2(result.exitCode == 0, qPrintable(result.err));
            predictions << QString::fromUtf8(ft::test::readBytes(ft::test::toPath(output)));
        }
        QCOMPARE(predictions[1], predictions[0]);
        QCOMPARE(predictions[0].trimmed().split(QLatin1Char('\n')).size(), 3); // the header and both texts
    }

    // LoRA adapts PEFT's default modules of each family and trains the whole
    // head; the adapter, merged into the base as PEFT merges it, predicts as the run.
    void lora_data()
    {
        QTest::addColumn<QString>("family");
        QTest::addColumn<QString>("trainable");
        QTest::addColumn<QStringList>("targets");
        QTest::addColumn<bool>("fanInFanOut");
        // 2 layers x (q_lin + v_lin) x 4 x (64 + 64), + pre_classifier 64 x 64 + 64, + classifier 64 x 2 + 2
        QTest::newRow("distilbert") << "distilbert" << "6,338" << QStringList{"q_lin", "v_lin"} << false;
        // 2 layers x c_attn 4 x (64 + 192), + score 64 x 2 (no bias); Conv1D weights are [in, out]
        QTest::newRow("gpt2") << "gpt2" << "2,176" << QStringList{"c_attn"} << true;
    }
    void lora()
    {
        QFETCH(QString, family);
        QFETCH(QString, trainable);
        QFETCH(QStringList, targets);
        QFETCH(bool, fanInFanOut);
        const int base = family == QLatin1String("gpt2") ? mGpt2Run : mDistilRun;
        QVERIFY(base > 0);
        const QString config = mDir.filePath(QStringLiteral("lora.json"));
        ft::test::writeBytes(ft::test::toPath(config), R"({"method": "lora", "lora_r": 4, "max_steps": 30,
            "learning_rate": 0.003, "per_device_train_batch_size": 32, "max_length": 64, "eval_strategy": "no"})");
        const auto result = runFinetune({"train", "--project", mProject, "--dataset", "sst2", "--model",
                                         mProject + QStringLiteral("/runs/%1/model").arg(base), "--config",
                                         config, "--json"},
                                        {}, 600000);
        QVERIFY2(result.exitCode == 0, qPrintable(result.err));
        const QString line = QStringLiteral("trainable params: %1 ||").arg(trainable);
        QVERIFY2(result.err.contains(line) || result.out.contains(line), qPrintable(result.err));
        const int run = lastJsonLine(result.out)["run_id"].toInt();
        const QString adapter = mDir.filePath(QStringLiteral("adapter-") + family);
        const auto exported = runFinetune({"export", "--project", mProject, "--run", QString::number(run), "--format",
                                           "peft", "--output", adapter, "--json"},
                                          {}, 600000);
        QVERIFY2(exported.exitCode == 0, qPrintable(exported.err));
        const QJsonObject adapterConfig =
            QJsonDocument::fromJson(ft::test::readBytes(ft::test::toPath(adapter + "/adapter_config.json"))).object();
        QCOMPARE(adapterConfig["target_modules"].toVariant().toStringList(), targets);
        QCOMPARE(adapterConfig["fan_in_fan_out"].toBool(), fanInFanOut);
        QCOMPARE(lastJsonLine(exported.out)["check"].toObject()["predictions_changed"].toInt(), 0);
    }

    // GPT-2's run predicts through the command line, padding with its end of
    // text, and its export tells transformers to pad with it too.
    void gpt2PredictsAndExports()
    {
        QVERIFY(mGpt2Run > 0);
        const QString input = mDir.filePath(QStringLiteral("texts.csv"));
        ft::test::writeBytes(ft::test::toPath(input), "text\na gripping and beautifully acted film\na dull and lifeless mess\n");
        const QString output = mDir.filePath(QStringLiteral("gpt2.csv"));
        const auto result = runFinetune({"predict", "--model", mProject + QStringLiteral("/runs/%1").arg(mGpt2Run),
                                         "--input", input, "--output", output, "--batch-size", "2"});
        QVERIFY2(result.exitCode == 0, qPrintable(result.err));
        const QStringList rows = QString::fromUtf8(ft::test::readBytes(ft::test::toPath(output))).trimmed().split('\n');
        QCOMPARE(rows.size(), 3);

        const QString folder = mDir.filePath(QStringLiteral("export-gpt2"));
        const auto exported = runFinetune({"export", "--project", mProject, "--run", QString::number(mGpt2Run),
                                           "--format", "hf", "--output", folder, "--json"},
                                          {}, 600000);
        QVERIFY2(exported.exitCode == 0, qPrintable(exported.err));
        const auto json = [&](const char *file) {
            return QJsonDocument::fromJson(ft::test::readBytes(ft::test::toPath(folder + "/" + file))).object();
        };
        QCOMPARE(json("tokenizer_config.json")["pad_token"].toString(), QStringLiteral("<|endoftext|>"));
        QCOMPARE(json("special_tokens_map.json")["eos_token"].toString(), QStringLiteral("<|endoftext|>"));
        QCOMPARE(json("config.json")["pad_token_id"].toInt(), 50256);
        QVERIFY(!QFile::exists(folder + "/vocab.txt"));

        for (const char *format : {"torchscript", "onnx"}) {
            const auto result = runFinetune({"export", "--project", mProject, "--run", QString::number(mGpt2Run),
                                             "--format", format, "--output", folder + "-" + format, "--json"},
                                            {}, 600000);
            QVERIFY2(result.exitCode == 0, qPrintable(result.err));
            const QJsonObject check = lastJsonLine(result.out)["check"].toObject();
            QCOMPARE(check["predictions_changed"].toInt(), 0);
            QVERIFY2(check["max_abs_logit_difference"].toDouble() < 1e-4, format);
        }
    }

    // The GPT-2 run teaches a student of one of its two blocks (the first), which keeps most of the
    // teacher's accuracy after an epoch; compare puts them side by side.
    void gpt2DistilsIntoOneBlock()
    {
        QVERIFY(mGpt2Run > 0);
        const QString config = mDir.filePath(QStringLiteral("gpt2-student.json"));
        ft::test::writeBytes(ft::test::toPath(config),
                             QByteArray(R"({"distill_teacher_run": )") + QByteArray::number(mGpt2Run)
                                 + R"(, "student_layers": 1, "num_train_epochs": 1, "learning_rate": 0.001,
                                 "per_device_train_batch_size": 32, "max_length": 64, "eval_strategy": "epoch",
                                 "threads": 1, "seed": 1})");
        const auto trained = runFinetune({"train", "--project", mProject, "--config", config, "--json"}, {}, 600000);
        QVERIFY2(trained.exitCode == 0, qPrintable(trained.err));
        const QJsonObject student = lastJsonLine(trained.out);
        QCOMPARE(student["state"].toString(), QStringLiteral("completed"));
        const double accuracy = student["eval"].toObject()["eval_accuracy"].toDouble();
        qInfo("SST-2 dev accuracy of GPT-2's one-block student: %.4f", accuracy);
        QVERIFY2(accuracy > 0.72, qPrintable(QString::number(accuracy)));
        const QString folder = mProject + QStringLiteral("/runs/%1/model").arg(student["run_id"].toInt());
        QCOMPARE(QJsonDocument::fromJson(ft::test::readBytes(ft::test::toPath(folder + "/config.json")))
                     .object()["n_layer"]
                     .toInt(),
                 1);

        const auto compared = runFinetune({"compare", "--project", mProject, "--runs",
                                           QStringLiteral("%1,%2").arg(mGpt2Run).arg(student["run_id"].toInt()),
                                           "--latency-runs", "5", "--json"},
                                          {}, 600000);
        QVERIFY2(compared.exitCode == 0, qPrintable(compared.err));
        const QJsonArray models = lastJsonLine(compared.out)["models"].toArray();
        QCOMPARE(models.size(), 2);
        QCOMPARE(models[0].toObject()["layers"].toInt(), 2);
        QCOMPARE(models[1].toObject()["layers"].toInt(), 1);
        QCOMPARE(models[1].toObject()["teacher_run"].toInt(), mGpt2Run);
        QCOMPARE(models[1].toObject()["accuracy"].toDouble(), accuracy);
    }
};

FT_REGISTER_TEST(CliModelFamiliesTest);

#include "tst_cli_model_families.moc"
