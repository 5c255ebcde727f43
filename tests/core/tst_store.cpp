// tst_store.cpp: the project store: schema, migrations, and refusing newer,
// foreign and damaged files without touching them.
#include "common/error.h"
#include "store/datasets.h"
#include "store/project.h"
#include "store/schema.h"
#include "store/sqlite.h"
#include "tempproject.h"
#include "testhelpers.h"
#include "testregistry.h"

#include <QTemporaryDir>
#include <QTest>

#include <QDir>

namespace fs = std::filesystem;
using namespace ft;
using ft::test::expectError;
using ft::test::folderListing;
using ft::test::readBytes;
using ft::test::toPath;
using ft::test::writeBytes;

namespace {

// Writes to a project database behind the store's back, as another program would.
void rawExec(const fs::path &file, const char *sql)
{
    sql::Database db(file, sql::Database::Mode::Create);
    db.exec(sql);
}

} // namespace

class StoreTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void createMakesFolderLayoutAndSchema()
    {
        QTemporaryDir dir;
        const fs::path folder = toPath(dir.filePath("my project"));
        Project project = Project::create(folder);
        QVERIFY(fs::is_regular_file(folder / "project.sqlite"));
        QVERIFY(fs::is_directory(folder / "runs"));
        QVERIFY(fs::is_directory(folder / "exports"));
        QVERIFY(!fs::exists(folder / "project.sqlite.creating"));

        auto &db = project.database();
        QCOMPARE(db.queryInt("PRAGMA application_id"), std::int64_t{store::kApplicationId});
        QCOMPARE(db.queryInt("PRAGMA user_version"), std::int64_t{store::currentSchemaVersion()});
        QCOMPARE(QString::fromStdString(db.queryText("PRAGMA journal_mode")), QStringLiteral("wal"));
        QCOMPARE(db.queryInt("PRAGMA foreign_keys"), std::int64_t{1});
        for (const char *table : {"datasets", "examples", "labels", "models", "runs", "metrics", "checkpoints", "exports"}) {
            sql::Statement query(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?");
            query.bind(1, table);
            QVERIFY(query.step());
            QVERIFY2(query.int64(0) == 1, table);
        }
        QCOMPARE(QString::fromStdString(project.integrityCheck()), QStringLiteral("ok"));
        QCOMPARE(project.summary().schemaVersion, store::currentSchemaVersion());
    }

    void createRefusesExistingProject()
    {
        QTemporaryDir dir;
        Project::create(toPath(dir.path()));
        const QByteArray before = readBytes(toPath(dir.filePath("project.sqlite")));
        expectError([&] { Project::create(toPath(dir.path())); }, ErrorKind::InvalidInput, "already holds a project");
        QCOMPARE(readBytes(toPath(dir.filePath("project.sqlite"))), before);
    }

    void openReportsMissingFolderAndMissingDatabase()
    {
        QTemporaryDir dir;
        expectError([&] { Project::open(toPath(dir.filePath("nope"))); }, ErrorKind::NotFound, "does not exist");
        expectError([&] { Project::open(toPath(dir.path())); }, ErrorKind::NotFound, "has no project.sqlite");
    }

    void openAcceptsTheDatabaseFileItself()
    {
        QTemporaryDir dir;
        Project::create(toPath(dir.path()));
        Project project = Project::open(toPath(dir.filePath("project.sqlite")));
        QCOMPARE(QString::fromStdString(project.folder().string()), QDir(dir.path()).canonicalPath());
    }

    void refusesFilesUntouched_data()
    {
        QTest::addColumn<QByteArray>("content");
        QTest::addColumn<int>("kind");
        QTest::addColumn<QString>("message");
        QTest::newRow("text file") << QByteArray("id,text\n1,hello\n") << int(ErrorKind::InvalidInput)
                                   << "not an SQLite database";
        QTest::newRow("empty file") << QByteArray() << int(ErrorKind::InvalidInput) << "not an SQLite database";
        QTest::newRow("header only") << QByteArray("SQLite format 3\0 and then nothing", 33)
                                     << int(ErrorKind::InvalidInput) << "is damaged";
    }

    void refusesFilesUntouched()
    {
        QFETCH(QByteArray, content);
        QFETCH(int, kind);
        QFETCH(QString, message);
        QTemporaryDir dir;
        const fs::path file = toPath(dir.filePath("project.sqlite"));
        writeBytes(file, content);
        const QStringList listing = folderListing(toPath(dir.path()));
        expectError([&] { Project::open(toPath(dir.path())); }, ErrorKind(kind), message);
        QCOMPARE(readBytes(file), content);
        QCOMPARE(folderListing(toPath(dir.path())), listing);
    }

    void refusesForeignSqliteDatabase()
    {
        QTemporaryDir dir;
        const fs::path file = toPath(dir.filePath("project.sqlite"));
        rawExec(file, "CREATE TABLE contacts (name TEXT); INSERT INTO contacts VALUES ('Ada')");
        const QByteArray before = readBytes(file);
        const QStringList listing = folderListing(toPath(dir.path()));
        expectError([&] { Project::open(toPath(dir.path())); }, ErrorKind::InvalidInput,
                    "is not a Finetune Studio project");
        QCOMPARE(readBytes(file), before);
        QCOMPARE(folderListing(toPath(dir.path())), listing);
    }

    void refusesNewerSchemaUntouched()
    {
        QTemporaryDir dir;
        const fs::path file = toPath(dir.filePath("project.sqlite"));
        { Project::create(toPath(dir.path())); }
        const std::string bump = "PRAGMA user_version = " + std::to_string(store::currentSchemaVersion() + 1);
        rawExec(file, bump.c_str());
        const QByteArray before = readBytes(file);
        const QStringList listing = folderListing(toPath(dir.path()));
        expectError([&] { Project::open(toPath(dir.path())); }, ErrorKind::Incompatible,
                    "written by a newer Finetune Studio");
        QCOMPARE(readBytes(file), before);
        QCOMPARE(folderListing(toPath(dir.path())), listing);
    }

    void refusesCorruptDatabaseUntouched()
    {
        QTemporaryDir dir;
        const fs::path file = toPath(dir.filePath("project.sqlite"));
        { Project::create(toPath(dir.path())); }
        QByteArray bytes = readBytes(file);
        QVERIFY(bytes.size() > 4096);
        // Scribble over page 1's b-tree (the schema catalogue) past the 100-byte header.
        for (int i = 100; i < 4096; ++i)
            bytes[i] = char(0xA5 ^ (i * 31));
        writeBytes(file, bytes);
        const QStringList listing = folderListing(toPath(dir.path()));
        expectError([&] { Project::open(toPath(dir.path())); }, ErrorKind::InvalidInput, "is damaged");
        QCOMPARE(readBytes(file), bytes);
        QCOMPARE(folderListing(toPath(dir.path())), listing);
    }

    void opensAndMigratesAnOlderProject()
    {
        // A database that carries our application id but no schema yet is v0.
        QTemporaryDir dir;
        const fs::path file = toPath(dir.filePath("project.sqlite"));
        rawExec(file, ("PRAGMA application_id = " + std::to_string(store::kApplicationId)).c_str());
        Project project = Project::open(toPath(dir.path()));
        QCOMPARE(project.summary().schemaVersion, store::currentSchemaVersion());
        QCOMPARE(project.summary().datasets, std::int64_t{0});
    }

    void aVersion1ProjectMigratesKeepingItsData()
    {
        QTemporaryDir dir;
        const fs::path file = toPath(dir.filePath("project.sqlite"));
        {
            // A project as the first release wrote it: schema v1 only.
            sql::Database db(file, sql::Database::Mode::Create);
            db.exec("PRAGMA application_id = " + std::to_string(store::kApplicationId));
            store::migrate(db, store::migrations().first(1));
            db.exec("INSERT INTO runs (name, config_json) VALUES ('old run', '{}')");
        }
        Project project = Project::open(toPath(dir.path()));
        QCOMPARE(project.summary().schemaVersion, store::currentSchemaVersion());
        QVERIFY(store::currentSchemaVersion() >= 2);
        QCOMPARE(QString::fromStdString(project.database().queryText("SELECT name FROM runs")), QStringLiteral("old run"));
        // v2 added the run capsule.
        QCOMPARE(project.database().queryInt("SELECT count(*) FROM pragma_table_info('runs') WHERE name = 'capsule_json'"),
                 std::int64_t{1});
    }

    // v4's indexes answer a dataset's summaries from the index alone: the
    // plans SQLite picks never read the examples' own pages.
    void summariesReadIndexesOnly()
    {
        QTemporaryDir dir;
        Project project = Project::create(toPath(dir.filePath("p")));
        const auto plan = [&](const std::string &sql) {
            sql::Statement explain(project.database(), "EXPLAIN QUERY PLAN " + sql);
            std::string details;
            while (explain.step())
                details += explain.text(3) + "\n";
            return QString::fromStdString(details);
        };
        const QString breakdown =
            plan("SELECT label_id, split, count(*) FROM examples WHERE dataset_id = 1 GROUP BY label_id, split");
        QVERIFY2(breakdown.contains(QStringLiteral("COVERING INDEX examples_by_dataset_label")), qPrintable(breakdown));
        QVERIFY2(!breakdown.contains(QStringLiteral("TEMP B-TREE")), qPrintable(breakdown));
        const QString pairs = plan("SELECT count(*) FROM examples p WHERE p.dataset_id = 1 AND p.text_b IS NOT NULL");
        QVERIFY2(pairs.contains(QStringLiteral("examples_with_pair")), qPrintable(pairs));
        // listDatasets, as it queries.
        const QString list = plan("SELECT d.id, count(e.id), coalesce(sum(e.split = 'train'), 0) FROM datasets d "
                                  "LEFT JOIN examples e INDEXED BY examples_by_dataset ON e.dataset_id = d.id "
                                  "GROUP BY d.id");
        QVERIFY2(list.contains(QStringLiteral("COVERING INDEX examples_by_dataset")), qPrintable(list));
    }

    void migrationsRunInOrderAllOrNothing()
    {
        QTemporaryDir dir;
        Project project = Project::create(toPath(dir.path()));
        auto &db = project.database();
        const int v = store::currentSchemaVersion();

        const std::string add = "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)";
        const store::Migration good[] = {{v, ""}, {v + 1, add}};
        store::migrate(db, good);
        QCOMPARE(db.queryInt("PRAGMA user_version"), std::int64_t{v + 1});
        QCOMPARE(db.queryInt("SELECT count(*) FROM sqlite_schema WHERE name = 'notes'"), std::int64_t{1});
        store::migrate(db, good); // already applied: nothing runs twice
        QCOMPARE(db.queryInt("PRAGMA user_version"), std::int64_t{v + 1});

        const store::Migration broken[] = {{v + 2, "CREATE TABLE half (x INTEGER)"},
                                           {v + 3, "CREATE TABLE oops ("}};
        QVERIFY_THROWS_EXCEPTION(Error, store::migrate(db, broken));
        QCOMPARE(db.queryInt("PRAGMA user_version"), std::int64_t{v + 1});
        QCOMPARE(db.queryInt("SELECT count(*) FROM sqlite_schema WHERE name = 'half'"), std::int64_t{0});

        const store::Migration gap[] = {{v + 3, "CREATE TABLE skipped (x INTEGER)"}};
        expectError([&] { store::migrate(db, gap); }, ErrorKind::Internal, "does not follow");
        QCOMPARE(db.queryInt("PRAGMA user_version"), std::int64_t{v + 1});
    }

    void datasetsExamplesAndLabels()
    {
        QTemporaryDir dir;
        Project project = Project::create(toPath(dir.path()));
        const auto id = createDataset(project, "reviews", "reviews.csv");
        std::vector<Example> rows(5);
        const char *labels[] = {"pos", "neg", "pos", nullptr, "neu"};
        const char *splits[] = {"train", "train", "validation", "unassigned", "test"};
        for (size_t i = 0; i < rows.size(); ++i) {
            rows[i].text = "text " + std::to_string(i);
            if (labels[i])
                rows[i].label = labels[i];
            rows[i].split = splits[i];
            rows[i].sourceFile = "reviews.csv";
            rows[i].sourceLine = static_cast<std::int64_t>(i + 2);
        }
        rows[1].textB = "second";
        addExamples(project, id, rows);

        const auto datasets = listDatasets(project);
        QCOMPARE(datasets.size(), size_t{1});
        QCOMPARE(datasets[0].examples, std::int64_t{5});
        QCOMPARE(datasets[0].train, std::int64_t{2});
        QCOMPARE(datasets[0].validation, std::int64_t{1});
        QCOMPARE(datasets[0].test, std::int64_t{1});
        QCOMPARE(datasets[0].labels, std::int64_t{3});
        QCOMPARE(datasets[0].withTextPair, std::int64_t{1});

        const auto counts = labelCounts(project, id);
        QCOMPARE(counts.size(), size_t{3});
        QCOMPARE(QString::fromStdString(counts[0].name), QStringLiteral("pos")); // order of first use
        QCOMPARE(counts[0].train, std::int64_t{1});
        QCOMPARE(counts[0].validation, std::int64_t{1});
        QCOMPARE(QString::fromStdString(counts[2].name), QStringLiteral("neu"));
        QCOMPARE(counts[2].test, std::int64_t{1});

        const auto page = examples(project, id, 1, 3);
        QCOMPARE(page.size(), size_t{3});
        QCOMPARE(QString::fromStdString(page[0].text), QStringLiteral("text 1"));
        QCOMPARE(QString::fromStdString(page[0].textB.value()), QStringLiteral("second"));
        QVERIFY(!page[2].label.has_value());
        QCOMPARE(page[2].sourceLine.value(), std::int64_t{5});

        expectError([&] { createDataset(project, "reviews", "again.csv"); }, ErrorKind::InvalidInput,
                    "already exists");

        // Foreign keys are on: deleting the dataset takes its examples and labels along.
        project.database().exec("DELETE FROM datasets");
        QCOMPARE(project.database().queryInt("SELECT count(*) FROM examples"), std::int64_t{0});
        QCOMPARE(project.database().queryInt("SELECT count(*) FROM labels"), std::int64_t{0});
    }

    void userTextNeverBecomesSql()
    {
        QTemporaryDir dir;
        Project project = Project::create(toPath(dir.path()));
        const std::string hostile = "x'); DROP TABLE examples; --";
        const auto id = createDataset(project, hostile, hostile);
        Example row;
        row.text = hostile;
        row.label = hostile;
        addExamples(project, id, {&row, 1});
        QCOMPARE(QString::fromStdString(listDatasets(project).at(0).name), QString::fromStdString(hostile));
        QCOMPARE(QString::fromStdString(examples(project, id, 0, 1).at(0).text), QString::fromStdString(hostile));
        QCOMPARE(QString::fromStdString(project.integrityCheck()), QStringLiteral("ok"));
    }

    void constraintViolationRollsBackTheWholeBatch()
    {
        QTemporaryDir dir;
        Project project = Project::create(toPath(dir.path()));
        const auto id = createDataset(project, "d", "");
        std::vector<Example> rows(3);
        rows[0].text = "fine";
        rows[1].text = "bad split";
        rows[1].split = "holdout"; // violates the CHECK constraint
        rows[2].text = "fine too";
        QVERIFY_THROWS_EXCEPTION(Error, addExamples(project, id, rows));
        QCOMPARE(project.summary().examples, std::int64_t{0});
    }
};

FT_REGISTER_TEST(StoreTest);

#include "tst_store.moc"
