// tst_cli_export.cpp: `finetune export` as a script uses it: each format's
// folder and JSON summary, the check against the run, the model card, an
// independent load of the Hugging Face folder by Python's torch, and the
// errors (a format that does not fit the run, an existing output) that leave
// nothing behind.
#include "clirunner.h"
#include "tempproject.h"
#include "testhelpers.h"
#include "testregistry.h"

#include <QDir>
#include <QVector>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <cmath>

using ft::test::lastJsonLine;
using ft::test::runFinetune;

namespace {

const QString kTinyModel = QStringLiteral(FT_SHARED_DIR "/golden/tiny-bert-uncased");

QString writeFile(const QTemporaryDir &dir, const QString &name, const QByteArray &bytes)
{
    const QString file = dir.filePath(name);
    QFile out(file);
    out.open(QIODevice::WriteOnly);
    out.write(bytes);
    return file;
}

QStringList filesIn(const QString &folder)
{
    return QDir(folder).entryList(QDir::Files | QDir::Hidden, QDir::Name);
}

// The logit columns of a `finetune predict --logits` CSV whose texts hold no comma.
QVector<double> logitsIn(const QString &csv, int labels)
{
    QFile file(csv);
    file.open(QIODevice::ReadOnly);
    QVector<double> logits;
    const QList<QByteArray> lines = file.readAll().trimmed().split('\n');
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QList<QByteArray> fields = lines[i].split(',');
        for (qsizetype f = fields.size() - labels; f < fields.size(); ++f)
            logits.push_back(fields[f].toDouble());
    }
    return logits;
}

// `finetune predict --model <folder>` on three texts: the logits, row by row.
QVector<double> predictWith(const QTemporaryDir &dir, const QString &model)
{
    const QString texts = dir.filePath(QStringLiteral("plain.csv"));
    QFile out(texts);
    out.open(QIODevice::WriteOnly);
    out.write("text\nThe kettle is excellent. Great value.\nThe tent broke on the first day.\nThe monitor is average.\n");
    out.close();
    const QString predictions = dir.filePath(QStringLiteral("plain-predictions.csv"));
    auto predicted = runFinetune({"predict", "--model", model, "--input", texts, "--output", predictions, "--logits"});
    if (predicted.exitCode != 0)
        qWarning("%s", qPrintable(predicted.err));
    return predicted.exitCode == 0 ? logitsIn(predictions, 3) : QVector<double>();
}

double largestDifference(const QVector<double> &a, const QVector<double> &b)
{
    double worst = a.size() == b.size() && !a.isEmpty() ? 0 : 1e9;
    for (qsizetype i = 0; i < std::min(a.size(), b.size()); ++i)
        worst = std::max(worst, std::abs(a[i] - b[i]));
    return worst;
}

// Hidden leftovers of a staged export beside the output.
QStringList stagingLeftovers(const QString &parent)
{
    return QDir(parent).entryList({QStringLiteral(".*partial*")}, QDir::AllEntries | QDir::Hidden);
}

} // namespace

class CliExportTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(mDir.isValid());
        mProject = mDir.filePath(QStringLiteral("sample"));
        QCOMPARE(runFinetune({"project", "sample", mProject}).exitCode, 0);
        // Run 1: the sample's scratch model, fully fine-tuned. Run 2: LoRA on the golden tiny BERT.
        const QString full = writeFile(mDir, QStringLiteral("full.json"),
                                       R"({"max_steps": 12, "per_device_train_batch_size": 16, "learning_rate": 1e-3,
                                           "threads": 1})");
        const QString model = mProject + QStringLiteral("/scratch-model");
        auto first = runFinetune({"train", "--project", mProject, "--dataset", "product-reviews", "--model",
                                  "scratch:" + model + "/config.json", "--config", full, "--json"});
        QVERIFY2(first.exitCode == 0, qPrintable(first.err));
        const QString lora = writeFile(mDir, QStringLiteral("lora.json"),
                                       R"({"max_steps": 6, "per_device_train_batch_size": 16, "learning_rate": 1e-3,
                                           "method": "lora", "lora_r": 4, "threads": 1})");
        auto second = runFinetune({"train", "--project", mProject, "--dataset", "product-reviews", "--model",
                                   kTinyModel, "--config", lora, "--json"});
        QVERIFY2(second.exitCode == 0, qPrintable(second.err));
    }

    void huggingFaceFolderLoadsIndependently()
    {
        const QString out = mDir.filePath(QStringLiteral("exports/hf"));
        auto result = runFinetune({"export", "--project", mProject, "--run", "1", "--format", "hf", "--output", out,
                                   "--json"});
        QVERIFY2(result.exitCode == 0, qPrintable(result.err));
        const QJsonObject summary = lastJsonLine(result.out);
        QCOMPARE(summary.value("format").toString(), QStringLiteral("hf"));
        QCOMPARE(summary.value("export_id").toInt(), 1);
        const QStringList expected{"README.md", "config.json", "model.safetensors", "special_tokens_map.json",
                                   "tokenizer.json", "tokenizer_config.json", "vocab.txt"};
        QCOMPARE(filesIn(out), expected);
        QCOMPARE(summary.value("files").toArray().size(), expected.size());
        const QJsonObject check = summary.value("check").toObject();
        QCOMPARE(check.value("split").toString(), QStringLiteral("test"));
        QCOMPARE(check.value("examples").toInt(), 104);
        QCOMPARE(check.value("max_abs_logit_difference").toDouble(), 0.0); // the same weights, bit for bit
        QCOMPARE(check.value("accuracy_delta").toDouble(), 0.0);
        QVERIFY(check.value("ms_per_example_batch_1").toDouble() > 0);
        QVERIFY(check.value("ms_per_example_batch_32").toDouble() > 0);
        QVERIFY(stagingLeftovers(mDir.filePath(QStringLiteral("exports"))).isEmpty());

        // The model card: data, hyper-parameters, metrics, the confusion matrix and the check.
        QFile card(out + QStringLiteral("/README.md"));
        QVERIFY(card.open(QIODevice::ReadOnly));
        const QString text = QString::fromUtf8(card.readAll());
        for (const char *part : {"library_name: transformers", "## Data", "| positive | ", "| learning_rate | 0.001 |",
                                 "## Results", "eval/accuracy", "Confusion matrix", "## Export check",
                                 "Latency per example, batch 32", "## Intended use and limits"})
            QVERIFY2(text.contains(QLatin1String(part)), part);

        // Python's torch alone reads the folder and computes the logits `finetune predict` gives.
        const QString texts = writeFile(mDir, QStringLiteral("texts.csv"),
                                        "text\n\"The kettle is excellent. Great value.\"\n"
                                        "\"The tent broke on the first day.\"\n\"The monitor is average.\"\n"
                                        "\"Shipping was slow, and the blender is loud!\"\n");
        const QString predictions = mDir.filePath(QStringLiteral("predictions.csv"));
        auto predicted = runFinetune({"predict", "--model", out, "--input", texts, "--output", predictions, "--logits"});
        QVERIFY2(predicted.exitCode == 0, qPrintable(predicted.err));
        QProcess python;
        python.start(QStringLiteral(FT_PYTHON), {QStringLiteral(FT_TESTS_DIR "/export/check_hf_export.py"), out,
                                                 predictions, mProject + QStringLiteral("/scratch-model/config.json")});
        QVERIFY(python.waitForFinished(120000));
        const QString said = QString::fromUtf8(python.readAllStandardOutput() + python.readAllStandardError());
        QVERIFY2(python.exitStatus() == QProcess::NormalExit && python.exitCode() == 0, qPrintable(said));
        QVERIFY2(said.contains(QStringLiteral("4 rows agree")), qPrintable(said));
    }

    void onnxInt8IsSmallerAndChecked()
    {
        const QString out = mDir.filePath(QStringLiteral("exports/int8"));
        auto result = runFinetune({"export", "--project", mProject, "--run", "1", "--format", "onnx-int8", "--output",
                                   out, "--json"});
        QVERIFY2(result.exitCode == 0, qPrintable(result.err));
        const QJsonObject summary = lastJsonLine(result.out);
        QVERIFY(filesIn(out).contains(QStringLiteral("model.onnx")));
        QVERIFY(filesIn(out).contains(QStringLiteral("tokenizer.json")));
        QVERIFY2(summary.value("size_reduction").toDouble() > 1.5,
                 qPrintable(QString::number(summary.value("size_reduction").toDouble())));
        QFile card(out + QStringLiteral("/README.md"));
        QVERIFY(card.open(QIODevice::ReadOnly));
        QVERIFY(card.readAll().contains("x smaller than the float32 ONNX"));
        const QJsonObject check = summary.value("check").toObject();
        QVERIFY(check.value("max_abs_logit_difference").toDouble() > 0); // quantised: close, not equal
        QVERIFY(check.value("max_abs_logit_difference").toDouble() < 0.05);
        QVERIFY(std::abs(check.value("accuracy_delta").toDouble()) <= 0.05);
    }

    void loraRunExportsAdapterAndMergedWeights()
    {
        const QString adapter = mDir.filePath(QStringLiteral("exports/adapter"));
        auto peft = runFinetune({"export", "--project", mProject, "--run", "2", "--format", "peft", "--output",
                                 adapter, "--json"});
        QVERIFY2(peft.exitCode == 0, qPrintable(peft.err));
        const QStringList files = filesIn(adapter);
        for (const char *name : {"adapter_config.json", "adapter_model.safetensors", "tokenizer.json", "README.md"})
            QVERIFY2(files.contains(QLatin1String(name)), name);
        QVERIFY(!files.contains(QStringLiteral("model.safetensors")));
        // Base + adapter, merged as PEFT does, gives the run's model.
        const QJsonObject peftCheck = lastJsonLine(peft.out).value("check").toObject();
        QVERIFY2(peftCheck.value("max_abs_logit_difference").toDouble() < 1e-4,
                 qPrintable(QString::number(peftCheck.value("max_abs_logit_difference").toDouble())));
        QCOMPARE(peftCheck.value("predictions_changed").toInt(), 0);

        const QString merged = mDir.filePath(QStringLiteral("exports/merged"));
        auto full = runFinetune({"export", "--project", mProject, "--run", "2", "--format", "merged", "--output",
                                 merged, "--json"});
        QVERIFY2(full.exitCode == 0, qPrintable(full.err));
        QVERIFY(filesIn(merged).contains(QStringLiteral("model.safetensors")));
        QVERIFY(!filesIn(merged).contains(QStringLiteral("adapter_config.json"))); // transformers would take it for PEFT's
        QCOMPARE(lastJsonLine(full.out).value("check").toObject().value("max_abs_logit_difference").toDouble(), 0.0);
    }

    void torchScriptExportRuns()
    {
        const QString out = mDir.filePath(QStringLiteral("exports/torchscript"));
        auto result = runFinetune({"export", "--project", mProject, "--run", "1", "--format", "torchscript",
                                   "--output", out, "--json"});
        QVERIFY2(result.exitCode == 0, qPrintable(result.err));
        QVERIFY(filesIn(out).contains(QStringLiteral("model.pt")));
        QVERIFY(filesIn(out).contains(QStringLiteral("config.json"))); // its labels
        QVERIFY(lastJsonLine(result.out).value("check").toObject().value("max_abs_logit_difference").toDouble() < 1e-5);

        // predict takes the export as its model and gives the run's logits.
        const QVector<double> run = predictWith(mDir, mProject + QStringLiteral("/runs/1"));
        QCOMPARE(run.size(), 9);
        QVERIFY(largestDifference(predictWith(mDir, out), run) < 1e-5);
    }

    void onnxExportPredicts()
    {
        const QString out = mDir.filePath(QStringLiteral("exports/onnx"));
        auto result = runFinetune({"export", "--project", mProject, "--run", "1", "--format", "onnx", "--output", out,
                                   "--no-check"});
        QVERIFY2(result.exitCode == 0, qPrintable(result.err));
        const QVector<double> run = predictWith(mDir, mProject + QStringLiteral("/runs/1"));
        QVERIFY(largestDifference(predictWith(mDir, out), run) < 1e-5);
    }

    void refusalsLeaveNothingBehind()
    {
        const QString exports = mDir.filePath(QStringLiteral("refused"));
        // A format that does not fit the run.
        auto peft = runFinetune({"export", "--project", mProject, "--run", "1", "--format", "peft", "--output",
                                 exports + QStringLiteral("/peft")});
        QCOMPARE(peft.exitCode, 3);
        QVERIFY2(peft.err.contains(QStringLiteral("run 1 was trained without LoRA")), qPrintable(peft.err));
        QVERIFY(!QFile::exists(exports + QStringLiteral("/peft")));
        auto unknown = runFinetune({"export", "--project", mProject, "--run", "1", "--format", "tflite", "--output",
                                    exports + QStringLiteral("/x")});
        QCOMPARE(unknown.exitCode, 3);
        QVERIFY2(unknown.err.contains(QStringLiteral("hf, peft, merged, torchscript, onnx, onnx-int8")),
                 qPrintable(unknown.err));
        auto missing = runFinetune({"export", "--project", mProject, "--run", "9", "--format", "hf", "--output",
                                    exports + QStringLiteral("/x")});
        QCOMPARE(missing.exitCode, 4);

        // An existing output is kept unless --overwrite, and then replaced whole.
        QDir().mkpath(exports + QStringLiteral("/taken"));
        writeFile(mDir, QStringLiteral("refused/taken/mine.txt"), "keep me");
        auto taken = runFinetune({"export", "--project", mProject, "--run", "1", "--format", "hf", "--output",
                                  exports + QStringLiteral("/taken")});
        QCOMPARE(taken.exitCode, 3);
        QVERIFY2(taken.err.contains(QStringLiteral("already exists")), qPrintable(taken.err));
        QCOMPARE(filesIn(exports + QStringLiteral("/taken")), QStringList{QStringLiteral("mine.txt")});
        auto replaced = runFinetune({"export", "--project", mProject, "--run", "1", "--format", "hf", "--output",
                                     exports + QStringLiteral("/taken"), "--overwrite", "--no-check", "--json"});
        QVERIFY2(replaced.exitCode == 0, qPrintable(replaced.err));
        QVERIFY(!filesIn(exports + QStringLiteral("/taken")).contains(QStringLiteral("mine.txt")));
        QVERIFY(!lastJsonLine(replaced.out).contains(QStringLiteral("check")));
        QVERIFY(stagingLeftovers(exports).isEmpty());

        // Every export that completed is in the project's record.
        auto info = runFinetune({"project", "info", mProject, "--json"});
        QVERIFY(lastJsonLine(info.out).value("exports").toInt() >= 2);
    }

private:
    QTemporaryDir mDir;
    QString mProject;
};

FT_REGISTER_TEST(CliExportTest);
#include "tst_cli_export.moc"
