// tst_cli_untrusted_input.cpp: names and paths from a user's files and
// arguments through `finetune` as a script passes them. Label and dataset
// names written as SQL stay data through import (and its --labels filter),
// label add/rename/merge, stats, export and import back; image paths that
// lead out of the dataset's folder ("..", absolute, symbolic links) are
// refused row by row, each warning naming the file and line.
#include "clirunner.h"
#include "tempproject.h"
#include "testhelpers.h"
#include "testregistry.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using ft::test::lastJsonLine;
using ft::test::runFinetune;
using ft::test::toPath;

namespace {

const QString kDrop = QStringLiteral("'); DROP TABLE examples;--");
const QString kOr = QStringLiteral("x\" OR 1=1; DELETE FROM labels; --");
const QString kDataset = QStringLiteral("Bob's \"data\"'); DROP TABLE datasets;--");
const fs::path kImages = fs::path(FT_TEST_DATA_DIR) / "import-corpus" / "images";

QString csvField(QString text)
{
    return QLatin1Char('"') + text.replace(QLatin1Char('"'), QStringLiteral("\"\"")) + QLatin1Char('"');
}

void writeText(const fs::path &file, const QString &text)
{
    std::ofstream(file, std::ios::binary) << text.toStdString();
}

QJsonObject run(const QStringList &arguments)
{
    const auto result = runFinetune(arguments);
    if (result.exitCode != 0)
        qWarning() << arguments << result.exitCode << result.err;
    return lastJsonLine(result.out);
}

QStringList labelsOf(const QJsonObject &stats)
{
    QStringList names;
    const QJsonObject labels = stats.value("labels").toObject();
    for (auto it = labels.begin(); it != labels.end(); ++it)
        names << it.key() + QLatin1Char('=') + QString::number(it.value().toInt());
    names.sort();
    return names;
}

} // namespace

class CliUntrustedInputTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void sqlLookingNamesAreData()
    {
        QTemporaryDir dir;
        const QString project = dir.filePath(QStringLiteral("project"));
        QCOMPARE(runFinetune({"project", "init", project}).exitCode, 0);
        const fs::path csv = toPath(dir.filePath(QStringLiteral("hostile.csv")));
        writeText(csv, "text,label\nfirst text," + csvField(kDrop) + "\nsecond text,plain\nthird text," +
                           csvField(kDrop) + "\nfourth text,other\nfifth text,junk\n");

        // Create, filtering by label on the way in (junk is not allowed).
        const QJsonObject imported =
            run({"dataset", "import", QString::fromStdString(csv.string()), "--project", project, "--name", kDataset,
                 "--labels", kDrop + ",plain,other", "--json"});
        QCOMPARE(imported.value("imported").toInt(), 4);
        QCOMPARE(imported.value("dataset").toString(), kDataset);
        QCOMPARE(imported.value("labels").toObject().value(kDrop).toInt(), 2);
        QCOMPARE(imported.value("errors").toObject().value("count").toInt(), 1);
        const auto dataset = QStringList{"--project", project, "--name", kDataset, "--json"};

        const QJsonObject added = run(QStringList{"dataset", "label", "add", kOr} + dataset);
        QVERIFY(added.value("labels").toArray().contains(kOr));
        const QJsonObject renamed = run(QStringList{"dataset", "label", "rename", kDrop, kDrop + kOr} + dataset);
        QCOMPARE(renamed.value("target").toString(), kDrop + kOr);
        QCOMPARE(renamed.value("applied").toBool(), true);
        const QJsonObject merged =
            run(QStringList{"dataset", "label", "merge", "plain", "--into", kDrop + kOr, "--yes"} + dataset);
        QCOMPARE(merged.value("applied").toBool(), true);

        const QJsonObject stats = run(QStringList{"dataset", "stats"} + dataset);
        QCOMPARE(stats.value("dataset").toString(), kDataset);
        QCOMPARE(labelsOf(stats), (QStringList{kDrop + kOr + "=3", "other=1", kOr + "=0"}));

        // Export and import back: every name byte for byte.
        const QString exported = dir.filePath(QStringLiteral("export.csv"));
        QCOMPARE(run(QStringList{"dataset", "export", "--output", exported} + dataset).value("rows").toInt(), 4);
        const QJsonObject back = run({"dataset", "import", exported, "--project", project, "--name",
                                      kDataset + " (copy)", "--json"});
        QCOMPARE(back.value("imported").toInt(), 4);
        QCOMPARE(labelsOf(run({"dataset", "stats", "--project", project, "--name", kDataset + " (copy)", "--json"})),
                 (QStringList{kDrop + kOr + "=3", "other=1"}));

        // The tables are all there, with their rows, and the database is sound.
        const QJsonObject info = run({"project", "info", project, "--json"});
        QCOMPARE(info.value("integrity").toString(), QStringLiteral("ok"));
        QCOMPARE(info.value("examples").toInt(), 8);
        QStringList names;
        for (const QJsonValue &d : run({"dataset", "list", "--project", project, "--json"}).value("datasets").toArray())
            names << d.toObject().value("name").toString();
        QCOMPARE(names, (QStringList{kDataset, kDataset + " (copy)"}));
    }

    void imagePathsStayInTheDatasetFolder()
    {
        QTemporaryDir dir;
        const fs::path base = toPath(dir.path());
        fs::create_directories(base / "outside");
        fs::copy_file(kImages / "gray.bmp", base / "outside" / "secret.bmp");
        const fs::path data = base / "data";
        fs::create_directories(data / "images");
        fs::copy_file(kImages / "red.png", data / "images" / "red.png");
        fs::create_symlink(base / "outside" / "secret.bmp", data / "images" / "escape.bmp");
        writeText(data / "list.csv", "image,label\nimages/red.png,a\n../../etc/passwd,a\n" +
                                         QString::fromStdString((base / "outside" / "secret.bmp").string()) +
                                         ",b\nimages/escape.bmp,b\n../outside/secret.bmp,b\n");
        const QString project = dir.filePath(QStringLiteral("project"));
        QCOMPARE(runFinetune({"project", "init", project}).exitCode, 0);

        const QString list = QString::fromStdString((data / "list.csv").string());
        const auto result =
            runFinetune({"dataset", "import", list, "--project", project, "--name", "images", "--json"});
        QVERIFY2(result.exitCode == 0, qPrintable(result.err));
        const QJsonObject summary = lastJsonLine(result.out);
        QCOMPARE(summary.value("imported").toInt(), 1);
        const QJsonArray rejected = summary.value("rejected").toArray();
        QCOMPARE(rejected.size(), 4);
        const QStringList expected = {"leads outside", "is an absolute path", "is a symbolic link to", "leads outside"};
        for (int i = 0; i < rejected.size(); ++i) {
            const QJsonObject row = rejected[i].toObject();
            QCOMPARE(row.value("file").toString(), list);
            QCOMPARE(row.value("line").toInt(), i + 3);
            QVERIFY2(row.value("reason").toString().contains(expected[i]), qPrintable(row.value("reason").toString()));
        }
        // People see the same, file:line first.
        QVERIFY2(result.err.contains(list + ":3: image '../../etc/passwd' leads outside"), qPrintable(result.err));
        QVERIFY2(result.err.contains(list + ":5: image 'images/escape.bmp' is a symbolic link to"),
                 qPrintable(result.err));

        // Nothing but refused rows: nothing imported, an error.
        writeText(data / "only_outside.csv", "image,label\n../../etc/passwd,a\n");
        const QString onlyOutside = QString::fromStdString((data / "only_outside.csv").string());
        const auto none = runFinetune({"dataset", "import", onlyOutside, "--project", project, "--name", "nothing"});
        QCOMPARE(none.exitCode, 3);
        QVERIFY2(none.err.contains(QStringLiteral("only_outside.csv:2: image '../../etc/passwd' leads outside")),
                 qPrintable(none.err));
    }
};

FT_REGISTER_TEST(CliUntrustedInputTest);

#include "tst_cli_untrusted_input.moc"
