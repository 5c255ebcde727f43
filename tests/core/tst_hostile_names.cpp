// tst_hostile_names.cpp: label and dataset names written as SQL
// ("'); DROP TABLE examples;--", quotes of both kinds) through every core
// path that takes a name: import, add, rename, merge, filter, sort, export
// and import back. They must stay plain data: the tables intact, the names
// byte for byte what was given.
#include "common/error.h"
#include "data/dataset_export.h"
#include "data/dataset_import.h"
#include "store/dataset_stats.h"
#include "store/datasets.h"
#include "store/example_query.h"
#include "store/labels.h"
#include "store/project.h"
#include "store/sqlite.h"
#include "tempproject.h"
#include "testhelpers.h"
#include "testregistry.h"

#include <QTemporaryDir>
#include <QTest>

namespace fs = std::filesystem;
using namespace ft;
using ft::test::toPath;
using ft::test::writeBytes;

namespace {

const std::string kDrop = "'); DROP TABLE examples;--";
const std::string kOr = "x\" OR 1=1; DELETE FROM labels; --";
const std::string kDataset = "Bob's \"data\"'); DROP TABLE datasets;--";

// Every table still there, with the rows it should have.
void checkTablesIntact(Project &project, std::int64_t examples, std::int64_t datasets)
{
    auto &db = project.database();
    for (const char *table : {"datasets", "examples", "labels", "models", "runs", "metrics", "exports"}) {
        sql::Statement query(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?");
        query.bind(1, table);
        QVERIFY(query.step());
        QVERIFY2(query.int64(0) == 1, table);
    }
    QCOMPARE(db.queryInt("SELECT count(*) FROM examples"), examples);
    QCOMPARE(db.queryInt("SELECT count(*) FROM datasets"), datasets);
    QCOMPARE(QString::fromStdString(project.integrityCheck()), QStringLiteral("ok"));
}

std::vector<std::string> labelNames(Project &project, std::int64_t datasetId)
{
    std::vector<std::string> names;
    for (const Label &label : listLabels(project, datasetId))
        names.push_back(label.name);
    return names;
}

// CSV field, quoted as RFC 4180 says.
std::string csvField(const std::string &text)
{
    std::string out = "\"";
    for (const char c : text)
        out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}

} // namespace

class HostileNamesTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void namesRoundTripThroughEveryPath()
    {
        QTemporaryDir dir;
        Project project = Project::create(toPath(dir.filePath("project")));

        // Create: by import (the label column holds the hostile name) and by addLabel.
        const fs::path csv = toPath(dir.filePath("hostile.csv"));
        writeBytes(csv, QByteArray::fromStdString("text,label\nfirst text," + csvField(kDrop) +
                                                  "\nsecond text,plain\nthird text," + csvField(kDrop) +
                                                  "\nfourth text,other\n"));
        ImportOptions options;
        options.file = csv;
        options.datasetName = kDataset;
        const ImportResult imported = importDataset(project, options);
        QCOMPARE(imported.rows, std::int64_t{4});
        QCOMPARE(imported.datasetName, kDataset);
        const std::int64_t id = imported.datasetId;
        QCOMPARE(findDataset(project, kDataset), std::optional<std::int64_t>(id));
        QCOMPARE(datasetName(project, id), kDataset);
        QCOMPARE(labelNames(project, id), (std::vector<std::string>{kDrop, "plain", "other"}));
        const Label added = addLabel(project, id, kOr);
        QCOMPARE(findLabel(project, id, kOr)->id, added.id);
        checkTablesIntact(project, 4, 1);

        // Filter by the hostile label, and search for its text (LIKE with its own escapes).
        const Label drop = requireLabel(project, id, kDrop);
        ExampleFilter filter;
        filter.datasetId = id;
        filter.labelIds = {drop.id};
        QCOMPARE(countExamples(project, filter), std::int64_t{2});
        const auto rows = fetchPage(project, filter, {ExampleSortKey::Label, false}, 0, 10);
        QCOMPARE(rows.size(), std::size_t{2});
        QCOMPARE(*rows[0].label, kDrop);
        filter.labelIds.clear();
        filter.text = kDrop;
        QCOMPARE(countExamples(project, filter), std::int64_t{0}); // texts do not hold it; the query is intact
        filter.text = "text";
        QCOMPARE(countExamples(project, filter), std::int64_t{4});
        QCOMPARE(matchingIds(project, filter, {ExampleSortKey::Label, true}).size(), std::size_t{4});

        // Rename the hostile label to another hostile name, then merge a plain one into it.
        renameLabel(project, id, drop.id, kDrop + kOr);
        QVERIFY(!findLabel(project, id, kDrop));
        const Label plain = requireLabel(project, id, "plain");
        const std::vector<std::int64_t> sources = {plain.id};
        mergeLabels(project, id, sources, drop.id);
        QCOMPARE(labelNames(project, id), (std::vector<std::string>{kDrop + kOr, "other", kOr}));
        const DatasetStats stats = datasetStats(project, id);
        QCOMPARE(stats.name, kDataset);
        QCOMPARE(stats.labels.labels.front().label.name, kDrop + kOr);
        QCOMPARE(stats.labels.labels.front().counts.total(), std::int64_t{3});
        checkTablesIntact(project, 4, 1);

        // Export, and import the export back: the names come back exactly.
        for (const char *extension : {"csv", "jsonl"}) {
            ExportOptions out;
            out.file = toPath(dir.filePath(QStringLiteral("export.%1").arg(extension)));
            QCOMPARE(exportDataset(project, id, out).rows, std::int64_t{4});
            ImportOptions back;
            back.file = out.file;
            back.datasetName = kDataset + " " + extension;
            const ImportResult again = importDataset(project, back);
            QCOMPARE(again.rows, std::int64_t{4});
            QCOMPARE(datasetName(project, again.datasetId), kDataset + " " + extension);
            QCOMPARE(labelNames(project, again.datasetId), (std::vector<std::string>{kDrop + kOr, "other"}));
        }
        checkTablesIntact(project, 12, 3);

        // A taken name is refused as a name, not as broken SQL.
        FT_VERIFY_ERROR(createDataset(project, kDataset, "again"), ErrorKind::InvalidInput);
        FT_VERIFY_ERROR(addLabel(project, id, kOr), ErrorKind::InvalidInput, "already has a label");
        checkTablesIntact(project, 12, 3);
    }
};

FT_REGISTER_TEST(HostileNamesTest);

#include "tst_hostile_names.moc"
