// tst_cli_dataset.cpp: `finetune dataset import|list|split`: the JSON summary,
// row errors on stderr, the documented exit codes, and Ctrl+C.
#include "clirunner.h"
#include "tempproject.h"
#include "testhelpers.h"
#include "testregistry.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>
#include <csignal>
#include <fstream>

using ft::test::lastJsonLine;
using ft::test::runFinetune;

namespace {

QString sharedData(const char *relative)
{
    return QStringLiteral(FT_SHARED_DIR "/data/") + QString::fromLatin1(relative);
}

QString newProject(const QTemporaryDir &dir)
{
    const QString folder = dir.filePath(QStringLiteral("project"));
    const auto init = runFinetune({QStringLiteral("project"), QStringLiteral("init"), folder});
    if (init.exitCode != 0)
        qWarning() << init.err;
    return folder;
}

} // namespace

class CliDatasetTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void importSmallCsvAsJson()
    {
        QTemporaryDir dir;
        const QString project = newProject(dir);
        const QString file = dir.filePath(QStringLiteral("reviews.csv"));
        ft::test::writeBytes(ft::test::toPath(file), "review;stars;note\n"     // 1 (semicolons, sniffed)
                                                     "\"great; really\";5;a\n" // 2
                                                     "bad;1;b\n"               // 3
                                                     "ragged;1\n"              // 4
                                                     "great;5;c\n"             // 5
                                                     "\"great; really\";5;d\n" // 6: duplicate of 2
                                                     ";5;e\n");                // 7: empty text
        const auto result = runFinetune({"dataset", "import", "--project", project, "--name", "reviews", file,
                                         "--label-column", "stars", "--json"});
        QCOMPARE(result.exitCode, 0);
        const QJsonObject summary = lastJsonLine(result.out);
        QCOMPARE(summary["dataset"].toString(), QStringLiteral("reviews"));
        QCOMPARE(summary["format"].toString(), QStringLiteral("csv"));
        QCOMPARE(summary["delimiter"].toString(), QStringLiteral(";"));
        QCOMPARE(summary["columns"].toObject()["text"].toString(), QStringLiteral("review"));
        QCOMPARE(summary["columns"].toObject()["label"].toString(), QStringLiteral("stars"));
        QVERIFY(summary["columns"].toObject()["text_pair"].isNull());
        QCOMPARE(summary["rows"].toInt(), 4);
        const QJsonObject errors = summary["errors"].toObject();
        QCOMPARE(errors["count"].toInt(), 2);
        const QJsonArray first = errors["first"].toArray();
        QCOMPARE(first.size(), 2);
        QCOMPARE(first[0].toObject()["line"].toInt(), 4);
        QCOMPARE(first[0].toObject()["file"].toString(), file);
        QVERIFY(first[0].toObject()["reason"].toString().contains(QStringLiteral("has 2 fields")));
        QCOMPARE(first[1].toObject()["line"].toInt(), 7);
        QCOMPARE(summary["duplicate_rows"].toObject()["count"].toInt(), 1);
        QCOMPARE(summary["duplicate_rows"].toObject()["first"].toArray()[0].toObject()["line"].toInt(), 6);
        QCOMPARE(summary["duplicate_rows"].toObject()["first"].toArray()[0].toObject()["first_line"].toInt(), 2);
        // The contract: imported, rejected (file, line, reason) and duplicates as a count.
        QCOMPARE(summary["imported"].toInt(), 4);
        QCOMPARE(summary["duplicates"].toInt(), 1);
        const QJsonArray rejected = summary["rejected"].toArray();
        QCOMPARE(rejected.size(), 2);
        QCOMPARE(rejected[0].toObject()["file"].toString(), file);
        QCOMPARE(rejected[0].toObject()["line"].toInt(), 4);
        QCOMPARE(rejected[0].toObject()["reason"].toString(),
                 QStringLiteral("has 2 fields where the header has 3 (split by ';')"));
        QCOMPARE(rejected[1].toObject()["line"].toInt(), 7);
        QCOMPARE(rejected[1].toObject()["reason"].toString(), QStringLiteral("the text (column 'review') is empty"));
        QCOMPARE(summary["columns_from"].toString(), QStringLiteral("given"));
        QCOMPARE(summary["encoding"].toString(), QStringLiteral("utf-8"));
        const QJsonObject labels = summary["labels"].toObject();
        QCOMPARE(labels.size(), 2);
        QCOMPARE(labels["5"].toInt(), 3);
        QCOMPARE(labels["1"].toInt(), 1);
        const QJsonObject splits = summary["splits"].toObject();
        QCOMPARE(splits["train"].toInt() + splits["validation"].toInt() + splits["test"].toInt(), 4);
        QCOMPARE(summary["splits_from"].toString(), QStringLiteral("stratified"));
        QCOMPARE(summary["seed"].toInt(), 42);
        // Row errors are warnings on stderr, naming file and line.
        QVERIFY2(result.err.contains(QStringLiteral("finetune: warning: ") + file + QStringLiteral(":4: ")),
                 qPrintable(result.err));
        QVERIFY(result.err.contains(file + QStringLiteral(":7: the text (column 'review') is empty")));
    }

    void importSst2()
    {
        QTemporaryDir dir;
        const QString project = newProject(dir);
        const auto result = runFinetune({"dataset", "import", "--project", project, "--name", "sst2",
                                         sharedData("sst2/train.tsv"), "--text-column", "sentence", "--label-column",
                                         "label", "--seed", "7", "--split-ratios", "0.9,0.05,0.05", "--json"});
        QCOMPARE(result.exitCode, 0);
        const QJsonObject summary = lastJsonLine(result.out);
        QCOMPARE(summary["rows"].toInt(), 6920);
        QCOMPARE(summary["format"].toString(), QStringLiteral("tsv"));
        QCOMPARE(summary["errors"].toObject()["count"].toInt(), 0);
        QCOMPARE(summary["duplicates"].toInt(), 9); // SOURCE.md: 9 duplicate sentences
        QCOMPARE(summary["imported"].toInt(), 6920);
        QCOMPARE(summary["rejected"].toArray().size(), 0);
        QCOMPARE(summary["labels"].toObject()["0"].toInt(), 3310);
        QCOMPARE(summary["labels"].toObject()["1"].toInt(), 3610);
        QCOMPARE(summary["seed"].toInt(), 7);
        const QJsonObject splits = summary["splits"].toObject();
        QCOMPARE(splits["train"].toInt() + splits["validation"].toInt() + splits["test"].toInt(), 6920);
        QVERIFY(std::abs(splits["train"].toInt() - 6228) <= 2);

        // Text output, and the list.
        const auto text = runFinetune({"dataset", "import", "--project", project, "--name", "dev",
                                       sharedData("sst2/dev.tsv")});
        QCOMPARE(text.exitCode, 0);
        QVERIFY2(text.out.contains(QStringLiteral("Imported 872 rows from dev.tsv into dataset 'dev'")),
                 qPrintable(text.out));
        QVERIFY(text.out.contains(QStringLiteral("Duplicates  0")));

        const auto list = runFinetune({"dataset", "list", "--project", project, "--json"});
        QCOMPARE(list.exitCode, 0);
        const QJsonArray datasets = lastJsonLine(list.out)["datasets"].toArray();
        QCOMPARE(datasets.size(), 2);
        QCOMPARE(datasets[0].toObject()["name"].toString(), QStringLiteral("dev"));
        QCOMPARE(datasets[0].toObject()["examples"].toInt(), 872);
        QCOMPARE(datasets[1].toObject()["name"].toString(), QStringLiteral("sst2"));
        QCOMPARE(datasets[1].toObject()["labels"].toInt(), 2);
        QCOMPARE(datasets[1].toObject()["train"].toInt(), splits["train"].toInt());
        const auto plain = runFinetune({"dataset", "list", "--project", project});
        QCOMPARE(plain.exitCode, 0);
        QVERIFY(plain.out.contains(QStringLiteral("sst2: 6920 examples, 2 labels")));

        // Re-split and see the list follow.
        const auto split = runFinetune({"dataset", "split", "--project", project, "--name", "dev", "--split-ratios",
                                        "50,25,25", "--json"});
        QCOMPARE(split.exitCode, 0);
        QCOMPARE(lastJsonLine(split.out)["splits"].toObject()["train"].toInt(), 436);
        QCOMPARE(runFinetune({"dataset", "split", "--project", project, "--name", "none"}).exitCode, 4);
    }

    void importSmsSpamWithoutHeader()
    {
        QTemporaryDir dir;
        const QString project = newProject(dir);
        const auto result = runFinetune({"dataset", "import", "--project", project, "--name", "sms",
                                         sharedData("sms_spam/SMSSpamCollection"), "--no-header", "--no-quoting",
                                         "--delimiter", "tab", "--text-column", "2", "--label-column", "1", "--json"});
        QCOMPARE(result.exitCode, 0);
        const QJsonObject summary = lastJsonLine(result.out);
        QCOMPARE(summary["rows"].toInt(), 5574);
        QCOMPARE(summary["labels"].toObject()["ham"].toInt(), 4827);
        QCOMPARE(summary["labels"].toObject()["spam"].toInt(), 747);
    }

    void exitCodes()
    {
        QTemporaryDir dir;
        const QString project = newProject(dir);
        const auto missingFile = runFinetune({"dataset", "import", "--project", project, "--name", "x",
                                              dir.filePath(QStringLiteral("absent.csv"))});
        QCOMPARE(missingFile.exitCode, 4);
        QVERIFY(missingFile.err.contains(QStringLiteral("absent.csv does not exist")));
        QVERIFY(missingFile.out.isEmpty());

        const auto missingColumn = runFinetune({"dataset", "import", "--project", project, "--name", "x",
                                                sharedData("sst2/dev.tsv"), "--text-column", "review"});
        QCOMPARE(missingColumn.exitCode, 3);
        QVERIFY2(missingColumn.err.contains(QStringLiteral("has no column 'review'")), qPrintable(missingColumn.err));
        QVERIFY(missingColumn.err.contains(QStringLiteral("its columns are: sentence, label")));

        const auto missingProject = runFinetune({"dataset", "list", "--project", dir.filePath(QStringLiteral("nope"))});
        QCOMPARE(missingProject.exitCode, 4);

        const QString utf16 = dir.filePath(QStringLiteral("utf16.csv"));
        ft::test::writeBytes(ft::test::toPath(utf16), QByteArray("\xFF\xFEt\0,\0", 6));
        QCOMPARE(runFinetune({"dataset", "import", "--project", project, "--name", "x", utf16}).exitCode, 3);

        QCOMPARE(runFinetune({"dataset", "import", "--project", project, sharedData("sst2/dev.tsv")}).exitCode, 2);
        QCOMPARE(runFinetune({"dataset", "import", "--project", project, "--name", "x", sharedData("sst2/dev.tsv"),
                              "--format", "xlsx"})
                     .exitCode,
                 2);
        QCOMPARE(runFinetune({"dataset", "import", "--project", project, "--name", "x", sharedData("sst2/dev.tsv"),
                              "--split-ratios", "1,2"})
                     .exitCode,
                 2);

        // Nothing was created by the failures; a taken name is invalid input.
        QCOMPARE(runFinetune({"dataset", "import", "--project", project, "--name", "x", sharedData("sst2/dev.tsv")})
                     .exitCode,
                 0);
        const auto taken =
            runFinetune({"dataset", "import", "--project", project, "--name", "x", sharedData("sst2/dev.tsv")});
        QCOMPARE(taken.exitCode, 3);
        QVERIFY(taken.err.contains(QStringLiteral("already exists")));
        const auto list = runFinetune({"dataset", "list", "--project", project, "--json"});
        QCOMPARE(lastJsonLine(list.out)["datasets"].toArray().size(), 1);
    }

    // An import that keeps no row fails with exit 3 and creates nothing,
    // though --json still ends with the report saying why.
    void importKeepingNothingFails()
    {
        QTemporaryDir dir;
        const QString project = newProject(dir);
        const QString headerOnly = dir.filePath(QStringLiteral("header.csv"));
        ft::test::writeBytes(ft::test::toPath(headerOnly), "text,label\n");
        const auto empty =
            runFinetune({"dataset", "import", "--project", project, "--name", "x", headerOnly, "--json"});
        QCOMPARE(empty.exitCode, 3);
        const QJsonObject summary = lastJsonLine(empty.out);
        QCOMPARE(summary["imported"].toInt(), 0);
        QCOMPARE(summary["rejected"].toArray().size(), 0);
        QCOMPARE(summary["duplicates"].toInt(), 0);
        QVERIFY(summary["dataset_id"].isNull());
        QVERIFY2(empty.err.contains(QStringLiteral("nothing imported from ") + headerOnly
                                    + QStringLiteral(": it holds no rows; no dataset was created")),
                 qPrintable(empty.err));

        const QString allBad = dir.filePath(QStringLiteral("bad.csv"));
        ft::test::writeBytes(ft::test::toPath(allBad), "text,label\n,a\nx,y,z\n");
        const auto bad = runFinetune({"dataset", "import", "--project", project, "--name", "x", allBad, "--json"});
        QCOMPARE(bad.exitCode, 3);
        const QJsonArray rejected = lastJsonLine(bad.out)["rejected"].toArray();
        QCOMPARE(rejected.size(), 2);
        QCOMPARE(rejected[1].toObject()["line"].toInt(), 3);
        QCOMPARE(rejected[1].toObject()["file"].toString(), allBad);
        QVERIFY(bad.err.contains(QStringLiteral("all 2 rows were rejected")));
        const auto list = runFinetune({"dataset", "list", "--project", project, "--json"});
        QCOMPARE(lastJsonLine(list.out)["datasets"].toArray().size(), 0);
    }

    // Plain text, an encoding, a folder of class folders, column numbers,
    // and a mapping remembered for the next file of the same columns.
    void importFormatsEncodingsAndRememberedColumns()
    {
        QTemporaryDir dir;
        const QString project = newProject(dir);
        const QString gbk = dir.filePath(QStringLiteral("reviews.txt"));
        ft::test::writeBytes(ft::test::toPath(gbk), QByteArray("\xBA\xC3\xC6\xC0\n\n\xB2\xEE\xC6\xC0\n\x81\n"));
        const auto text = runFinetune({"dataset", "import", "--project", project, "--name", "gbk", gbk, "--encoding",
                                       "gbk", "--json"});
        QCOMPARE(text.exitCode, 0);
        QJsonObject summary = lastJsonLine(text.out);
        QCOMPARE(summary["format"].toString(), QStringLiteral("text"));
        QCOMPARE(summary["encoding"].toString(), QStringLiteral("gbk"));
        QCOMPARE(summary["imported"].toInt(), 2);
        QCOMPARE(summary["rejected"].toArray()[0].toObject()["line"].toInt(), 4);
        QCOMPARE(summary["rejected"].toArray()[0].toObject()["reason"].toString(),
                 QStringLiteral("invalid GBK in the line (byte 0x81 at offset 0); is the file really GBK?"));
        QCOMPARE(runFinetune({"dataset", "import", "--project", project, "--name", "y", gbk, "--encoding", "ebcdic"})
                     .exitCode,
                 2);

        const QString folder = QStringLiteral(FT_TEST_DATA_DIR "/import-corpus/split_image_folder");
        const auto images =
            runFinetune({"dataset", "import", "--project", project, "--name", "images", folder, "--json"});
        QCOMPARE(images.exitCode, 0);
        summary = lastJsonLine(images.out);
        QCOMPARE(summary["format"].toString(), QStringLiteral("image-folder"));
        QCOMPARE(summary["imported"].toInt(), 3);
        QCOMPARE(summary["columns"].toObject()["image"].toString(), QStringLiteral("image"));
        QVERIFY(summary["columns"].toObject()["text"].isNull());
        QCOMPARE(summary["splits_from"].toString(), QStringLiteral("file"));

        const QString first = dir.filePath(QStringLiteral("first.csv"));
        const QString second = dir.filePath(QStringLiteral("second.csv"));
        ft::test::writeBytes(ft::test::toPath(first), "pos,great film\nneg,dull\n");
        ft::test::writeBytes(ft::test::toPath(second), "neg,too long\npos,  fine\n");
        const auto numbered = runFinetune({"dataset", "import", "--project", project, "--name", "first", first,
                                           "--no-header", "--text-column", "2", "--label-column", "1", "--json"});
        QCOMPARE(numbered.exitCode, 0);
        summary = lastJsonLine(numbered.out);
        QCOMPARE(summary["columns"].toObject()["text"].toString(), QStringLiteral("2"));
        QCOMPARE(summary["columns_from"].toString(), QStringLiteral("given"));
        QCOMPARE(summary["labels"].toObject()["pos"].toInt(), 1);
        const auto again = runFinetune({"dataset", "import", "--project", project, "--name", "second", second,
                                        "--no-header"});
        QCOMPARE(again.exitCode, 0);
        QVERIFY2(again.out.contains(QStringLiteral("Columns     as remembered for files with these columns")),
                 qPrintable(again.out));
        QVERIFY(again.out.contains(QStringLiteral("text: 2, label: 1")));

        const auto help = runFinetune({"dataset", "import", "--help"});
        QVERIFY(help.out.contains(QStringLiteral("--text-column 2 is the second")));
        QVERIFY(help.out.contains(QStringLiteral("--encoding")));
    }

    // Ctrl+C during an import: exit 130 and no dataset left behind.
    void interruptCancels()
    {
        QTemporaryDir dir;
        const QString project = newProject(dir);
        const QString file = dir.filePath(QStringLiteral("big.csv"));
        {
            std::ofstream out(ft::test::toPath(file), std::ios::binary);
            out << "text,label\n";
            for (int i = 0; i < 400000; ++i)
                out << "row number " << i << " with a few more words," << (i % 3) << '\n';
        }
        QProcess process;
        process.start(QStringLiteral(FINETUNE_CLI_PATH),
                      {"dataset", "import", "--project", project, "--name", "big", file});
        QVERIFY(process.waitForStarted());
        // The first progress line comes after the interrupt handler is installed.
        while (process.readAllStandardError().isEmpty() && process.state() == QProcess::Running)
            process.waitForReadyRead(100);
        QCOMPARE(process.state(), QProcess::Running);
        ::kill(pid_t(process.processId()), SIGINT);
        QVERIFY(process.waitForFinished(60000));
        QCOMPARE(process.exitCode(), 130);
        QVERIFY(QString::fromUtf8(process.readAllStandardError()).contains(QStringLiteral("cancelled")));
        const auto list = runFinetune({"dataset", "list", "--project", project, "--json"});
        QCOMPARE(lastJsonLine(list.out)["datasets"].toArray().size(), 0);
    }
};

FT_REGISTER_TEST(CliDatasetTest);

#include "tst_cli_dataset.moc"
