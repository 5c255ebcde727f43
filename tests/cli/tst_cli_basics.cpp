// tst_cli_basics.cpp: `finetune --help|--version`, `project`, `doctor`, and
// the documented exit codes.
#include "clirunner.h"
#include "tempproject.h"
#include "testhelpers.h"
#include "testregistry.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QJsonArray>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

using ft::test::lastJsonLine;
using ft::test::runFinetune;

class CliBasicsTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void versionAndHelp()
    {
        auto version = runFinetune({QStringLiteral("--version")});
        QCOMPARE(version.exitCode, 0);
        QCOMPARE(version.out.trimmed(), QStringLiteral("finetune " FINETUNE_VERSION));

        auto help = runFinetune({QStringLiteral("--help")});
        QCOMPARE(help.exitCode, 0);
        for (const char *word : {"project", "doctor", "Exit codes", "130"})
            QVERIFY2(help.out.contains(QLatin1String(word)), word);

        auto projectHelp = runFinetune({QStringLiteral("project"), QStringLiteral("--help")});
        QCOMPARE(projectHelp.exitCode, 0);
        for (const char *word : {"init", "info", "sample"})
            QVERIFY2(projectHelp.out.contains(QLatin1String(word)), word);
    }

    void usageErrorsExitWith2_data()
    {
        QTest::addColumn<QStringList>("arguments");
        QTest::newRow("no command") << QStringList();
        QTest::newRow("unknown command") << QStringList{QStringLiteral("fly")};
        QTest::newRow("unknown option") << QStringList{QStringLiteral("doctor"), QStringLiteral("--frobnicate")};
        QTest::newRow("missing path") << QStringList{QStringLiteral("project"), QStringLiteral("init")};
        QTest::newRow("bad number") << QStringList{QStringLiteral("doctor"), QStringLiteral("--matmul-size"),
                                                   QStringLiteral("lots")};
    }

    void usageErrorsExitWith2()
    {
        QFETCH(QStringList, arguments);
        const auto result = runFinetune(arguments);
        QCOMPARE(result.exitCode, 2);
        QVERIFY(result.out.isEmpty() || !result.err.isEmpty());
    }

    void projectInitAndInfo()
    {
        QTemporaryDir dir;
        const QString folder = dir.filePath(QStringLiteral("demo"));
        auto init = runFinetune({QStringLiteral("project"), QStringLiteral("init"), folder});
        QCOMPARE(init.exitCode, 0);
        QVERIFY(init.out.contains(QStringLiteral("Created project demo")));
        QVERIFY(QFile::exists(folder + QStringLiteral("/project.sqlite")));

        auto again = runFinetune({QStringLiteral("project"), QStringLiteral("init"), folder});
        QCOMPARE(again.exitCode, 3);
        QVERIFY(again.err.startsWith(QStringLiteral("finetune: error: ")));
        QVERIFY(again.err.contains(QStringLiteral("already holds a project")));

        auto info = runFinetune({QStringLiteral("project"), QStringLiteral("info"), folder});
        QCOMPARE(info.exitCode, 0);
        QVERIFY(info.out.contains(QStringLiteral("Schema     v5")));
        QVERIFY(info.out.contains(QStringLiteral("Integrity  ok")));

        auto json = runFinetune({QStringLiteral("project"), QStringLiteral("info"), folder, QStringLiteral("--json")});
        QCOMPARE(json.exitCode, 0);
        const QJsonObject object = lastJsonLine(json.out);
        QCOMPARE(object.value(QStringLiteral("schema_version")).toInt(), 5); // v5: wall time of metric points
        QCOMPARE(object.value(QStringLiteral("integrity")).toString(), QStringLiteral("ok"));
        QCOMPARE(object.value(QStringLiteral("datasets")).toArray().size(), 0);
    }

    void projectErrorsHaveTheirExitCodes()
    {
        QTemporaryDir dir;
        auto missing = runFinetune({QStringLiteral("project"), QStringLiteral("info"), dir.filePath(QStringLiteral("none"))});
        QCOMPARE(missing.exitCode, 4);
        QVERIFY(missing.err.contains(QStringLiteral("does not exist")));
        QVERIFY(missing.out.isEmpty());

        const QString notProject = dir.filePath(QStringLiteral("csv"));
        QDir().mkpath(notProject);
        ft::test::writeBytes(ft::test::toPath(notProject + QStringLiteral("/project.sqlite")), "a,b\n1,2\n");
        auto invalid = runFinetune({QStringLiteral("project"), QStringLiteral("info"), notProject});
        QCOMPARE(invalid.exitCode, 3);
        QVERIFY(invalid.err.contains(QStringLiteral("not a Finetune Studio project")));

        const QString newer = dir.filePath(QStringLiteral("newer"));
        QCOMPARE(runFinetune({QStringLiteral("project"), QStringLiteral("init"), newer}).exitCode, 0);
        {
            // Mark it as written by a future schema, as a newer studio would.
            QProcess sqlite;
            sqlite.start(QStringLiteral("sqlite3"),
                         {newer + QStringLiteral("/project.sqlite"), QStringLiteral("PRAGMA user_version = 99")});
            if (!sqlite.waitForFinished() || sqlite.exitCode() != 0)
                QSKIP("the sqlite3 shell is needed to forge a newer project");
        }
        auto incompatible = runFinetune({QStringLiteral("project"), QStringLiteral("info"), newer});
        QCOMPARE(incompatible.exitCode, 5);
        QVERIFY(incompatible.err.contains(QStringLiteral("newer Finetune Studio")));
    }

    void sampleProject()
    {
        QTemporaryDir dir;
        const QString folder = dir.filePath(QStringLiteral("sample"));
        auto first = runFinetune({QStringLiteral("project"), QStringLiteral("sample"), folder});
        QCOMPARE(first.exitCode, 0);
        QVERIFY(first.out.contains(QStringLiteral("Created sample project")));
        auto second = runFinetune({QStringLiteral("project"), QStringLiteral("sample"), folder});
        QCOMPARE(second.exitCode, 0);
        QVERIFY(second.out.contains(QStringLiteral("already present")));

        auto json = runFinetune({QStringLiteral("project"), QStringLiteral("info"), folder, QStringLiteral("--json")});
        const QJsonArray datasets = lastJsonLine(json.out).value(QStringLiteral("datasets")).toArray();
        QCOMPARE(datasets.size(), 2);
        QCOMPARE(datasets[0].toObject().value(QStringLiteral("examples")).toInt(), 1200);
        QCOMPARE(datasets[0].toObject().value(QStringLiteral("labels")).toInt(), 3);
        QCOMPARE(datasets[1].toObject().value(QStringLiteral("name")).toString(), QStringLiteral("shapes"));
        QCOMPARE(datasets[1].toObject().value(QStringLiteral("examples")).toInt(), 600);
    }

    void doctorReportsTheMachine()
    {
        auto json = runFinetune({QStringLiteral("doctor"), QStringLiteral("--json"), QStringLiteral("--matmul-size"),
                                 QStringLiteral("256")});
        QCOMPARE(json.exitCode, 0);
        const QJsonObject report = lastJsonLine(json.out);
        QCOMPARE(report.value(QStringLiteral("version")).toString(), QStringLiteral(FINETUNE_VERSION));
        QVERIFY(!report.value(QStringLiteral("libtorch")).toString().isEmpty());
        QVERIFY(!report.value(QStringLiteral("sqlite")).toString().isEmpty());
        QVERIFY(!report.value(QStringLiteral("blas_library")).toString().isEmpty());
        QVERIFY(report.value(QStringLiteral("hardware_threads")).toInt() >= 1);
        QVERIFY(report.value(QStringLiteral("torch_threads")).toInt() >= 1);
        QVERIFY(report.value(QStringLiteral("gpus")).isArray());
        const QJsonObject matmul = report.value(QStringLiteral("matmul")).toObject();
        QCOMPARE(matmul.value(QStringLiteral("size")).toInt(), 256);
        QVERIFY(matmul.value(QStringLiteral("gflops_1_thread")).toDouble() > 0);
        QVERIFY(matmul.value(QStringLiteral("gflops_all_threads")).toDouble() > 0);

        auto text = runFinetune({QStringLiteral("doctor"), QStringLiteral("--matmul-size"), QStringLiteral("256")});
        QCOMPARE(text.exitCode, 0);
        for (const char *word : {"LibTorch", "SQLite", "sgemm_ from", "Threads", "CUDA", "GFLOP/s"})
            QVERIFY2(text.out.contains(QLatin1String(word)), word);
    }
};

FT_REGISTER_TEST(CliBasicsTest);

#include "tst_cli_basics.moc"
