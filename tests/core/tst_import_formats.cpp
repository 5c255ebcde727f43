// tst_import_formats.cpp: what the import does beyond CSV and JSON: text in
// other encodings converted while streaming (across chunk boundaries and the
// reader's seeks), folders of class folders with their images stored by
// relative path, mappings remembered by the file's shape (schema v3), and a
// cancel leaving the project as it was.
#include "common/error.h"
#include "data/csv_reader.h"
#include "data/dataset_import.h"
#include "data/input_file.h"
#include "store/column_mappings.h"
#include "store/datasets.h"
#include "store/project.h"
#include "store/schema.h"
#include "store/sqlite.h"
#include "tempproject.h"
#include "testhelpers.h"
#include "testregistry.h"

#include <QTemporaryDir>
#include <QTest>

#include <unicode/ucnv.h>

#include <fstream>

namespace fs = std::filesystem;
using namespace ft;
using ft::test::expectError;
using ft::test::toPath;
using ft::test::writeBytes;

namespace {

const fs::path kCorpus = fs::path(FT_TEST_DATA_DIR) / "import-corpus";

// `text` in `encoding` (an ICU converter name), with no byte-order mark.
QByteArray encoded(const QString &text, const char *encoding)
{
    const QByteArray utf8 = text.toUtf8();
    UErrorCode status = U_ZERO_ERROR;
    const int32_t size = ucnv_convert(encoding, "UTF-8", nullptr, 0, utf8.constData(), int32_t(utf8.size()), &status);
    QByteArray bytes(size, Qt::Uninitialized);
    status = U_ZERO_ERROR;
    ucnv_convert(encoding, "UTF-8", bytes.data(), size, utf8.constData(), int32_t(utf8.size()), &status);
    return U_SUCCESS(status) ? bytes : QByteArray();
}

// The rows of a CSV source as "line:field|field" or "line!error".
QStringList rowsOf(RowSource &source)
{
    QStringList rows;
    SourceRow row;
    while (source.next(row)) {
        QString text = QString::number(row.line) + (row.error.empty() ? ":" : "!");
        if (!row.error.empty())
            text += QString::fromStdString(row.error);
        for (std::size_t i = 0; i < row.values.size(); ++i)
            text += (i ? "|" : "") + QString::fromStdString(row.values[i]);
        rows << text;
    }
    return rows;
}

QStringList textsOf(Project &project, std::int64_t datasetId)
{
    QStringList texts;
    for (const Example &example : examples(project, datasetId, 0, 1 << 20))
        texts << QString::fromStdString(example.imagePath ? "@" + *example.imagePath : example.text);
    return texts;
}

} // namespace

class ImportFormatsTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    // The same rows in UTF-8, UTF-16 and GB18030 read the same: long lines
    // cross the converter's 64 KiB chunks, and an unclosed quote makes the
    // CSV reader seek back into text it has already converted.
    void encodingsStreamLikeUtf8_data()
    {
        QTest::addColumn<QString>("encoding");
        QTest::addColumn<QByteArray>("bom");
        QTest::newRow("utf-16le with BOM") << "UTF-16LE" << QByteArray("\xFF\xFE");
        QTest::newRow("utf-16be with BOM") << "UTF-16BE" << QByteArray("\xFE\xFF");
        QTest::newRow("gb18030 when picked") << "GB18030" << QByteArray();
    }

    void encodingsStreamLikeUtf8()
    {
        QFETCH(QString, encoding);
        QFETCH(QByteArray, bom);
        QString text = QStringLiteral("text,label\n");
        for (int i = 0; i < 3000; ++i) {
            text += QStringLiteral("第%1行 row %1 ").arg(i) + QString(i % 97 == 0 ? 70000 : 10, QChar(0x4E2D))
                    + QStringLiteral(",%1\n").arg(i % 3);
            if (i == 1500)
                text += QStringLiteral("\"never closed,1\n"); // the reader seeks back past it
        }
        QTemporaryDir dir;
        const fs::path utf8 = toPath(dir.filePath("utf8.csv"));
        const fs::path other = toPath(dir.filePath("other.csv"));
        writeBytes(utf8, text.toUtf8());
        const QByteArray converted = encoded(text, encoding.toLatin1().constData());
        QVERIFY(!converted.isEmpty());
        writeBytes(other, bom + converted);
        ReadOptions read;
        if (bom.isEmpty())
            read.encoding = TextEncoding::Gb18030;
        CsvReader expected(utf8, {});
        CsvReader actual(other, read);
        QCOMPARE(QString::fromLatin1(encodingName(actual.encoding())), encoding.toLower());
        const QStringList rows = rowsOf(actual);
        QCOMPARE(rows.size(), 3001);
        QCOMPARE(rows, rowsOf(expected));
        QVERIFY(rows[1501].startsWith(QStringLiteral("1503!the quoted field opened on this line is never closed")));
        QCOMPARE(actual.bytesRead(), actual.totalBytes());
    }

    // A bad byte deep in a large GBK file is a row error on its line; the
    // rows around it are kept, undamaged.
    void invalidSequenceIsARowErrorOnItsLine()
    {
        QTemporaryDir dir;
        const fs::path file = toPath(dir.filePath("gbk.txt"));
        QByteArray bytes;
        for (int i = 1; i <= 20000; ++i) {
            bytes += encoded(QStringLiteral("好评 %1\n").arg(i), "GB18030");
            if (i == 12345)
                bytes += "broken \x81\x0A"; // a lead byte cut by the line end: line 12346
        }
        writeBytes(file, bytes);
        QTemporaryDir projectDir;
        Project project = Project::create(toPath(projectDir.path()));
        ImportOptions options;
        options.file = file;
        options.read.encoding = TextEncoding::Gbk;
        const ImportResult result = importDataset(project, options);
        QCOMPARE(result.format, std::string("text"));
        QCOMPARE(result.encoding, std::string("gbk"));
        QCOMPARE(result.rows, std::int64_t{20000});
        QCOMPARE(result.errorCount, std::int64_t{1});
        QCOMPARE(result.errors[0].line, std::int64_t{12346});
        QCOMPARE(result.errors[0].reason,
                 std::string("invalid GBK in the line (byte 0x81 at offset 7); is the file really GBK?"));
        const auto around = examples(project, result.datasetId, 12344, 2);
        QCOMPARE(QString::fromStdString(around[0].text), QStringLiteral("好评 12345"));
        QCOMPARE(QString::fromStdString(around[1].text), QStringLiteral("好评 12346"));
        QCOMPARE(*around[1].sourceLine, std::int64_t{12347});
    }

    void encodingNames()
    {
        QCOMPARE(parseEncoding("UTF-8"), TextEncoding::Utf8);
        QCOMPARE(parseEncoding("utf_16le"), TextEncoding::Utf16Le);
        QCOMPARE(parseEncoding("CP936"), TextEncoding::Gbk);
        QCOMPARE(parseEncoding("ISO-8859-1"), TextEncoding::Latin1);
        expectError([] { parseEncoding("ebcdic"); }, ErrorKind::InvalidInput, "unknown encoding 'ebcdic'");
    }

    // Images are stored by path relative to the folder, which is the
    // dataset's source; split folders give the splits.
    void imageFolderStoresRelativePaths()
    {
        QTemporaryDir dir;
        Project project = Project::create(toPath(dir.path()));
        ImportOptions options;
        options.file = kCorpus / "split_image_folder";
        const ImportResult result = importDataset(project, options);
        QCOMPARE(result.format, std::string("image-folder"));
        QCOMPARE(result.imageColumn, std::string("image"));
        QCOMPARE(result.splitColumn, std::string("split"));
        QVERIFY(result.splitsFromFile);
        QCOMPARE(result.splits.train, std::int64_t{2});
        QCOMPARE(result.splits.validation, std::int64_t{1});
        QCOMPARE(textsOf(project, result.datasetId),
                 (QStringList{"@train/ants/1.png", "@train/bees/2.png", "@val/ants/3.bmp"}));
        const auto stored = examples(project, result.datasetId, 0, 1);
        QCOMPARE(stored[0].text, std::string());
        QCOMPARE(stored[0].sourceFile, std::optional<std::string>("train/ants/1.png"));
        QCOMPARE(stored[0].sourceLine, std::optional<std::int64_t>());
        QCOMPARE(project.database().queryInt("SELECT count(*) FROM examples WHERE text IS NULL"), std::int64_t{3});
        QCOMPARE(listDatasets(project)[0].source, fs::canonical(options.file).string());
    }

    // Without split folders, image rows are split after writing, as reSplit
    // would: stratified and deterministic.
    void imageRowsAreSplitAfterWriting()
    {
        QTemporaryDir dir;
        const fs::path folder = toPath(dir.filePath("pictures"));
        for (int i = 0; i < 20; ++i) {
            const fs::path cls = folder / (i % 2 ? "odd" : "even");
            fs::create_directories(cls);
            // Distinct bytes per file: not duplicates. A BMP header plus one pixel.
            QByteArray bmp("BM", 2);
            const unsigned char rest[] = {58, 0, 0, 0, 0, 0, 0, 0, 54, 0, 0, 0, 40, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0,
                                          1, 0, 24, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                          0, 0, 0, 0, 0, 0, 0, 0};
            bmp += QByteArray(reinterpret_cast<const char *>(rest), sizeof rest);
            bmp += char(i * 10);
            bmp += char(i);
            bmp += char(255 - i);
            bmp += char(0);
            writeBytes(cls / QStringLiteral("%1.bmp").arg(i, 2, 10, QChar('0')).toStdString(), bmp);
        }
        Project project = Project::create(toPath(dir.filePath("project")));
        ImportOptions options;
        options.file = folder;
        options.ratios = {0.6, 0.2, 0.2};
        const ImportResult result = importDataset(project, options);
        QCOMPARE(result.rows, std::int64_t{20});
        QCOMPARE(result.errorCount, std::int64_t{0});
        QCOMPARE(result.duplicateCount, std::int64_t{0});
        QCOMPARE(result.splits.train, std::int64_t{12});
        QCOMPARE(result.splits.validation, std::int64_t{4});
        QCOMPARE(result.splits.test, std::int64_t{4});
        const std::vector<Example> before = examples(project, result.datasetId, 0, 100);
        const SplitCounts again = reSplit(project, result.datasetId, options.ratios, options.seed);
        QCOMPARE(again.train, result.splits.train);
        const std::vector<Example> after = examples(project, result.datasetId, 0, 100);
        for (std::size_t i = 0; i < before.size(); ++i)
            QCOMPARE(after[i].split, before[i].split);
    }

    void cancellingAnImageImportLeavesNothing()
    {
        QTemporaryDir dir;
        Project project = Project::create(toPath(dir.path()));
        ImportOptions options;
        options.file = kCorpus / "image_folder";
        int calls = 0;
        expectError(
            [&] {
                importDataset(project, options, [&](const ImportProgress &) { return ++calls < 1; });
            },
            ErrorKind::Cancelled, "cancelled");
        QCOMPARE(listDatasets(project).size(), size_t{0});
        QCOMPARE(project.database().queryInt("SELECT count(*) FROM examples"), std::int64_t{0});
    }

    // A mapping given by hand is remembered for files with the same columns;
    // a file of another shape is guessed as before.
    void mappingIsRememberedByShape()
    {
        QTemporaryDir dir;
        const fs::path first = toPath(dir.filePath("first.csv"));
        const fs::path second = toPath(dir.filePath("second.csv"));
        const fs::path other = toPath(dir.filePath("other.csv"));
        writeBytes(first, "id,body,tag,note\n1,hello,a,x\n2,world,b,y\n");
        writeBytes(second, "id,body,tag,note\n3,again,a,z\n");
        writeBytes(other, "id,body,tag\n4,x,a\n");
        Project project = Project::create(toPath(dir.filePath("project")));
        ImportOptions options;
        options.file = first;
        options.columns.text = "body";
        options.columns.label = "tag";
        const ImportResult given = importDataset(project, options);
        QCOMPARE(given.columnsFrom, std::string("given"));

        options.file = second;
        options.columns = {};
        const ImportResult remembered = importDataset(project, options);
        QCOMPARE(remembered.columnsFrom, std::string("remembered"));
        QCOMPARE(remembered.textColumn, std::string("body"));
        QCOMPARE(remembered.labelColumn, std::string("tag"));
        QCOMPARE(textsOf(project, remembered.datasetId), QStringList{"again"});

        options.file = other;
        expectError([&] { importDataset(project, options); }, ErrorKind::InvalidInput,
                    "cannot tell which column of " + QString::fromStdString(other.string()) + " holds the text");
        options.rememberColumns = false;
        options.file = second;
        options.datasetName = "not remembered";
        expectError([&] { importDataset(project, options); }, ErrorKind::InvalidInput, "holds the text");

        const auto stored = rememberedMapping(project, {"id", "body", "tag", "note"});
        QVERIFY(stored);
        QCOMPARE(stored->text, std::string("body"));
        QCOMPARE(stored->label, std::string("tag"));
        QCOMPARE(stored->textPair, std::string());
        QVERIFY(!rememberedMapping(project, {"id", "body", "tag"}));
    }

    // A cancelled import remembers nothing either.
    void cancelledImportRemembersNoMapping()
    {
        QTemporaryDir dir;
        const fs::path file = toPath(dir.filePath("data.csv"));
        writeBytes(file, "body,tag\nhello,a\n");
        Project project = Project::create(toPath(dir.filePath("project")));
        ImportOptions options;
        options.file = file;
        options.columns.text = "body";
        expectError([&] { importDataset(project, options, [](const ImportProgress &) { return false; }); },
                    ErrorKind::Cancelled, "cancelled");
        QVERIFY(!rememberedMapping(project, {"body", "tag"}));
    }

    // Schema v3 adds column_mappings to a v2 project, keeping its data and
    // its application id.
    void version2ProjectMigratesToVersion3()
    {
        QTemporaryDir dir;
        const fs::path file = toPath(dir.filePath("project.sqlite"));
        {
            sql::Database db(file, sql::Database::Mode::Create);
            db.exec("PRAGMA application_id = " + std::to_string(store::kApplicationId));
            store::migrate(db, store::migrations().first(2));
            db.exec("INSERT INTO datasets (name, source) VALUES ('old', 'old.csv')");
            QCOMPARE(db.queryInt("PRAGMA user_version"), std::int64_t{2});
            QCOMPARE(db.queryInt("SELECT count(*) FROM sqlite_schema WHERE name = 'column_mappings'"), std::int64_t{0});
        }
        Project project = Project::open(toPath(dir.path()));
        QCOMPARE(project.summary().schemaVersion, store::currentSchemaVersion());
        auto &db = project.database();
        QCOMPARE(db.queryInt("PRAGMA application_id"), std::int64_t{store::kApplicationId});
        QCOMPARE(db.queryInt("SELECT count(*) FROM sqlite_schema WHERE name = 'column_mappings'"), std::int64_t{1});
        QCOMPARE(QString::fromStdString(db.queryText("SELECT name FROM datasets")), QStringLiteral("old"));
        rememberMapping(project, {"a", "b"}, {"b", "", "a", "", ""});
        QCOMPARE(rememberedMapping(project, {"a", "b"})->text, std::string("b"));
    }

    // Without a header, columns are numbered from 1 in names and errors.
    void headerlessColumnsCountFromOne()
    {
        QTemporaryDir dir;
        const fs::path file = toPath(dir.filePath("data.csv"));
        writeBytes(file, "pos,first\nneg,second\n");
        Project project = Project::create(toPath(dir.filePath("project")));
        ImportOptions options;
        options.file = file;
        options.read.hasHeader = false;
        options.columns.text = "3";
        expectError([&] { importDataset(project, options); }, ErrorKind::InvalidInput,
                    "has no column '3' (asked for as the text column); its columns are: 1, 2");
        options.columns.text = "2";
        options.columns.label = "1";
        const ImportResult result = importDataset(project, options);
        QCOMPARE(textsOf(project, result.datasetId), (QStringList{"first", "second"}));
        QCOMPARE(result.labels.size(), size_t{2});
    }
};

FT_REGISTER_TEST(ImportFormatsTest);

#include "tst_import_formats.moc"
