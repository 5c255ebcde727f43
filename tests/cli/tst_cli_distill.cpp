// tst_cli_distill.cpp: distillation and int8 quantisation end to end on SST-2 through the command
// line: a scratch 6-layer BERT teacher, a 2-layer student distilled from it (dataset and model
// taken from the teacher run), `finetune compare` of both and their int8 copies, and
// `finetune predict --quantize int8`.
#include "clirunner.h"
#include "tempproject.h"
#include "testhelpers.h"
#include "testregistry.h"

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

const fs::path kShared = FT_SHARED_DIR;

// Hidden 64, 6 layers of 2 heads, feed-forward 256, on bert-base-uncased's vocabulary.
const QByteArray kTeacherConfig = R"({"model_type": "bert", "vocab_size": 30522, "hidden_size": 64,
    "num_hidden_layers": 6, "num_attention_heads": 2, "intermediate_size": 256, "max_position_embeddings": 128})";
const QByteArray kRecipe = R"({"num_train_epochs": 2, "learning_rate": 0.001, "per_device_train_batch_size": 32,
    "max_length": 64, "warmup_ratio": 0.1, "weight_decay": 0.01, "eval_strategy": "epoch", "threads": 1, "seed": 1})";

} // namespace

class CliDistillTest : public QObject {
    Q_OBJECT

private:
    QTemporaryDir mDir;
    QString mProject;
    QString mDistillConfig;
    int mTeacher = 0;
    int mStudent = 0;

    QString write(const QString &name, const QByteArray &content)
    {
        const QString path = mDir.filePath(name);
        ft::test::writeBytes(ft::test::toPath(path), content);
        return path;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(mDir.isValid());
        mProject = mDir.filePath(QStringLiteral("project"));
        QCOMPARE(runFinetune({"project", "init", mProject}).exitCode, 0);
        const auto imported = ft::test::importSst2(mProject, "sst2", mDir.filePath("sst2.tsv"), sst2WithSplits());
        QCOMPARE(imported.exitCode, 0);
    }

    void trainTeacher()
    {
        const fs::path model = ft::test::toPath(mDir.filePath(QStringLiteral("teacher")));
        fs::create_directories(model);
        for (const char *file : {"vocab.txt", "tokenizer.json", "tokenizer_config.json"})
            fs::copy_file(kShared / "data" / "tokenizers" / "bert-base-uncased" / file, model / file);
        ft::test::writeBytes(model / "config.json", kTeacherConfig);
        const auto result = runFinetune({"train", "--project", mProject, "--dataset", "sst2", "--model",
                                         QString::fromStdString("scratch:" + (model / "config.json").string()),
                                         "--config", write(QStringLiteral("teacher.json"), kRecipe), "--json"},
                                        {}, 600000);
        QVERIFY2(result.exitCode == 0, qPrintable(result.err));
        mTeacher = lastJsonLine(result.out)["run_id"].toInt();
        qInfo("teacher: SST-2 dev accuracy %.4f",
              lastJsonLine(result.out)["eval"].toObject()["eval_accuracy"].toDouble());
    }

    // The dataset and the model default to the teacher run's; the run records its teacher and
    // charts the two parts of its loss.
    void distilStudent()
    {
        QVERIFY(mTeacher > 0);
        QByteArray config = kRecipe;
        config.replace("\"seed\": 1", "\"seed\": 1, \"distill_teacher_run\": " + QByteArray::number(mTeacher)
                                          + ", \"student_layers\": 2, \"distill_temperature\": 2.0, \"distill_alpha\": 0.5");
        mDistillConfig = write(QStringLiteral("student.json"), config);
        const auto result =
            runFinetune({"train", "--project", mProject, "--config", mDistillConfig, "--json"}, {}, 600000);
        QVERIFY2(result.exitCode == 0, qPrintable(result.err));
        QVERIFY2(result.err.contains("into 2 layers initialised from its layers 0, 5"), qPrintable(result.err));
        mStudent = lastJsonLine(result.out)["run_id"].toInt();
        qInfo("student: SST-2 dev accuracy %.4f",
              lastJsonLine(result.out)["eval"].toObject()["eval_accuracy"].toDouble());

        const auto shown = runFinetune({"runs", "show", "--project", mProject, QString::number(mStudent), "--json"});
        QCOMPARE(shown.exitCode, 0);
        const QJsonObject run = lastJsonLine(shown.out);
        QCOMPARE(run["config"].toObject()["distill_teacher_run"].toInt(), mTeacher);
        QCOMPARE(run["config"].toObject()["student_layers"].toInt(), 2);
        const QJsonObject metrics = run["metrics"].toObject();
        QVERIFY(metrics.contains("train/distill_loss"));
        QVERIFY(metrics.contains("train/hard_loss"));
        const QJsonObject model = QJsonDocument::fromJson(ft::test::readBytes(ft::test::toPath(
                                      mProject + QStringLiteral("/runs/%1/model/config.json").arg(mStudent))))
                                      .object();
        QCOMPARE(model["num_hidden_layers"].toInt(), 2);
    }

    void distillationRefusals()
    {
        QVERIFY(mTeacher > 0);
        // Another model than the teacher's.
        auto result = runFinetune({"train", "--project", mProject, "--config", mDistillConfig, "--model",
                                   mDir.filePath(QStringLiteral("teacher"))});
        QCOMPARE(result.exitCode, 3);
        QVERIFY2(result.err.contains("leave the model out"), qPrintable(result.err));
        // A teacher that is not a finished run.
        QByteArray config = ft::test::readBytes(ft::test::toPath(mDistillConfig));
        config.replace("\"distill_teacher_run\": " + QByteArray::number(mTeacher), "\"distill_teacher_run\": 99");
        result = runFinetune({"train", "--project", mProject, "--config", write(QStringLiteral("bad.json"), config)});
        QCOMPARE(result.exitCode, 4);
    }

    // Size, latency at batch 1 and accuracy of the teacher, the student and their int8 copies.
    void compareTeacherStudentAndInt8()
    {
        QVERIFY(mStudent > 0);
        const auto result = runFinetune({"compare", "--project", mProject, "--runs",
                                         QStringLiteral("%1,%2").arg(mTeacher).arg(mStudent), "--quantized",
                                         "--latency-runs", "60", "--threads", "1", "--json"},
                                        {}, 600000);
        QVERIFY2(result.exitCode == 0, qPrintable(result.err));
        const QJsonObject comparison = lastJsonLine(result.out);
        const QJsonArray models = comparison["models"].toArray();
        QCOMPARE(models.size(), 4);
        const QJsonObject teacher = models[0].toObject(), teacherInt8 = models[1].toObject();
        const QJsonObject student = models[2].toObject(), studentInt8 = models[3].toObject();
        QCOMPARE(teacher["variant"].toString(), QStringLiteral("float32"));
        QCOMPARE(studentInt8["variant"].toString(), QStringLiteral("int8"));
        QCOMPARE(student["teacher_run"].toInt(), mTeacher);
        QCOMPARE(comparison["split"].toString(), QStringLiteral("validation"));
        QCOMPARE(student["examples"].toInt(), 872);
        for (const QJsonValue &value : models) {
            const QJsonObject m = value.toObject();
            qInfo("run %d %-8s %d layers, %d parameters, %.2f MB%s, %.3f ms (p90 %.3f) at batch 1, accuracy %.4f",
                  m["run_id"].toInt(), qPrintable(m["variant"].toString()), m["layers"].toInt(),
                  m["parameters"].toInt(), m["size_mb"].toDouble(), m["size_on_disk"].toBool() ? "" : " in memory",
                  m["latency_ms"].toDouble(), m["latency_p90_ms"].toDouble(), m["accuracy"].toDouble());
        }
        const double speedup = teacher["latency_ms"].toDouble() / student["latency_ms"].toDouble();
        qInfo("student %.2fx faster than its teacher at batch 1 (int8 student %.2fx)", speedup,
              teacher["latency_ms"].toDouble() / studentInt8["latency_ms"].toDouble());

        // The student keeps the embeddings, pooler and head and a third of the layers: the
        // encoder's work per token, (6 x) 2 x (4 h^2 + 2 h ff) multiply-adds a layer, is a third.
        QCOMPARE(teacher["layers"].toInt(), 6);
        QCOMPARE(student["layers"].toInt(), 2);
        const int perLayer = 4 * (64 * 64 + 64) + 2 * 64 * 256 + 256 + 64 + 4 * 64;
        QCOMPARE(teacher["parameters"].toInt() - student["parameters"].toInt(), 4 * perLayer);
        QVERIFY(teacher["layers"].toInt() / student["layers"].toInt() >= 2);
        // Measured round-robin in one process; a busy machine slows both alike. The encoder is
        // a third, the fixed costs (tokenising, embeddings, head) the same.
        QVERIFY2(speedup > 1.5, qPrintable(QString::number(speedup)));

        QVERIFY(teacher["accuracy"].toDouble() > 0.7);
        QVERIFY(student["accuracy"].toDouble() > 0.7);
        QVERIFY(std::abs(studentInt8["accuracy"].toDouble() - student["accuracy"].toDouble()) < 0.02);
        QVERIFY(studentInt8["bytes"].toDouble() < student["bytes"].toDouble());
        QVERIFY(!studentInt8["size_on_disk"].toBool());
    }

    void predictQuantized()
    {
        QVERIFY(mStudent > 0);
        const QString input = write(QStringLiteral("texts.csv"),
                                    "text\na gripping and beautifully acted film\na dull and lifeless mess\n");
        QStringList outputs;
        for (const char *quantize : {"none", "int8"}) {
            const QString output = mDir.filePath(QStringLiteral("predictions-%1.csv").arg(QLatin1String(quantize)));
            const auto result = runFinetune({"predict", "--model", mProject + QStringLiteral("/runs/%1").arg(mStudent),
                                             "--input", input, "--output", output, "--quantize", quantize});
            QVERIFY2(result.exitCode == 0, qPrintable(result.err));
            outputs << QString::fromUtf8(ft::test::readBytes(ft::test::toPath(output)));
        }
        QCOMPARE(outputs[1].trimmed().split(QLatin1Char('\n')).size(), 3);
        const auto labels = [](const QString &csv) {
            QStringList column;
            for (const QString &line : csv.trimmed().split(QLatin1Char('\n')).mid(1))
                column << line.section(QLatin1Char(','), 1, 1);
            return column;
        };
        QCOMPARE(labels(outputs[1]), labels(outputs[0]));
    }
};

FT_REGISTER_TEST(CliDistillTest);

#include "tst_cli_distill.moc"
