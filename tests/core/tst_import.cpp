// tst_import.cpp: importing real data files into a project: label counts as
// the files have them (counted here independently), stratified splits, row
// errors with their lines, duplicates, and cancel/failure leaving the project
// exactly as it was.
#include "common/error.h"
#include "data/dataset_import.h"
#include "data/splits.h"
#include "store/datasets.h"
#include "store/project.h"
#include "store/sqlite.h"
#include "tempproject.h"
#include "testhelpers.h"
#include "testregistry.h"

#include <QElapsedTimer>
#include <QFile>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>
#include <fstream>
#include <map>

namespace fs = std::filesystem;
using namespace ft;
using ft::test::expectError;
using ft::test::readBytes;
using ft::test::toPath;
using ft::test::writeBytes;

namespace {

fs::path sharedData(const char *relative)
{
    return fs::path(FT_SHARED_DIR) / "data" / relative;
}

// The file's lines after `skip` header lines, without the line ends.
QList<QByteArray> dataLines(const fs::path &file, int skip)
{
    QList<QByteArray> lines = readBytes(file).split('\n');
    while (!lines.isEmpty() && lines.last().isEmpty())
        lines.removeLast();
    return lines.mid(skip);
}

std::map<std::string, std::int64_t> tallies(const ImportResult &result)
{
    std::map<std::string, std::int64_t> counts;
    for (const auto &label : result.labels)
        counts[label.name] = label.count;
    return counts;
}

// Every label's split sizes lie within one row of its count times the ratio.
void checkStratified(Project &project, std::int64_t datasetId, const SplitRatios &ratios)
{
    for (const LabelCount &label : labelCounts(project, datasetId)) {
        const double n = double(label.train + label.validation + label.test);
        const QByteArray where = QByteArray("label ") + label.name.c_str();
        QVERIFY2(std::abs(double(label.train) - n * ratios.train) <= 1.0, where);
        QVERIFY2(std::abs(double(label.validation) - n * ratios.validation) <= 1.0, where);
        QVERIFY2(std::abs(double(label.test) - n * ratios.test) <= 1.0, where);
    }
}

std::vector<std::string> splitsOf(Project &project, std::int64_t datasetId)
{
    std::vector<std::string> splits;
    for (const Example &example : examples(project, datasetId, 0, 1 << 30))
        splits.push_back(example.split);
    return splits;
}

// What a project holds, to show an operation changed nothing.
QString snapshot(Project &project)
{
    QString text;
    for (const DatasetSummary &d : listDatasets(project)) {
        text += QStringLiteral("%1 %2 %3 %4 %5 %6;").arg(QString::fromStdString(d.name)).arg(d.examples).arg(d.train)
                    .arg(d.validation).arg(d.test).arg(d.labels);
    }
    const ProjectSummary summary = project.summary();
    return text + QStringLiteral("datasets=%1 examples=%2").arg(summary.datasets).arg(summary.examples);
}

} // namespace

class DatasetImportTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void sst2Tsv()
    {
        const fs::path file = sharedData("sst2/train.tsv");
        std::map<std::string, std::int64_t> expected;
        QSet<QByteArray> seen;
        int duplicates = 0;
        for (const QByteArray &line : dataLines(file, 1)) {
            const auto fields = line.split('\t');
            ++expected[fields[1].toStdString()];
            duplicates += seen.contains(fields[0]) ? 1 : 0;
            seen.insert(fields[0]);
        }

        QTemporaryDir dir;
        Project project = Project::create(toPath(dir.path()));
        ImportOptions options;
        options.file = file;
        options.datasetName = "sst2";
        std::vector<ImportProgress> progress;
        const ImportResult result = importDataset(project, options, [&](const ImportProgress &p) {
            progress.push_back(p);
            return true;
        });
        QCOMPARE(result.format, std::string("tsv"));
        QCOMPARE(result.textColumn, std::string("sentence"));
        QCOMPARE(result.labelColumn, std::string("label"));
        QCOMPARE(result.rows, std::int64_t{6920});
        QCOMPARE(result.errorCount, std::int64_t{0});
        QCOMPARE(tallies(result), expected);
        QCOMPARE(result.duplicateCount, std::int64_t(duplicates));
        QCOMPARE(result.splits.total(), std::int64_t{6920});
        QVERIFY(!result.splitsFromFile);
        checkStratified(project, result.datasetId, options.ratios);

        // Progress: a scanning pass (no split column), then the writing pass
        // rising to the whole file.
        QVERIFY(progress.size() >= 12);
        QCOMPARE(int(progress.front().phase), int(ImportPhase::Scanning));
        QCOMPARE(int(progress.back().phase), int(ImportPhase::Writing));
        QCOMPARE(progress.back().bytesRead, progress.back().totalBytes);
        QCOMPARE(progress.back().rows, std::int64_t{6920});
        for (size_t i = 1; i < progress.size(); ++i) {
            if (progress[i].phase == progress[i - 1].phase)
                QVERIFY(progress[i].bytesRead >= progress[i - 1].bytesRead);
            else
                QVERIFY(progress[i].phase == ImportPhase::Writing);
        }

        const auto stored = listDatasets(project);
        QCOMPARE(stored.size(), size_t{1});
        QCOMPARE(stored[0].examples, std::int64_t{6920});
        QCOMPARE(stored[0].labels, std::int64_t{2});
        const auto first = examples(project, result.datasetId, 0, 1);
        QCOMPARE(first[0].sourceLine, std::optional<std::int64_t>(2));
        QCOMPARE(first[0].sourceFile, std::optional<std::string>("train.tsv"));
        QCOMPARE(first[0].label, std::optional<std::string>("1"));
        QCOMPARE(QString::fromStdString(project.integrityCheck()), QStringLiteral("ok"));
    }

    void banking77Csv()
    {
        const fs::path file = sharedData("banking77/train.csv");
        // A record ends on a physical line ",<category>" (some texts span
        // lines); the 77 names are in categories.json.
        QSet<QByteArray> categories;
        for (const auto &name : QJsonDocument::fromJson(readBytes(sharedData("banking77/categories.json"))).array())
            categories.insert(name.toString().toUtf8());
        QCOMPARE(categories.size(), 77);
        std::map<std::string, std::int64_t> expected;
        for (const QByteArray &line : dataLines(file, 1)) {
            const QByteArray last = line.mid(line.lastIndexOf(',') + 1).trimmed();
            if (line.contains(',') && categories.contains(last))
                ++expected[last.toStdString()];
        }
        QCOMPARE(expected.size(), size_t{77});

        QTemporaryDir dir;
        Project project = Project::create(toPath(dir.path()));
        ImportOptions options;
        options.file = file;
        options.datasetName = "banking77";
        const ImportResult result = importDataset(project, options);
        QCOMPARE(result.format, std::string("csv"));
        QCOMPARE(result.delimiter, ',');
        QCOMPARE(result.labelColumn, std::string("category"));
        QCOMPARE(result.rows, std::int64_t{10003});
        QCOMPARE(result.errorCount, std::int64_t{0});
        QCOMPARE(tallies(result), expected);
        checkStratified(project, result.datasetId, options.ratios);
        // Small labels round one way or the other; the totals stay near 80/10/10.
        QVERIFY(std::abs(double(result.splits.validation) - 1000.3) <= 10);
        QVERIFY(std::abs(double(result.splits.test) - 1000.3) <= 10);
    }

    void smsSpamWithoutHeaderOrQuoting()
    {
        const fs::path file = sharedData("sms_spam/SMSSpamCollection");
        std::map<std::string, std::int64_t> expected;
        const auto lines = dataLines(file, 0);
        for (const QByteArray &line : lines)
            ++expected[line.left(line.indexOf('\t')).toStdString()];

        QTemporaryDir dir;
        Project project = Project::create(toPath(dir.path()));
        ImportOptions options;
        options.file = file;
        options.datasetName = "sms";
        options.read.hasHeader = false;
        options.read.quoting = false;
        options.columns.text = "2"; // without a header, columns are numbered from 1
        options.columns.label = "1";
        const ImportResult result = importDataset(project, options);
        QCOMPARE(result.columns, (std::vector<std::string>{"1", "2"}));
        QCOMPARE(result.rows, std::int64_t(lines.size()));
        QCOMPARE(result.rows, std::int64_t{5574});
        QCOMPARE(result.errorCount, std::int64_t{0});
        QCOMPARE(tallies(result), expected);
        checkStratified(project, result.datasetId, options.ratios);
        // Literal quotes survive as text (line 2 of the listing starts with one).
        bool quotedKept = false;
        for (const Example &example : examples(project, result.datasetId, 0, 10000))
            quotedKept = quotedKept || example.text.rfind("\"Wen u miss someone", 0) == 0;
        QVERIFY(quotedKept);
    }

    void chineseCsv()
    {
        const fs::path file = sharedData("chnsenticorp_htl/train.csv");
        const auto lines = dataLines(file, 1);
        std::map<std::string, std::int64_t> expected; // label,review: the label is before the first comma
        for (const QByteArray &line : lines)
            ++expected[line.left(line.indexOf(',')).toStdString()];
        // The first review is quoted, with doubled quotes inside.
        QByteArray firstReview = lines[0].mid(lines[0].indexOf(',') + 1).trimmed();
        QVERIFY(firstReview.startsWith('"'));
        firstReview = firstReview.mid(1, firstReview.size() - 2).replace("\"\"", "\"");

        QTemporaryDir dir;
        Project project = Project::create(toPath(dir.path()));
        ImportOptions options;
        options.file = file;
        options.datasetName = "htl";
        const ImportResult result = importDataset(project, options);
        QCOMPARE(result.textColumn, std::string("review"));
        QCOMPARE(result.rows, std::int64_t{5178});
        QCOMPARE(tallies(result), expected);
        QCOMPARE(expected["1"], std::int64_t{3548});
        checkStratified(project, result.datasetId, options.ratios);
        const auto first = examples(project, result.datasetId, 0, 1);
        QCOMPARE(QString::fromStdString(first[0].text), QString::fromUtf8(firstReview));
    }

    void splitsAreDeterministicAndReSplittable()
    {
        QTemporaryDir dir;
        Project project = Project::create(toPath(dir.path()));
        ImportOptions options;
        options.file = sharedData("sst2/dev.tsv");
        options.datasetName = "a";
        const auto a = importDataset(project, options);
        options.datasetName = "b";
        const auto b = importDataset(project, options);
        options.datasetName = "c";
        options.seed = 7;
        const auto c = importDataset(project, options);
        QCOMPARE(splitsOf(project, a.datasetId), splitsOf(project, b.datasetId));
        QVERIFY(splitsOf(project, a.datasetId) != splitsOf(project, c.datasetId));

        // Re-splitting c with a's seed gives a's splits; other ratios keep
        // every label within a row of them.
        const SplitCounts counts = reSplit(project, c.datasetId, {0.8, 0.1, 0.1}, 42);
        QCOMPARE(splitsOf(project, c.datasetId), splitsOf(project, a.datasetId));
        QCOMPARE(counts.train, a.splits.train);
        const SplitRatios other{0.5, 0.25, 0.25};
        const SplitCounts half = reSplit(project, c.datasetId, other, 1);
        QCOMPARE(half.total(), std::int64_t{872});
        checkStratified(project, c.datasetId, other);
        // Ratios are proportions: 8:1:1 is 0.8/0.1/0.1.
        QCOMPARE(splitSizes(872, {8, 1, 1}), splitSizes(872, {0.8, 0.1, 0.1}));
        expectError([&] { reSplit(project, c.datasetId, {-1, 1, 1}, 1); }, ErrorKind::InvalidInput, "negative");
    }

    void splitSizesStayWithinOneRow_data()
    {
        QTest::addColumn<int>("n");
        for (int n : {0, 1, 2, 3, 5, 9, 10, 11, 19, 101, 999})
            QTest::newRow(QByteArray::number(n).constData()) << n;
    }

    void splitSizesStayWithinOneRow()
    {
        QFETCH(int, n);
        const SplitRatios ratios{0.7, 0.2, 0.1};
        const auto sizes = splitSizes(n, ratios);
        QCOMPARE(sizes[0] + sizes[1] + sizes[2], std::int64_t(n));
        QVERIFY(std::abs(double(sizes[0]) - n * 0.7) < 1.0);
        QVERIFY(std::abs(double(sizes[1]) - n * 0.2) < 1.0);
        QVERIFY(std::abs(double(sizes[2]) - n * 0.1) < 1.0);
    }

    void badRowsAreReportedAndGoodRowsKept()
    {
        QTemporaryDir dir;
        const fs::path file = toPath(dir.filePath("mixed.csv"));
        writeBytes(file, "text,label\n"             // 1
                         "good one,pos\n"           // 2
                         "ragged\n"                 // 3: one field
                         "\"multi\nline\",neg\n"    // 4-5: good
                         "  ,pos\n"                 // 6: empty text
                         "bad \xC3\x28 utf8,neg\n"  // 7: invalid UTF-8
                         "good two,  neg  \n"       // 8: label trimmed
                         "too,many,fields\n"        // 9
                         "unlabelled,\n"            // 10: no label
                         "good one,pos\n"           // 11: duplicate of line 2
                         "\"never closed,pos\n"     // 12: unterminated quote
                         "last,pos\n");             // 13
        QTemporaryDir projectDir;
        Project project = Project::create(toPath(projectDir.path()));
        ImportOptions options;
        options.file = file;
        options.datasetName = "mixed";
        options.batchRows = 2; // several batches (savepoints) in the one transaction
        const ImportResult result = importDataset(project, options);

        QCOMPARE(result.rows, std::int64_t{6});
        QCOMPARE(result.errorCount, std::int64_t{5});
        std::vector<std::int64_t> errorLines;
        for (const RowError &error : result.errors) {
            errorLines.push_back(error.line);
            QCOMPARE(error.file, file.string());
            QVERIFY(QString::fromStdString(error.describe()).startsWith(QString::fromStdString(file.string()) + ":"));
        }
        QCOMPARE(errorLines, (std::vector<std::int64_t>{3, 6, 7, 9, 12}));
        QVERIFY(result.errors[1].reason.find("empty") != std::string::npos);
        QVERIFY(result.errors[2].reason.find("UTF-8") != std::string::npos);
        QVERIFY(result.errors[4].reason.find("never closed") != std::string::npos);
        QCOMPARE(result.duplicateCount, std::int64_t{1});
        QCOMPARE(result.duplicates[0].line, std::int64_t{11});
        QCOMPARE(result.duplicates[0].firstLine, std::int64_t{2});
        QCOMPARE(result.unlabelled, std::int64_t{1});
        QCOMPARE(tallies(result), (std::map<std::string, std::int64_t>{{"neg", 2}, {"pos", 3}}));

        QStringList texts;
        std::vector<std::int64_t> lines;
        for (const Example &example : examples(project, result.datasetId, 0, 100)) {
            texts << QString::fromStdString(example.text);
            lines.push_back(*example.sourceLine);
            if (example.text == "unlabelled")
                QCOMPARE(example.split, std::string("unassigned"));
        }
        QCOMPARE(texts, (QStringList{"good one", "multi\nline", "good two", "unlabelled", "good one", "last"}));
        QCOMPARE(lines, (std::vector<std::int64_t>{2, 4, 8, 10, 11, 13}));
        QCOMPARE(result.splits.unassigned, std::int64_t{1});
    }

    void splitColumnPairsAndJson()
    {
        QTemporaryDir dir;
        const fs::path file = toPath(dir.filePath("pairs.jsonl"));
        writeBytes(file, "{\"sentence1\": \"a\", \"sentence2\": \"b\", \"label\": 1, \"split\": \"train\"}\n"
                         "{\"sentence1\": \"a\", \"sentence2\": \"c\", \"label\": 0, \"split\": \"dev\"}\n"
                         "{\"sentence1\": \"a\", \"sentence2\": \"b\", \"label\": 1, \"split\": \" Valid \"}\n"
                         "{\"sentence1\": \"a\", \"label\": 1, \"split\": \"eval\"}\n"
                         "{\"sentence1\": \"d\", \"sentence2\": \"e\", \"label\": 0, \"split\": \"test\"}\n"
                         "{\"sentence1\": \"f\", \"sentence2\": \"g\", \"label\": 0, \"split\": \"holdout\"}\n");
        QTemporaryDir projectDir;
        Project project = Project::create(toPath(projectDir.path()));
        ImportOptions options;
        options.file = file;
        const ImportResult result = importDataset(project, options);
        QCOMPARE(result.datasetName, std::string("pairs"));
        QCOMPARE(result.textColumn, std::string("sentence1"));
        QCOMPARE(result.textPairColumn, std::string("sentence2"));
        QCOMPARE(result.splitColumn, std::string("split"));
        QVERIFY(result.splitsFromFile);
        QCOMPARE(result.rows, std::int64_t{5});
        QCOMPARE(result.errorCount, std::int64_t{1});
        QCOMPARE(result.errors[0].line, std::int64_t{6});
        QVERIFY(result.errors[0].reason.find("unknown split 'holdout'") != std::string::npos);
        QCOMPARE(result.splits.train, std::int64_t{1});
        QCOMPARE(result.splits.validation, std::int64_t{3});
        QCOMPARE(result.splits.test, std::int64_t{1});
        // ("a", "b") repeats; ("a", none) is not the same row as ("a", "c").
        QCOMPARE(result.duplicateCount, std::int64_t{1});
        QCOMPARE(result.duplicates[0].line, std::int64_t{3});
        QCOMPARE(tallies(result), (std::map<std::string, std::int64_t>{{"0", 2}, {"1", 3}}));
        const auto rows = examples(project, result.datasetId, 0, 10);
        QCOMPARE(rows[0].textB, std::optional<std::string>("b"));
        QCOMPARE(rows[3].textB, std::optional<std::string>());
        QCOMPARE(rows[1].split, std::string("validation"));

        // A JSON array as datasets' to_json(lines=False) writes it.
        const fs::path array = toPath(dir.filePath("array.json"));
        writeBytes(array, "[{\"text\":\"x\",\"label\":1},{\"text\":\"y\",\"label\":0},{\"text\":\"z\",\"label\":1}]");
        options.file = array;
        const ImportResult fromArray = importDataset(project, options);
        QCOMPARE(fromArray.format, std::string("json"));
        QCOMPARE(fromArray.rows, std::int64_t{3});
        QCOMPARE(tallies(fromArray), (std::map<std::string, std::int64_t>{{"0", 1}, {"1", 2}}));
    }

    void cancelLeavesTheProjectUnchanged_data()
    {
        QTest::addColumn<bool>("whileScanning");
        QTest::addColumn<int>("cancelAtCall"); // -1: at the last call, after every row is written
        QTest::newRow("while scanning") << true << 2;
        QTest::newRow("first write") << false << 0;
        QTest::newRow("mid-way") << false << 3;
        QTest::newRow("after the last row") << false << -1;
    }

    void cancelLeavesTheProjectUnchanged()
    {
        QFETCH(bool, whileScanning);
        QFETCH(int, cancelAtCall);
        QTemporaryDir dir;
        Project project = Project::create(toPath(dir.path()));
        ImportOptions options;
        options.file = sharedData("sst2/dev.tsv");
        options.datasetName = "kept";
        importDataset(project, options);
        const QString before = snapshot(project);

        options.file = sharedData("sst2/train.tsv");
        options.datasetName = "cancelled";
        options.batchRows = 1000;
        int calls = 0;
        std::int64_t rowsWritten = 0;
        expectError(
            [&] {
                importDataset(project, options, [&](const ImportProgress &p) {
                    rowsWritten = p.rows;
                    if ((p.phase == ImportPhase::Scanning) != whileScanning)
                        return true;
                    const bool last = p.bytesRead == p.totalBytes && p.rows == 6920;
                    return cancelAtCall < 0 ? !last : calls++ < cancelAtCall;
                });
            },
            ErrorKind::Cancelled, "cancelled");
        QCOMPARE(rowsWritten > 0, !whileScanning);
        QCOMPARE(snapshot(project), before);
        QVERIFY(!findDataset(project, "cancelled"));
        QCOMPARE(QString::fromStdString(project.integrityCheck()), QStringLiteral("ok"));

        // The same project still imports, and the name is free again.
        QCOMPARE(importDataset(project, options).rows, std::int64_t{6920});
    }

    void failuresLeaveTheProjectUnchanged()
    {
        QTemporaryDir dir;
        Project project = Project::create(toPath(dir.path()));
        ImportOptions options;
        options.file = sharedData("sst2/dev.tsv");
        options.datasetName = "dev";
        importDataset(project, options);
        const QString before = snapshot(project);

        expectError([&] { importDataset(project, options); }, ErrorKind::InvalidInput, "already exists");
        options.datasetName = "other";
        options.columns.label = "category";
        expectError([&] { importDataset(project, options); }, ErrorKind::InvalidInput,
                    "dev.tsv has no column 'category' (asked for as the label column); "
                    "its columns are: sentence, label");
        options.columns = {};
        options.file = toPath(dir.filePath("absent.csv"));
        expectError([&] { importDataset(project, options); }, ErrorKind::NotFound, "absent.csv does not exist");
        const fs::path noText = toPath(dir.filePath("notext.csv"));
        writeBytes(noText, "body,label\nx,1\n");
        options.file = noText;
        expectError([&] { importDataset(project, options); }, ErrorKind::InvalidInput,
                    "cannot tell which column of " + QString::fromStdString(noText.string()) + " holds the text");
        options.columns.text = "body";
        options.columns.label = "body";
        expectError([&] { importDataset(project, options); }, ErrorKind::InvalidInput, "asked for in two roles");
        QCOMPARE(snapshot(project), before);
    }

    // addExamples inside the import's transaction is a savepoint: rolling
    // one back keeps the outer work, and the outer rollback undoes all.
    void nestedTransactionsAreSavepoints()
    {
        QTemporaryDir dir;
        Project project = Project::create(toPath(dir.path()));
        const Example row{0, "text", std::nullopt, std::string("a"), "train", std::nullopt, std::nullopt};
        {
            sql::Transaction outer(project.database());
            const auto id = createDataset(project, "outer", "test");
            addExamples(project, id, std::span(&row, 1));
            {
                sql::Transaction inner(project.database());
                addExamples(project, id, std::span(&row, 1));
            } // rolled back
            QCOMPARE(examples(project, id, 0, 10).size(), size_t{1});
            outer.commit();
        }
        QCOMPARE(listDatasets(project).size(), size_t{1});
        {
            sql::Transaction outer(project.database());
            const auto id = createDataset(project, "dropped", "test");
            addExamples(project, id, std::span(&row, 1));
        } // rolled back with its committed savepoint
        QVERIFY(!findDataset(project, "dropped"));
        QCOMPARE(project.summary().examples, std::int64_t{1});
    }

    // Throughput on a generated 200k-row file, reported (not asserted: the
    // machine is shared); the rows all arrive.
    void largeImport()
    {
        QTemporaryDir dir;
        const fs::path file = toPath(dir.filePath("large.csv"));
        {
            std::ofstream out(file, std::ios::binary);
            out << "text,label\n";
            for (int i = 0; i < 200000; ++i)
                out << "\"review " << i << ": the product was fine, delivery took " << i % 13 << " days\","
                    << (i % 5 == 0 ? "negative" : i % 3 == 0 ? "neutral" : "positive") << '\n';
        }
        Project project = Project::create(toPath(dir.filePath("project")));
        ImportOptions options;
        options.file = file;
        options.datasetName = "large";
        QElapsedTimer timer;
        timer.start();
        const ImportResult result = importDataset(project, options);
        const double seconds = double(timer.elapsed()) / 1000.0;
        QCOMPARE(result.rows, std::int64_t{200000});
        QCOMPARE(result.errorCount, std::int64_t{0});
        QCOMPARE(result.duplicateCount, std::int64_t{0});
        QCOMPARE(result.splits.total(), std::int64_t{200000});
        checkStratified(project, result.datasetId, options.ratios);
        qInfo("imported 200000 rows (%.1f MB) in %.2f s: %.0f rows/s", double(fs::file_size(file)) / 1e6, seconds,
              200000 / seconds);
    }
};

FT_REGISTER_TEST(DatasetImportTest);

#include "tst_import.moc"
