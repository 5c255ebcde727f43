// tst_cli_distributed.cpp: data-parallel training with `finetune train
// --nproc-per-node 2` (two worker processes on loopback with Gloo): the run
// equals single-process training with the same global batch, only rank 0
// writes to the project, a worker killed mid-run ends the run cleanly, which
// then resumes from its last checkpoint; and a run trained in a copy of the
// project comes back with `finetune runs import`.
#include "clirunner.h"
#include "tempproject.h"
#include "testhelpers.h"
#include "testregistry.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <signal.h>

#include <cmath>
#include <filesystem>

namespace fs = std::filesystem;
using ft::test::lastJsonLine;
using ft::test::runFinetune;

namespace {

QString writeFile(const QTemporaryDir &dir, const QString &name, const QByteArray &bytes)
{
    const QString file = dir.filePath(name);
    ft::test::writeBytes(ft::test::toPath(file), bytes);
    return file;
}

// The sample project, and its scratch BERT without dropout (results then depend on the rows alone).
QString sampleWithoutDropout(const QTemporaryDir &dir)
{
    const QString project = dir.filePath(QStringLiteral("sample"));
    if (runFinetune({"project", "sample", project}).exitCode != 0)
        return {};
    const fs::path model = ft::test::toPath(project) / "scratch-model";
    QByteArray config = ft::test::readBytes(model / "config.json");
    config.replace("\"hidden_dropout_prob\": 0.1", "\"hidden_dropout_prob\": 0.0");
    config.replace("\"attention_probs_dropout_prob\": 0.1", "\"attention_probs_dropout_prob\": 0.0");
    ft::test::writeBytes(model / "config.json", config);
    return project;
}

bool near(double a, double b, double tolerance)
{
    return std::abs(a - b) <= tolerance * std::max(1.0, std::abs(b));
}

// The pids of `parent`'s children, with their RANK.
QMap<int, qint64> workersOf(qint64 parent)
{
    QMap<int, qint64> ranks;
    for (const QString &entry : QDir(QStringLiteral("/proc")).entryList(QDir::Dirs)) {
        bool number = false;
        const qint64 pid = entry.toLongLong(&number);
        if (!number)
            continue;
        QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
        if (!stat.open(QIODevice::ReadOnly))
            continue;
        const QString text = QString::fromUtf8(stat.readAll());
        const QStringList fields = text.mid(text.lastIndexOf(QLatin1Char(')')) + 2).split(QLatin1Char(' '));
        if (fields.size() < 2 || fields[1].toLongLong() != parent)
            continue;
        QFile environ(QStringLiteral("/proc/%1/environ").arg(pid));
        if (!environ.open(QIODevice::ReadOnly))
            continue;
        for (const QByteArray &variable : environ.readAll().split('\0'))
            if (variable.startsWith("RANK="))
                ranks.insert(variable.mid(5).toInt(), pid);
    }
    return ranks;
}

} // namespace

class CliDistributedTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void twoWorkersEqualOneProcess()
    {
        QTemporaryDir dir;
        const QString project = sampleWithoutDropout(dir);
        QVERIFY(!project.isEmpty());
        const QString model = QStringLiteral("scratch:") + project + QStringLiteral("/scratch-model/config.json");
        const QByteArray common = R"("max_steps": 8, "learning_rate": 1e-3, "save_steps": 4, "eval_strategy": "steps",
            "eval_steps": 4, "logging_steps": 1, "threads": 1, "seed": 3, "max_length": 48)";
        const QString single = writeFile(dir, "single.json", "{" + common + R"(, "per_device_train_batch_size": 16})");
        const QString split = writeFile(dir, "split.json", "{" + common + R"(, "per_device_train_batch_size": 8})");

        const auto one = runFinetune({"train", "--project", project, "--dataset", "product-reviews", "--model", model,
                                      "--config", single, "--json"});
        QVERIFY2(one.exitCode == 0, qPrintable(one.err));
        const auto two = runFinetune({"train", "--project", project, "--dataset", "product-reviews", "--model", model,
                                      "--config", split, "--nproc-per-node", "2", "--json"});
        QVERIFY2(two.exitCode == 0, qPrintable(two.err));
        // Rank 0 alone reports: one summary line.
        QCOMPARE(two.out.trimmed().split(QLatin1Char('\n')).size(), 1);
        const QJsonObject a = lastJsonLine(one.out), b = lastJsonLine(two.out);
        QCOMPARE(b.value("steps").toInt(), 8);
        QCOMPARE(b.value("run_id").toInt(), 2);
        // The same global batch of 16: the same losses and model, up to float rounding.
        const double lossA = a.value("final_train_loss").toDouble(), lossB = b.value("final_train_loss").toDouble();
        QVERIFY2(near(lossB, lossA, 1e-4), qPrintable(QStringLiteral("%1 vs %2").arg(lossB).arg(lossA)));
        const double evalA = a.value("eval").toObject().value("eval_loss").toDouble();
        const double evalB = b.value("eval").toObject().value("eval_loss").toDouble();
        QVERIFY2(near(evalB, evalA, 1e-4), qPrintable(QStringLiteral("%1 vs %2").arg(evalB).arg(evalA)));
        const double testA = a.value("test").toObject().value("test_loss").toDouble();
        const double testB = b.value("test").toObject().value("test_loss").toDouble();
        qInfo("one process / two workers: final train loss %.9g / %.9g, eval loss %.9g / %.9g, test loss %.9g / %.9g",
              lossA, lossB, evalA, evalB, testA, testB);
        QVERIFY2(near(testB, testA, 1e-4), qPrintable(QStringLiteral("%1 vs %2").arg(testB).arg(testA)));

        // The project holds two runs, each with one loss point per step and its checkpoints.
        const auto runs = runFinetune({"runs", "list", "--project", project, "--json"});
        QCOMPARE(QJsonDocument::fromJson(runs.out.trimmed().toUtf8()).array().size(), 2);
        const auto shown = runFinetune({"runs", "show", "--project", project, "2", "--json"});
        QVERIFY2(shown.exitCode == 0, qPrintable(shown.err));
        QVERIFY2(shown.out.contains(QStringLiteral("\"state\":\"completed\"")), qPrintable(shown.out));
        QVERIFY(fs::is_regular_file(ft::test::toPath(project) / "runs" / "2" / "model" / "model.safetensors"));
        QVERIFY(fs::is_directory(ft::test::toPath(project) / "runs" / "2" / "checkpoint-8"));
    }

    void aKilledWorkerEndsTheRunWhichResumes()
    {
        QTemporaryDir dir;
        const QString project = sampleWithoutDropout(dir);
        QVERIFY(!project.isEmpty());
        const QString config = writeFile(dir, "run.json", R"({"max_steps": 60, "learning_rate": 1e-3, "save_steps": 5,
            "save_total_limit": 0, "eval_strategy": "no", "logging_steps": 1, "threads": 1,
            "per_device_train_batch_size": 8, "ddp_timeout": 30, "max_length": 48})");
        QProcess launcher;
        launcher.start(QStringLiteral(FINETUNE_CLI_PATH),
                       {"train", "--project", project, "--dataset", "product-reviews", "--model",
                        QStringLiteral("scratch:") + project + QStringLiteral("/scratch-model/config.json"), "--config",
                        config, "--nproc-per-node", "2", "--json"});
        QVERIFY(launcher.waitForStarted());
        const fs::path checkpoint = ft::test::toPath(project) / "runs" / "1" / "checkpoint-10";
        QElapsedTimer clock;
        clock.start();
        while (!fs::exists(checkpoint) && clock.elapsed() < 120000 && launcher.state() == QProcess::Running)
            QTest::qWait(20);
        QVERIFY2(fs::exists(checkpoint), qPrintable(launcher.readAllStandardError()));
        const QMap<int, qint64> workers = workersOf(launcher.processId());
        QCOMPARE(workers.size(), 2);
        QCOMPARE(::kill(pid_t(workers.value(1)), SIGKILL), 0);

        // Rank 0 sees its peer gone and stops; the launcher ends within a bounded time.
        clock.restart();
        QVERIFY(launcher.waitForFinished(90000));
        qInfo("the job ended %.1f s after a worker was killed", clock.elapsed() / 1000.0);
        QVERIFY(launcher.exitCode() != 0);
        const QString err = QString::fromUtf8(launcher.readAllStandardError());
        QVERIFY2(err.contains(QStringLiteral("worker 1 ended with exit code 137")), qPrintable(err));
        QVERIFY2(err.contains(QStringLiteral("failed on rank 0")), qPrintable(err));
        const auto failed = runFinetune({"runs", "show", "--project", project, "1", "--json"});
        QVERIFY2(failed.out.contains(QStringLiteral("\"state\":\"failed\"")), qPrintable(failed.out));

        // Both workers resume from the last checkpoint and finish the run.
        const auto resumed = runFinetune({"train", "--project", project, "--resume", "1", "--nproc-per-node", "2", "--json"});
        QVERIFY2(resumed.exitCode == 0, qPrintable(resumed.err));
        const QJsonObject summary = lastJsonLine(resumed.out);
        QCOMPARE(summary.value("run_id").toInt(), 1);
        QCOMPARE(summary.value("steps").toInt(), 60);
        QCOMPARE(summary.value("state").toString(), QStringLiteral("completed"));
    }

    // "Run elsewhere": a copy of the project trains (data-parallel) elsewhere; the run comes back whole.
    void aRunTrainedElsewhereComesBack()
    {
        QTemporaryDir dir;
        const QString project = sampleWithoutDropout(dir);
        QVERIFY(!project.isEmpty());
        const QString elsewhere = dir.filePath(QStringLiteral("cluster-copy"));
        fs::copy(ft::test::toPath(project), ft::test::toPath(elsewhere), fs::copy_options::recursive);
        const QString config = writeFile(dir, "run.json", R"({"max_steps": 6, "save_steps": 3, "logging_steps": 1,
            "threads": 1, "per_device_train_batch_size": 8, "max_length": 48, "eval_strategy": "steps", "eval_steps": 3})");
        const auto trained = runFinetune({"train", "--project", elsewhere, "--dataset", "product-reviews", "--model",
                                          QStringLiteral("scratch:") + elsewhere + QStringLiteral("/scratch-model/config.json"),
                                          "--config", config, "--nproc-per-node", "2", "--json"});
        QVERIFY2(trained.exitCode == 0, qPrintable(trained.err));

        const auto imported = runFinetune({"runs", "import", "--project", project, "--from", elsewhere, "1", "--json"});
        QVERIFY2(imported.exitCode == 0, qPrintable(imported.err));
        const QJsonObject result = lastJsonLine(imported.out);
        QCOMPARE(result.value("run_id").toInt(), 1);
        QCOMPARE(result.value("checkpoints").toInt(), 2);
        QVERIFY(result.value("metrics").toInt() >= 6 * 3); // loss, learning rate and gradient norm per step, and more
        const auto shown = runFinetune({"runs", "show", "--project", project, "1", "--json"});
        const QJsonObject run = QJsonDocument::fromJson(shown.out.trimmed().toUtf8()).object();
        QCOMPARE(run.value("state").toString(), QStringLiteral("completed"));
        QCOMPARE(run.value("checkpoints").toArray().size(), 2);
        QVERIFY(run.value("checkpoints").toArray()[0].toObject().value("path").toString().startsWith(
            QStringLiteral("runs/1/checkpoint-")));
        // Its model here evaluates as it did there.
        const auto there = runFinetune({"eval", "--project", elsewhere, "--run", "1", "--json"});
        const auto here = runFinetune({"eval", "--project", project, "--run", "1", "--json"});
        QVERIFY2(here.exitCode == 0, qPrintable(here.err));
        QCOMPARE(lastJsonLine(here.out).value("loss").toDouble(), lastJsonLine(there.out).value("loss").toDouble());

        const auto itself = runFinetune({"runs", "import", "--project", project, "--from", project, "1"});
        QCOMPARE(itself.exitCode, 3);
        QVERIFY2(itself.err.contains(QStringLiteral("is this project")), qPrintable(itself.err));
    }
};

FT_REGISTER_TEST(CliDistributedTest);

#include "tst_cli_distributed.moc"
