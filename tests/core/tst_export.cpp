// tst_export.cpp: exporting a dataset to CSV and JSON Lines: the exact bytes,
// a round trip through importDataset that gives back the same examples
// (quotes, commas, newlines, tabs, emoji, CJK, no text pair), one split only,
// and cancel/failure leaving no partial file.
#include "common/error.h"
#include "data/dataset_export.h"
#include "data/dataset_import.h"
#include "store/datasets.h"
#include "store/project.h"
#include "tempproject.h"
#include "testhelpers.h"
#include "testregistry.h"

#include <QTemporaryDir>
#include <QTest>

namespace fs = std::filesystem;
using namespace ft;
using ft::test::folderListing;
using ft::test::readBytes;
using ft::test::toPath;
using ft::test::writeBytes;

namespace {

Example row(std::string text, std::optional<std::string> pair, std::optional<std::string> label, std::string split)
{
    return {0, std::move(text), std::move(pair), std::move(label), std::move(split), {}, {}};
}

const std::vector<Example> &trickyRows()
{
    static const std::vector<Example> rows = {
        row("line one\nline two", std::nullopt, "neg", "train"), // no pair on the first line; later ones have
        row("He said \"hi\", then left", "a pair, with a comma", "pos", "train"),
        row("crlf\r\ninside and a lone\rreturn", std::nullopt, "pos", "validation"),
        row("tab\tseparated\tvalues", "pair\twith tab", "a, b", "test"),
        row("semi;colon|pipe", std::nullopt, std::nullopt, "unassigned"),
        row("emoji 😀👍🏽 and ZWJ 👩‍💻", "🙂", "pos", "train"),
        row("中文文本，日本語のテキスト、한국어", std::nullopt, "中文", "train"),
        row("\"", std::nullopt, "neg", "train"),
        row("\"quoted\" at the start", std::string(), "pos", "test"), // an empty pair reads back as none
        row(" spaces around ", std::nullopt, "'); DROP TABLE examples;--", "validation"),
        row("{\"text\": 1, \"label\": null}", std::nullopt, "neg", "train"),
        row("C:\\path\\n is not a newline", "\\", std::nullopt, "train"),
        row("plain", std::nullopt, "pos", "unassigned"),
    };
    return rows;
}

struct Fixture {
    QTemporaryDir dir;
    std::unique_ptr<Project> project;
    std::int64_t datasetId = 0;

    Fixture()
    {
        project = std::make_unique<Project>(Project::create(toPath(dir.filePath(QStringLiteral("project")))));
        datasetId = createDataset(*project, "tricky", "test");
        addExamples(*project, datasetId, trickyRows());
    }
    fs::path file(const char *name) const { return toPath(dir.filePath(QString::fromUtf8(name))); }
};

// The examples of a dataset as "text|pair|label|split" lines, for one readable comparison.
QStringList describe(const std::vector<Example> &rows)
{
    QStringList lines;
    for (const Example &e : rows) {
        lines << QString::fromStdString(e.text + "|" + e.textB.value_or("<none>") + "|" + e.label.value_or("<none>")
                                        + "|" + e.split);
    }
    return lines;
}

QStringList expected(std::optional<std::string> split = std::nullopt)
{
    std::vector<Example> rows;
    for (Example e : trickyRows()) {
        if (e.textB && e.textB->empty())
            e.textB.reset();
        if (!split || e.split == *split)
            rows.push_back(e);
    }
    return describe(rows);
}

QStringList reimported(Project &project, const fs::path &file, const std::string &name)
{
    ImportOptions options;
    options.file = file;
    options.datasetName = name;
    const ImportResult result = importDataset(project, options);
    if (result.errorCount != 0)
        qWarning() << QString::fromStdString(result.errors.at(0).describe());
    return describe(examples(project, result.datasetId, 0, 1000));
}

} // namespace

class DatasetExportTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void csvBytesAreRfc4180()
    {
        QTemporaryDir dir;
        Project project = Project::create(toPath(dir.path()));
        const std::int64_t id = createDataset(project, "small", "test");
        const std::vector<Example> rows = {row("a \"b\", c", std::nullopt, "x", "train"),
                                           row("two\nlines", "p", std::nullopt, "test"), row("ok", std::nullopt, "y;z", "validation")};
        addExamples(project, id, rows);
        const fs::path file = toPath(dir.filePath(QStringLiteral("small.csv")));
        const ExportResult result = exportDataset(project, id, {file, {}, {}});
        QCOMPARE(result.rows, std::int64_t{3});
        QCOMPARE(result.format, ExportFormat::Csv);
        const QByteArray want = "text,text_pair,label,split\r\n"
                                "\"a \"\"b\"\", c\",,x,train\r\n"
                                "\"two\nlines\",p,,test\r\n"
                                "ok,,\"y;z\",validation\r\n";
        QCOMPARE(readBytes(file), want);
        QCOMPARE(result.bytes, std::uint64_t(want.size()));
    }

    void jsonLinesBytes()
    {
        QTemporaryDir dir;
        Project project = Project::create(toPath(dir.path()));
        const std::int64_t id = createDataset(project, "small", "test");
        const std::vector<Example> rows = {row("a \"b\"\n😀", "p", std::nullopt, "train"),
                                           row("中", std::nullopt, "x", "unassigned")};
        addExamples(project, id, rows);
        const fs::path file = toPath(dir.filePath(QStringLiteral("small.JSONL")));
        exportDataset(project, id, {file, {}, {}});
        QCOMPARE(readBytes(file), QByteArray("{\"text\":\"a \\\"b\\\"\\n😀\",\"text_pair\":\"p\",\"label\":null,"
                                             "\"split\":\"train\"}\n"
                                             "{\"text\":\"中\",\"text_pair\":null,\"label\":\"x\",\"split\":\"unassigned\"}\n"));
        // Without any pair, no text_pair key.
        exportDataset(project, id, {file, {}, Split::Unassigned});
        QCOMPARE(readBytes(file), QByteArray("{\"text\":\"中\",\"label\":\"x\",\"split\":\"unassigned\"}\n"));
    }

    void roundTrips_data()
    {
        QTest::addColumn<QString>("fileName");
        QTest::addColumn<QString>("split");
        QTest::newRow("csv") << "all.csv" << "";
        QTest::newRow("jsonl") << "all.jsonl" << "";
        QTest::newRow("csv, test split") << "test.csv" << "test";
        QTest::newRow("jsonl, validation split") << "validation.ndjson" << "validation";
    }

    void roundTrips()
    {
        QFETCH(QString, fileName);
        QFETCH(QString, split);
        Fixture f;
        const fs::path file = f.file(qPrintable(fileName));
        ExportOptions options{file, {}, {}};
        std::optional<std::string> only;
        if (!split.isEmpty()) {
            options.split = parseSplit(split.toStdString());
            only = split.toStdString();
        }
        std::vector<ExportProgress> reports;
        const ExportResult result = exportDataset(*f.project, f.datasetId, options, [&](const ExportProgress &p) {
            reports.push_back(p);
            return true;
        });
        const QStringList want = expected(only);
        QCOMPARE(result.rows, std::int64_t(want.size()));
        QCOMPARE(reports.size(), std::size_t{1});
        QCOMPARE(reports.back().rows, result.rows);
        QCOMPARE(reports.back().totalRows, result.rows);
        QCOMPARE(reimported(*f.project, file, "again"), want);
        QVERIFY(!fs::exists(file.string() + ".tmp"));
    }

    void cancelAndFailureLeaveNoPartialFile()
    {
        Fixture f;
        // Enough rows for a progress report before the end.
        std::vector<Example> many;
        for (int i = 0; i < 2500; ++i)
            many.push_back(row("row " + std::to_string(i), std::nullopt, "pos", "train"));
        addExamples(*f.project, f.datasetId, many);
        const fs::path file = f.file("out.csv");
        writeBytes(file, "earlier export\n");
        const QStringList before = folderListing(file.parent_path());
        int calls = 0;
        FT_VERIFY_ERROR(exportDataset(*f.project, f.datasetId, {file, {}, {}},
                                      [&](const ExportProgress &p) {
                                          ++calls;
                                          return p.rows < 2000;
                                      }),
                        ErrorKind::Cancelled, "export of dataset 'tricky' cancelled");
        QCOMPARE(calls, 2);
        QCOMPARE(readBytes(file), QByteArray("earlier export\n"));
        QCOMPARE(folderListing(file.parent_path()), before);

        FT_VERIFY_ERROR(exportDataset(*f.project, f.datasetId, {f.file("out.txt"), {}, {}}), ErrorKind::InvalidInput,
                        "out.txt", ".csv or .jsonl");
        FT_VERIFY_ERROR(exportDataset(*f.project, 4242, {file, {}, {}}), ErrorKind::NotFound, "no dataset with id 4242");
        FT_VERIFY_ERROR(exportDataset(*f.project, f.datasetId, {f.file("missing/out.csv"), {}, {}}), ErrorKind::Io,
                        "missing/out.csv");
        QCOMPARE(folderListing(file.parent_path()), before);

        // The format named explicitly wins over the extension.
        const ExportResult named = exportDataset(*f.project, f.datasetId, {f.file("out.txt"), ExportFormat::JsonLines, {}});
        QCOMPARE(named.rows, std::int64_t(trickyRows().size() + 2500));
        QVERIFY(readBytes(f.file("out.txt")).startsWith("{\"text\":\"line one\\nline two\",\"text_pair\":null,"));
    }
};

FT_REGISTER_TEST(DatasetExportTest);

#include "tst_export.moc"
