// tst_cli_train.cpp: `finetune train`, `--resume`, and `finetune runs` as a
// script uses them: the JSON summary line, exit codes, and errors that name
// the configuration key at fault.
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

using ft::test::lastJsonLine;
using ft::test::runFinetune;

namespace {

const QString kTinyModel = QStringLiteral(FT_SHARED_DIR "/golden/tiny-bert-uncased");

QString writeConfig(const QTemporaryDir &dir, const QByteArray &json)
{
    const QString file = dir.filePath(QStringLiteral("run.json"));
    QFile out(file);
    out.open(QIODevice::WriteOnly);
    out.write(json);
    return file;
}

} // namespace

class CliTrainTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void trainResumeAndList()
    {
        QTemporaryDir dir;
        const QString project = dir.filePath(QStringLiteral("sample"));
        QCOMPARE(runFinetune({"project", "sample", project}).exitCode, 0);
        const QString config = writeConfig(
            dir, R"({"max_steps": 6, "per_device_train_batch_size": 16, "learning_rate": 1e-3, "save_steps": 2,
                     "eval_strategy": "steps", "eval_steps": 3, "logging_steps": 1, "threads": 1})");

        auto first = runFinetune({"train", "--project", project, "--dataset", "product-reviews", "--model", kTinyModel,
                                  "--config", config, "--json"});
        QVERIFY2(first.exitCode == 0, qPrintable(first.err));
        const QJsonObject summary = lastJsonLine(first.out);
        for (const char *key : {"run_id", "steps", "samples_per_s", "tokens_per_s", "first_step_s", "runtime_s",
                                "micro_batch_size", "peak_rss_mb", "final_train_loss", "eval"})
            QVERIFY2(summary.contains(QLatin1String(key)), key);
        QCOMPARE(summary.value("steps").toInt(), 6);
        QCOMPARE(summary.value("state").toString(), QStringLiteral("completed"));
        QVERIFY(summary.value("samples_per_s").toDouble() > 0);
        QVERIFY(summary.value("eval").toObject().contains(QStringLiteral("eval_accuracy")));
        QVERIFY(QFile::exists(summary.value("model_folder").toString() + QStringLiteral("/model.safetensors")));
        QVERIFY(first.err.contains(QStringLiteral("run completed")));

        // Stopped after 3 steps, then resumed to the end.
        auto stopped = runFinetune({"train", "--project", project, "--dataset", "product-reviews", "--model", kTinyModel,
                                    "--config", config, "--stop-after-steps", "3", "--json"});
        QCOMPARE(stopped.exitCode, 0);
        const QJsonObject interrupted = lastJsonLine(stopped.out);
        QCOMPARE(interrupted.value("state").toString(), QStringLiteral("interrupted"));
        const QString runId = QString::number(interrupted.value("run_id").toInt());
        auto resumed = runFinetune({"train", "--project", project, "--resume", runId, "--json"});
        QVERIFY2(resumed.exitCode == 0, qPrintable(resumed.err));
        QCOMPARE(lastJsonLine(resumed.out).value("steps").toInt(), 6);
        QVERIFY(resumed.err.contains(QStringLiteral("resumed from runs/") + runId + QStringLiteral("/checkpoint-")));
        // Both runs end at the same loss: the resume redid step 3 exactly.
        QCOMPARE(lastJsonLine(resumed.out).value("final_train_loss").toDouble(),
                 summary.value("final_train_loss").toDouble());

        auto list = runFinetune({"runs", "list", "--project", project, "--json"});
        QCOMPARE(list.exitCode, 0);
        const QJsonArray runs = QJsonDocument::fromJson(list.out.toUtf8()).array();
        QCOMPARE(runs.size(), 2);
        QCOMPARE(runs[1].toObject().value("state").toString(), QStringLiteral("completed"));

        auto show = runFinetune({"runs", "show", "--project", project, runId, "--json"});
        QCOMPARE(show.exitCode, 0);
        const QJsonObject details = lastJsonLine(show.out);
        QCOMPARE(details.value("config").toObject().value("max_steps").toInt(), 6);
        QCOMPARE(details.value("metrics").toObject().value("train/loss").toObject().value("step").toInt(), 6);
        QVERIFY(!details.value("checkpoints").toArray().isEmpty());

        auto again = runFinetune({"train", "--project", project, "--resume", runId});
        QCOMPARE(again.exitCode, 3);
        QVERIFY(again.err.contains(QStringLiteral("nothing to resume")));
    }

    void sampleScratchModelLearnsAndEvaluates()
    {
        QTemporaryDir dir;
        const QString project = dir.filePath(QStringLiteral("sample"));
        QCOMPARE(runFinetune({"project", "sample", project}).exitCode, 0);
        const QString model = project + QStringLiteral("/scratch-model");
        auto trained = runFinetune({"train", "--project", project, "--dataset", "product-reviews", "--model",
                                    "scratch:" + model + "/config.json", "--config", model + "/run.json", "--json"});
        QVERIFY2(trained.exitCode == 0, qPrintable(trained.err));
        const QJsonObject summary = lastJsonLine(trained.out);
        const double testAccuracy = summary.value("test").toObject().value("test_accuracy").toDouble();
        QVERIFY2(testAccuracy > 0.9, qPrintable(QString::number(testAccuracy)));

        // finetune eval reproduces the trainer's test figures from the saved model.
        const QString run = QString::number(summary.value("run_id").toInt());
        auto eval = runFinetune({"eval", "--project", project, "--run", run, "--json"});
        QVERIFY2(eval.exitCode == 0, qPrintable(eval.err));
        const QJsonObject report = lastJsonLine(eval.out);
        QCOMPARE(report.value("accuracy").toDouble(), testAccuracy);
        QCOMPARE(report.value("per_class").toArray().size(), 3);
        QCOMPARE(report.value("confusion_matrix").toArray().size(), 3);

        auto text = runFinetune({"eval", "--project", project, "--run", run, "--split", "validation"});
        QCOMPARE(text.exitCode, 0);
        for (const char *word : {"precision", "recall", "f1-score", "support", "macro avg", "weighted avg", "negative"})
            QVERIFY2(text.out.contains(QLatin1String(word)), word);

        // A labelled file: one row with an unknown label is skipped and counted.
        const QString file = dir.filePath(QStringLiteral("extra.csv"));
        ft::test::writeBytes(ft::test::toPath(file), "review,label\n"
                                                     "\"The kettle is excellent. Great value.\",positive\n"
                                                     "\"The tent broke on the first day.\",negative\n"
                                                     "\"The monitor is average.\",neutral\n"
                                                     "\"Something else entirely.\",sarcastic\n");
        auto onFile = runFinetune({"eval", "--project", project, "--run", run, "--data", file, "--json"});
        QVERIFY2(onFile.exitCode == 0, qPrintable(onFile.err));
        const QJsonObject fileReport = lastJsonLine(onFile.out);
        QCOMPARE(fileReport.value("examples").toInt(), 3);
        QCOMPARE(fileReport.value("skipped").toInt(), 1);
        QCOMPARE(fileReport.value("accuracy").toDouble(), 1.0);
    }

    void replayMatchesAndDiffShowsChanges()
    {
        QTemporaryDir dir;
        const QString project = dir.filePath(QStringLiteral("sample"));
        QCOMPARE(runFinetune({"project", "sample", project}).exitCode, 0);
        const QString model = "scratch:" + project + QStringLiteral("/scratch-model/config.json");
        const QString quick = writeConfig(dir, R"({"max_steps": 12, "per_device_train_batch_size": 16,
                                                   "learning_rate": 1e-3, "logging_steps": 2, "max_length": 48})");
        QCOMPARE(runFinetune({"train", "--project", project, "--dataset", "product-reviews", "--model", model, "--config",
                              quick}).exitCode, 0);

        auto replay = runFinetune({"runs", "replay", "--project", project, "1", "--json"});
        QVERIFY2(replay.exitCode == 0, qPrintable(replay.err));
        const QJsonObject report = lastJsonLine(replay.out);
        QCOMPARE(report.value("replay_run").toInt(), 2);
        QVERIFY2(report.value("identical").toBool(), qPrintable(replay.out));
        QVERIFY(report.value("points_compared").toInt() > 12);
        QCOMPARE(report.value("changed_inputs").toArray().size(), 0);

        // A different learning rate on changed data: diff names both.
        const QString faster = writeConfig(dir, R"({"max_steps": 12, "per_device_train_batch_size": 16,
                                                    "learning_rate": 2e-3, "logging_steps": 2, "max_length": 48})");
        const QString extra = dir.filePath(QStringLiteral("extra.csv"));
        ft::test::writeBytes(ft::test::toPath(extra), "text,label,split\n\"The tent is average.\",neutral,train\n");
        QCOMPARE(runFinetune({"dataset", "import", "--project", project, "--name", "extra", extra}).exitCode, 0);
        QCOMPARE(runFinetune({"train", "--project", project, "--dataset", "product-reviews", "--model", model, "--config",
                              faster}).exitCode, 0);
        auto diff = runFinetune({"runs", "diff", "--project", project, "1", "3", "--json"});
        QCOMPARE(diff.exitCode, 0);
        QStringList what;
        for (const auto &row : QJsonDocument::fromJson(diff.out.toUtf8()).array())
            what << row.toObject().value("what").toString();
        QVERIFY2(what.contains(QStringLiteral("config.learning_rate")), qPrintable(what.join(',')));
        QVERIFY2(!what.contains(QStringLiteral("data.train.sha256")), "same dataset, same data");

        auto same = runFinetune({"runs", "diff", "--project", project, "1", "2"});
        QCOMPARE(same.exitCode, 0);
        QVERIFY(same.out.contains(QStringLiteral("same configuration, data, model and versions")));
    }

    void errorsNameWhatIsWrong()
    {
        QTemporaryDir dir;
        const QString project = dir.filePath(QStringLiteral("sample"));
        QCOMPARE(runFinetune({"project", "sample", project}).exitCode, 0);

        const QString typo = writeConfig(dir, R"({"learning_rat": 1e-3})");
        auto badKey = runFinetune({"train", "--project", project, "--dataset", "product-reviews", "--model", kTinyModel,
                                   "--config", typo});
        QCOMPARE(badKey.exitCode, 3);
        QVERIFY2(badKey.err.contains(QStringLiteral("learning_rat")), qPrintable(badKey.err));
        QVERIFY2(badKey.err.contains(QStringLiteral("learning_rate")), qPrintable(badKey.err));

        auto noDataset = runFinetune({"train", "--project", project, "--dataset", "missing", "--model", kTinyModel});
        QCOMPARE(noDataset.exitCode, 4);
        QVERIFY(noDataset.err.contains(QStringLiteral("missing")));

        auto noModel = runFinetune({"train", "--project", project, "--dataset", "product-reviews", "--model",
                                    dir.filePath(QStringLiteral("nothing"))});
        QCOMPARE(noModel.exitCode, 4);

        auto noRun = runFinetune({"runs", "show", "--project", project, "42"});
        QCOMPARE(noRun.exitCode, 4);
    }
};

FT_REGISTER_TEST(CliTrainTest);

#include "tst_cli_train.moc"
