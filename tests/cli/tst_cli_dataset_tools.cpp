// tst_cli_dataset_tools.cpp: `finetune dataset stats|export|label ...`: the
// exact JSON of stats, export files that import back to the same stats, and
// label changes that say first what they do and act only with --yes.
#include "clirunner.h"
#include "tempproject.h"
#include "testhelpers.h"
#include "testregistry.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

using ft::test::lastJsonLine;
using ft::test::runFinetune;

namespace {

// A CSV with its own split column, so that every count is known exactly.
const QByteArray kReviews = "text,text_pair,label,split\n"
                            "\"great, really\",,pos,train\n"
                            "bad,,neg,train\n"
                            "\"multi\nline\",second,pos,validation\n"
                            "日本語,,neg,test\n"
                            "meh,,,train\n"
                            "fine 😀,,pos,test\n";

struct Setup {
    QTemporaryDir dir;
    QString project;

    Setup()
    {
        project = dir.filePath(QStringLiteral("project"));
        runFinetune({"project", "init", project});
        const QString file = dir.filePath(QStringLiteral("reviews.csv"));
        ft::test::writeBytes(ft::test::toPath(file), kReviews);
        const auto import = runFinetune({"dataset", "import", "--project", project, "--name", "reviews", file});
        if (import.exitCode != 0)
            qWarning() << import.err;
    }
    QString path(const char *name) const { return dir.filePath(QString::fromUtf8(name)); }
    // The last line of `dataset stats --json`, as text.
    QString statsLine(const QString &name = QStringLiteral("reviews")) const
    {
        const auto stats = runFinetune({"dataset", "stats", "--project", project, "--name", name, "--json"});
        const QStringList lines = stats.out.trimmed().split(QLatin1Char('\n'));
        return stats.exitCode == 0 ? lines.last() : QStringLiteral("exit %1: %2").arg(stats.exitCode).arg(stats.err);
    }
};

} // namespace

class CliDatasetToolsTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void statsJsonIsExact()
    {
        Setup s;
        QCOMPARE(s.statsLine(),
                 QStringLiteral(
                     "{\"rows\":6,\"labels\":{\"pos\":3,\"neg\":2},\"splits\":{\"train\":3,\"validation\":1,\"test\":2,\"unassigned\":0},"
                     "\"dataset\":\"reviews\",\"unlabelled\":1,"
                     "\"labels_by_split\":{\"pos\":{\"train\":1,\"validation\":1,\"test\":1,\"unassigned\":0},"
                     "\"neg\":{\"train\":1,\"validation\":0,\"test\":1,\"unassigned\":0}},"
                     "\"unlabelled_by_split\":{\"train\":1,\"validation\":0,\"test\":0,\"unassigned\":0},"
                     "\"with_text_pair\":1,\"text_length\":{\"min\":3,\"mean\":6.33,\"max\":13}}"));

        const auto text = runFinetune({"dataset", "stats", "--project", s.project, "--name", "reviews"});
        QCOMPARE(text.exitCode, 0);
        QVERIFY2(text.out.contains(QStringLiteral("Dataset 'reviews': 6 rows (train 3, validation 1, test 2, unassigned 0)")),
                 qPrintable(text.out));
        QVERIFY2(text.out.contains(QStringLiteral("(unlabelled)        1           0       0           0        1")),
                 qPrintable(text.out));
        QVERIFY(text.out.contains(QStringLiteral("Text length 3 to 13 code points, mean 6.3; 1 with a text pair")));

        const auto missing = runFinetune({"dataset", "stats", "--project", s.project, "--name", "nope"});
        QCOMPARE(missing.exitCode, 4);
        QVERIFY(missing.err.contains(QStringLiteral("no dataset named 'nope'")));
        QCOMPARE(runFinetune({"dataset", "stats", "--project", s.project}).exitCode, 2);
    }

    void exportWritesFilesThatImportBack()
    {
        Setup s;
        const QString csv = s.path("out.csv");
        const auto exported = runFinetune({"dataset", "export", "--project", s.project, "--name", "reviews",
                                           "--output", csv, "--json"});
        QCOMPARE(exported.exitCode, 0);
        const QJsonObject summary = lastJsonLine(exported.out);
        QCOMPARE(summary["rows"].toInt(), 6);
        QCOMPARE(summary["format"].toString(), QStringLiteral("csv"));
        QVERIFY(summary["split"].isNull());
        QCOMPARE(summary["file"].toString(), csv);
        const QByteArray want = "text,text_pair,label,split\r\n"
                                "\"great, really\",,pos,train\r\n"
                                "bad,,neg,train\r\n"
                                "\"multi\nline\",second,pos,validation\r\n"
                                "日本語,,neg,test\r\n"
                                "meh,,,train\r\n"
                                "fine 😀,,pos,test\r\n";
        QCOMPARE(ft::test::readBytes(ft::test::toPath(csv)), want);
        QCOMPARE(summary["bytes"].toInt(), int(want.size()));

        // Both formats import back to the same stats.
        const QString jsonl = s.path("out.data");
        QCOMPARE(runFinetune({"dataset", "export", "--project", s.project, "--name", "reviews", "--output", jsonl,
                              "--format", "jsonl"}).exitCode,
                 0);
        for (const QString &file : {csv, jsonl}) {
            const QString name = QFileInfo(file).suffix();
            const auto import = runFinetune({"dataset", "import", "--project", s.project, "--name", name, file,
                                             "--format", name == QStringLiteral("csv") ? "csv" : "jsonl"});
            QVERIFY2(import.exitCode == 0, qPrintable(import.err));
            QCOMPARE(s.statsLine(name), s.statsLine().replace(QStringLiteral("\"reviews\""), QStringLiteral("\"%1\"").arg(name)));
        }

        // One split, in JSON Lines from the extension.
        const QString test = s.path("test.jsonl");
        const auto split = runFinetune({"dataset", "export", "--project", s.project, "--name", "reviews", "--output",
                                        test, "--split", "test"});
        QCOMPARE(split.exitCode, 0);
        QVERIFY2(split.out.contains(QStringLiteral("Exported 2 rows of dataset 'reviews' (test) to ")), qPrintable(split.out));
        QCOMPARE(ft::test::readBytes(ft::test::toPath(test)),
                 QByteArray("{\"text\":\"日本語\",\"label\":\"neg\",\"split\":\"test\"}\n"
                            "{\"text\":\"fine 😀\",\"label\":\"pos\",\"split\":\"test\"}\n"));

        const auto unknown = runFinetune({"dataset", "export", "--project", s.project, "--name", "reviews",
                                          "--output", s.path("out.txt")});
        QCOMPARE(unknown.exitCode, 3);
        QVERIFY(unknown.err.contains(QStringLiteral("use .csv or .jsonl")));
        QVERIFY(!QFileInfo::exists(s.path("out.txt")));
        QCOMPARE(runFinetune({"dataset", "export", "--project", s.project, "--name", "reviews", "--output", csv,
                              "--split", "holdout"}).exitCode,
                 2);
        QCOMPARE(runFinetune({"dataset", "export", "--project", s.project, "--name", "nope", "--output", csv}).exitCode,
                 4);
    }

    void labelChangesSayFirstAndActWithYes()
    {
        Setup s;
        const QStringList base = {"dataset", "label"};
        const QStringList where = {"--project", s.project, "--name", "reviews"};

        const auto add = runFinetune(base + QStringList{"add"} + where + QStringList{"meh", "'); DROP TABLE examples;--", "--json"});
        QCOMPARE(add.exitCode, 0);
        QCOMPARE(lastJsonLine(add.out)["labels"].toArray().size(), 4);
        QCOMPARE(runFinetune(base + QStringList{"add"} + where + QStringList{"new", "pos"}).exitCode, 3);
        QCOMPARE(lastJsonLine(runFinetune(base + QStringList{"add"} + where + QStringList{"x", "--json"}).out)["labels"]
                     .toArray()
                     .size(),
                 5); // the failed add above added neither label

        // Merge: a dry run first.
        const QStringList merge = base + QStringList{"merge"} + where + QStringList{"neg", "meh", "--into", "pos"};
        const auto dry = runFinetune(merge);
        QCOMPARE(dry.exitCode, 0);
        QCOMPARE(dry.out, QStringLiteral("2 examples (train 1, validation 0, test 1, unassigned 0) will move from "
                                         "'neg', 'meh' to 'pos'; labels 'neg', 'meh' will be removed.\n"
                                         "Nothing changed; rerun with --yes to apply.\n"));
        const auto dryJson = runFinetune(merge + QStringList{"--json"});
        QCOMPARE(lastJsonLine(dryJson.out)["applied"].toBool(), false);
        QCOMPARE(lastJsonLine(dryJson.out)["examples"].toObject()["total"].toInt(), 2);
        QCOMPARE(s.statsLine().section(QStringLiteral(",\"dataset\""), 0, 0),
                 QStringLiteral("{\"rows\":6,\"labels\":{\"pos\":3,\"neg\":2,\"meh\":0,\"'); DROP TABLE examples;--\":0,\"x\":0},"
                                "\"splits\":{\"train\":3,\"validation\":1,\"test\":2,\"unassigned\":0}"));
        const auto merged = runFinetune(merge + QStringList{"--yes", "--json"});
        QCOMPARE(merged.exitCode, 0);
        QCOMPARE(QString::fromUtf8(QJsonDocument(lastJsonLine(merged.out)).toJson(QJsonDocument::Compact)),
                 QStringLiteral("{\"action\":\"merge\",\"applied\":true,\"dataset\":\"reviews\","
                                "\"examples\":{\"test\":1,\"total\":2,\"train\":1,\"unassigned\":0,\"validation\":0},"
                                "\"labels\":[\"neg\",\"meh\"],\"target\":\"pos\"}"));
        QVERIFY(s.statsLine().startsWith(QStringLiteral("{\"rows\":6,\"labels\":{\"pos\":5,\"'); DROP TABLE examples;--\":0,\"x\":0},")));

        // Rename: onto a taken name points to merge; otherwise it just renames.
        const auto taken = runFinetune(base + QStringList{"rename"} + where + QStringList{"x", "pos"});
        QCOMPARE(taken.exitCode, 3);
        QVERIFY2(taken.err.contains(QStringLiteral("merge the labels instead")), qPrintable(taken.err));
        const auto renamed = runFinetune(base + QStringList{"rename"} + where + QStringList{"pos", "positive"});
        QCOMPARE(renamed.exitCode, 0);
        QVERIFY2(renamed.out.contains(QStringLiteral("label 'pos' will be renamed to 'positive'; its 5 examples")),
                 qPrintable(renamed.out));

        // Delete: a dry run, then with --yes the examples stay, unlabelled.
        const QStringList remove = base + QStringList{"delete"} + where + QStringList{"positive"};
        const auto dryDelete = runFinetune(remove);
        QCOMPARE(dryDelete.exitCode, 0);
        QVERIFY(dryDelete.out.startsWith(QStringLiteral("5 examples (train 2, validation 1, test 2, unassigned 0) "
                                                        "will become unlabelled; label 'positive' will be removed.\n")));
        QVERIFY(dryDelete.out.contains(QStringLiteral("Nothing changed; rerun with --yes")));
        QVERIFY(s.statsLine().contains(QStringLiteral("\"unlabelled\":1,")));
        QCOMPARE(runFinetune(remove + QStringList{"--yes"}).exitCode, 0);
        const QJsonObject after = ft::test::lastJsonLine(s.statsLine());
        QCOMPARE(after["rows"].toInt(), 6);
        QCOMPARE(after["unlabelled"].toInt(), 6);
        QCOMPARE(after["labels"].toObject().keys(), (QStringList{"'); DROP TABLE examples;--", "x"}));

        QCOMPARE(runFinetune(remove + QStringList{"--yes"}).exitCode, 4);
        QCOMPARE(runFinetune(base + QStringList{"merge"} + where + QStringList{"x", "--into", "nope"}).exitCode, 4);
        QCOMPARE(runFinetune(base + QStringList{"merge"} + where + QStringList{"x"}).exitCode, 2);
    }
};

FT_REGISTER_TEST(CliDatasetToolsTest);

#include "tst_cli_dataset_tools.moc"
