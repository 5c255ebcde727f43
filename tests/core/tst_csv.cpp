// tst_csv.cpp: the streaming readers (CSV/TSV, JSON Lines, JSON arrays) on
// edge cases, each read at several chunk sizes so that records split across
// reads are covered; UTF-8 validation; and bounded memory on a large file.
#include "common/error.h"
#include "data/csv_reader.h"
#include "data/json_reader.h"
#include "data/row_source.h"
#include "data/utf8_check.h"
#include "tempproject.h"
#include "testhelpers.h"
#include "testregistry.h"

#include <QTemporaryDir>
#include <QTest>

#include <fstream>

namespace fs = std::filesystem;
using namespace ft;
using ft::test::expectError;
using ft::test::toPath;
using ft::test::writeBytes;

namespace {

// Rows as "line:value|value" and errors as "line!reason".
QStringList describeRows(RowSource &source)
{
    QStringList rows;
    SourceRow row;
    while (source.next(row)) {
        if (!row.error.empty()) {
            rows << QString::number(row.line) + "!" + QString::fromStdString(row.error);
            continue;
        }
        QStringList values;
        for (const auto &value : row.values)
            values << QString::fromStdString(value);
        rows << QString::number(row.line) + ":" + values.join('|');
    }
    return rows;
}

QString joined(const std::vector<std::string> &columns)
{
    QStringList names;
    for (const auto &name : columns)
        names << QString::fromStdString(name);
    return names.join('|');
}

// Expected rows match exactly; expected errors ("line!text") match the line
// and contain the text.
void compareRows(const QStringList &actual, const QStringList &expected, size_t chunk)
{
    const QByteArray where = "chunk " + QByteArray::number(qulonglong(chunk)) + ": " + actual.join(" || ").toUtf8();
    QVERIFY2(actual.size() == expected.size(), where.constData());
    for (int i = 0; i < expected.size(); ++i) {
        const int bang = expected[i].indexOf('!');
        if (bang > 0 && expected[i].left(bang).toInt() > 0 && !expected[i].left(bang).contains(':')) {
            QVERIFY2(actual[i].startsWith(expected[i].left(bang + 1)), where.constData());
            QVERIFY2(actual[i].contains(expected[i].mid(bang + 1)), where.constData());
        } else {
            QVERIFY2(actual[i] == expected[i], where.constData());
        }
    }
}

constexpr size_t kChunkSizes[] = {1, 2, 3, 7, 64 * 1024};

} // namespace

class CsvReaderTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void records_data()
    {
        QTest::addColumn<QByteArray>("input");
        QTest::addColumn<QString>("options"); // letters: n = no header, q = no quoting, t = tab, s = semicolon
        QTest::addColumn<QString>("columns");
        QTest::addColumn<QStringList>("rows");

        QTest::newRow("plain") << QByteArray("text,label\nhello,1\nworld,0\n") << "" << "text|label"
                               << QStringList{"2:hello|1", "3:world|0"};
        QTest::newRow("no final newline") << QByteArray("a,b\n1,2") << "" << "a|b" << QStringList{"2:1|2"};
        QTest::newRow("quoted delimiter and doubled quotes")
            << QByteArray("text,label\n\"hello, world\",1\n\"she said \"\"hi\"\"\",0\n\"\",2\n") << "" << "text|label"
            << QStringList{"2:hello, world|1", "3:she said \"hi\"|0", "4:|2"};
        QTest::newRow("embedded newlines keep line numbers")
            << QByteArray("text,label\n\"line one\nline two\",1\nnext,0\n\"a\n\nb\",1\nlast,0\n") << "" << "text|label"
            << QStringList{"2:line one\nline two|1", "4:next|0", "5:a\n\nb|1", "8:last|0"};
        QTest::newRow("BOM") << QByteArray("\xEF\xBB\xBFtext,label\nx,1\n") << "" << "text|label"
                             << QStringList{"2:x|1"};
        QTest::newRow("CRLF") << QByteArray("text,label\r\nx,1\r\n\"a\r\nb\",0\r\ny,0\r\n") << "" << "text|label"
                              << QStringList{"2:x|1", "3:a\r\nb|0", "5:y|0"};
        QTest::newRow("CR only") << QByteArray("text,label\rx,1\ry,0") << "" << "text|label"
                                 << QStringList{"2:x|1", "3:y|0"};
        QTest::newRow("blank lines skipped") << QByteArray("text,label\n\nx,1\n\n\r\ny,0\n\n") << "" << "text|label"
                                             << QStringList{"3:x|1", "6:y|0"};
        QTest::newRow("empty fields") << QByteArray("a,b,c\n,,\n1,,3\n") << "" << "a|b|c"
                                      << QStringList{"2:||", "3:1||3"};
        QTest::newRow("quote inside a field is text") << QByteArray("a,b\nsay \"x\" now,1\n\"q\"tail,2\n") << ""
                                                      << "a|b" << QStringList{"2:say \"x\" now|1", "3:qtail|2"};
        QTest::newRow("header names trimmed, blank and repeated")
            << QByteArray(" text ,,text\n1,2,3\n") << "" << "text|Unnamed: 1|text.1" << QStringList{"2:1|2|3"};
        QTest::newRow("sniff semicolon") << QByteArray("text;label\n\"a; b, c\";1\nd, e;0\n") << "" << "text|label"
                                         << QStringList{"2:a; b, c|1", "3:d, e|0"};
        QTest::newRow("sniff tab") << QByteArray("sentence\tlabel\nit 's , fine\t1\na , b , c\t0\n") << ""
                                   << "sentence|label" << QStringList{"2:it 's , fine|1", "3:a , b , c|0"};
        QTest::newRow("sniff pipe") << QByteArray("text|label|split\na, b|1|train\nc|0|test\n") << ""
                                    << "text|label|split" << QStringList{"2:a, b|1|train", "3:c|0|test"};
        QTest::newRow("sniff comma over quoted semicolons")
            << QByteArray("text,label\n\"a;b;c\",1\n\"d;e\",0\n") << "" << "text|label"
            << QStringList{"2:a;b;c|1", "3:d;e|0"};
        QTest::newRow("given delimiter") << QByteArray("a;b\n1,5;2\n") << "s" << "a|b" << QStringList{"2:1,5|2"};
        QTest::newRow("no header") << QByteArray("x,1\ny,0\n") << "n" << "1|2" << QStringList{"1:x|1", "2:y|0"};
        QTest::newRow("no quoting (SMSSpamCollection)")
            << QByteArray("ham\t\"quoted\" text, more\nspam\t\"never closed\n") << "nqt" << "1|2"
            << QStringList{"1:ham|\"quoted\" text, more", "2:spam|\"never closed"};
        QTest::newRow("ragged rows") << QByteArray("text,label\nx,1\ny\nz,1,extra\nw,0\n") << "" << "text|label"
                                     << QStringList{"2:x|1", "3!has 1 field where the header has 2",
                                                    "4!has 3 fields where the header has 2", "5:w|0"};
        QTest::newRow("ragged without header") << QByteArray("a,1\nb\n") << "n" << "1|2"
                                               << QStringList{"1:a|1", "2!where the first record has 2"};
        QTest::newRow("unterminated quote mid-file")
            << QByteArray("text,label\nx,1\n\"never closed,1\ny,0\nz,1\n") << "" << "text|label"
            << QStringList{"2:x|1", "3!never closed", "4:y|0", "5:z|1"};
        QTest::newRow("unterminated quote on the last line")
            << QByteArray("text,label\nx,1\n\"oops,1") << "" << "text|label" << QStringList{"2:x|1", "3!never closed"};
        QTest::newRow("unterminated quote after CRLF lines")
            << QByteArray("text,label\r\n\"open,1\r\ny,0\r\n") << "" << "text|label"
            << QStringList{"2!never closed", "3:y|0"};
        QTest::newRow("invalid UTF-8 names the line and column")
            << QByteArray("text,label\nok,1\nbad\xFF,0\ncaf\xC3\xA9,1\n\xC3(,2\n") << "" << "text|label"
            << QStringList{"2:ok|1", "3!invalid UTF-8 in column 'text' (byte 0xFF at offset 3)",
                           QString::fromUtf8("4:café|1"), "5!invalid UTF-8"};
        QTest::newRow("NUL byte") << QByteArray("a,b\nx\0y,1\nz,2\n", 14) << "" << "a|b"
                                  << QStringList{"2!NUL byte", "3:z|2"};
        QTest::newRow("Chinese text") << QByteArray("label,review\n1,\"很好,非常\"\"满意\"\"\"\n") << ""
                                      << "label|review"
                                      << QStringList{QString::fromUtf8("2:1|很好,非常\"满意\"")};
    }

    void records()
    {
        QFETCH(QByteArray, input);
        QFETCH(QString, options);
        QFETCH(QString, columns);
        QFETCH(QStringList, rows);
        QTemporaryDir dir;
        const fs::path file = toPath(dir.filePath("data.txt"));
        writeBytes(file, input);
        for (const size_t chunk : kChunkSizes) {
            ReadOptions read;
            read.chunkBytes = chunk;
            read.hasHeader = !options.contains('n');
            read.quoting = !options.contains('q');
            read.delimiter = options.contains('t') ? '\t' : options.contains('s') ? ';' : 0;
            CsvReader reader(file, read);
            QCOMPARE(joined(reader.columns()), columns);
            compareRows(describeRows(reader), rows, chunk);
            if (QTest::currentTestFailed())
                return;
            QCOMPARE(reader.bytesRead(), reader.totalBytes());
        }
    }

    void runawayQuoteIsCutAtTheRecordLimit()
    {
        QByteArray input = "text,label\n\"opened,1\n";
        for (int i = 0; i < 100; ++i)
            input += "row " + QByteArray::number(i) + ",1\n";
        QTemporaryDir dir;
        const fs::path file = toPath(dir.filePath("runaway.csv"));
        writeBytes(file, input);
        ReadOptions read;
        read.maxRecordBytes = 64;
        read.chunkBytes = 16;
        CsvReader reader(file, read);
        const QStringList rows = describeRows(reader);
        QCOMPARE(rows.size(), 101);
        QVERIFY2(rows[0].startsWith("2!") && rows[0].contains("runs past 64 bytes"), qPrintable(rows[0]));
        QCOMPARE(rows[1], QStringLiteral("3:row 0|1"));
        QCOMPARE(rows[100], QStringLiteral("102:row 99|1"));
        QVERIFY(reader.peakMemoryBytes() < 1024);
    }

    void overlongLineIsSkipped()
    {
        QTemporaryDir dir;
        const fs::path file = toPath(dir.filePath("long.csv"));
        writeBytes(file, "text,label\n" + QByteArray(500, 'x') + ",1\nshort,0\n");
        ReadOptions read;
        read.maxRecordBytes = 100;
        CsvReader reader(file, read);
        compareRows(describeRows(reader), {"2!longer than 100 bytes", "3:short|0"}, read.chunkBytes);
    }

    void sniffing_data()
    {
        QTest::addColumn<QByteArray>("sample");
        QTest::addColumn<char>("delimiter");
        QTest::newRow("comma") << QByteArray("a,b\n1,2\n3,4\n") << ',';
        QTest::newRow("tab") << QByteArray("a\tb\n1, 2\t3\n4\t5,6,7\n") << '\t';
        QTest::newRow("semicolon") << QByteArray("a;b;c\n1,5;2;3\n4;5,5;6\n") << ';';
        QTest::newRow("pipe") << QByteArray("a|b\n1|2\n") << '|';
        QTest::newRow("one column") << QByteArray("text\nhello, world\nbye\n") << ',';
        QTest::newRow("quoted newlines") << QByteArray("a;b\n\"x\ny,z\";1\n\"p,q\";2\n") << ';';
    }

    void sniffing()
    {
        QFETCH(QByteArray, sample);
        QFETCH(char, delimiter);
        QCOMPARE(sniffDelimiter(sample.toStdString(), '"', true), delimiter);
    }

    void utf8_data()
    {
        QTest::addColumn<QByteArray>("text");
        QTest::addColumn<int>("invalidAt"); // -1: valid
        QTest::newRow("ascii") << QByteArray("hello world, a longer ascii run") << -1;
        QTest::newRow("two to four bytes") << QByteArray("caf\xC3\xA9 \xE4\xB8\xAD \xF0\x9F\x98\x80") << -1;
        QTest::newRow("lone continuation") << QByteArray("ab\x80") << 2;
        QTest::newRow("overlong 2-byte") << QByteArray("\xC0\xAF") << 0;
        QTest::newRow("overlong 3-byte") << QByteArray("x\xE0\x80\xAF") << 1;
        QTest::newRow("surrogate") << QByteArray("\xED\xA0\x80") << 0;
        QTest::newRow("above U+10FFFF") << QByteArray("\xF4\x90\x80\x80") << 0;
        QTest::newRow("truncated at end") << QByteArray("abcdefgh\xE4\xB8") << 8;
        QTest::newRow("latin-1") << QByteArray("na\xEFve") << 2;
    }

    void utf8()
    {
        QFETCH(QByteArray, text);
        QFETCH(int, invalidAt);
        const auto found = firstInvalidUtf8(std::string_view(text.constData(), size_t(text.size())));
        QCOMPARE(found ? int(*found) : -1, invalidAt);
    }

    void jsonLines()
    {
        QTemporaryDir dir;
        const fs::path file = toPath(dir.filePath("data.jsonl"));
        writeBytes(file, "{\"text\": \"a\", \"label\": 1}\n"
                         "\n"
                         "{\"label\": 0, \"text\": \"b, \\\"quoted\\\"\", \"extra\": [1, 2]}\r\n"
                         "{\"text\": \"c\"\n"
                         "[1, 2]\n"
                         "{\"text\": null, \"label\": true}\n"
                         "{\"text\": \"\xE4\xB8\xAD\", \"label\": 2.5}");
        for (const size_t chunk : kChunkSizes) {
            ReadOptions read;
            read.chunkBytes = chunk;
            const auto source = openRowSource(file, read);
            QCOMPARE(QString::fromStdString(source->formatName()), QStringLiteral("jsonl"));
            QCOMPARE(joined(source->columns()), QStringLiteral("text|label"));
            compareRows(describeRows(*source),
                        {"1:a|1", "3:b, \"quoted\"|0", "4!not valid JSON: parse error at line 1",
                         "5!expected a JSON object, found an array", "6:|true", QString::fromUtf8("7:中|2.5")},
                        chunk);
        }
    }

    void jsonArray()
    {
        QTemporaryDir dir;
        const fs::path file = toPath(dir.filePath("data.json"));
        // As datasets' to_json(lines=False, indent=2) writes it, with a
        // bracket and a comma inside strings.
        writeBytes(file, "[\n"
                         "  {\n    \"text\": \"a ] b, c\",\n    \"label\": 0\n  },\n"
                         "  {\"text\": \"{x}\", \"label\": [\"n\"]},\n"
                         "  \"not an object\",\n"
                         "  {\"text\": \"last\", \"label\": 1}\n"
                         "]\n");
        for (const size_t chunk : kChunkSizes) {
            ReadOptions read;
            read.chunkBytes = chunk;
            const auto source = openRowSource(file, read);
            QCOMPARE(QString::fromStdString(source->formatName()), QStringLiteral("json"));
            compareRows(describeRows(*source),
                        {"2:a ] b, c|0", "6:{x}|[\"n\"]", "7!expected a JSON object, found a string", "8:last|1"},
                        chunk);
        }
    }

    void truncatedJsonArrayKeepsEarlierRows()
    {
        QTemporaryDir dir;
        const fs::path file = toPath(dir.filePath("cut.json"));
        writeBytes(file, "[{\"text\": \"a\"},\n {\"text\": \"b\"},\n {\"text\": \"c");
        const auto source = openRowSource(file, {});
        compareRows(describeRows(*source), {"1:a", "2:b", "3!ends inside this array element"}, 0);

        const fs::path unclosed = toPath(dir.filePath("unclosed.json"));
        writeBytes(unclosed, "[{\"text\": \"a\"},\n{\"text\": \"b\"}\n");
        const auto second = openRowSource(unclosed, {});
        compareRows(describeRows(*second), {"1:a", "2:b", "3!never closed"}, 0);

        const fs::path trailing = toPath(dir.filePath("trailing.json"));
        writeBytes(trailing, "[{\"text\": \"a\"}]\n{\"text\": \"b\"}\n");
        const auto third = openRowSource(trailing, {});
        compareRows(describeRows(*third), {"1:a", "2!after the end of the JSON array"}, 0);
    }

    void formatDetection()
    {
        QTemporaryDir dir;
        const fs::path linesAsJson = toPath(dir.filePath("to_json_default.json"));
        writeBytes(linesAsJson, "{\"text\": \"a\"}\n{\"text\": \"b\"}\n");
        QCOMPARE(QString::fromStdString(openRowSource(linesAsJson, {})->formatName()), QStringLiteral("jsonl"));

        const fs::path noExtension = toPath(dir.filePath("SMSSpamCollection"));
        writeBytes(noExtension, "ham\thello, there\nspam\twin, now, big\n");
        ReadOptions noHeader;
        noHeader.hasHeader = false;
        const auto sms = openRowSource(noExtension, noHeader);
        QCOMPARE(QString::fromStdString(sms->formatName()), QStringLiteral("tsv"));
        QCOMPARE(sms->delimiter(), '\t');

        const fs::path tsv = toPath(dir.filePath("data.tsv"));
        writeBytes(tsv, "a,b\tc\n1,2\t3\n");
        QCOMPARE(joined(openRowSource(tsv, {})->columns()), QStringLiteral("a,b|c"));
    }

    void unreadableFiles()
    {
        QTemporaryDir dir;
        expectError([&] { openRowSource(toPath(dir.filePath("missing.csv")), {}); }, ErrorKind::NotFound,
                    "missing.csv does not exist");
        // A folder is a folder source; as CSV it is no data file.
        expectError([&] { openRowSource(toPath(dir.path()), {}); }, ErrorKind::InvalidInput,
                    "holds no files to import (expected class-named subfolders");
        ReadOptions asCsv;
        asCsv.format = FileFormat::Csv;
        expectError([&] { openRowSource(toPath(dir.path()), asCsv); }, ErrorKind::InvalidInput, "is a folder");
        const fs::path empty = toPath(dir.filePath("empty.csv"));
        writeBytes(empty, "");
        expectError([&] { openRowSource(empty, {}); }, ErrorKind::InvalidInput, "empty.csv is empty");
        const fs::path utf32 = toPath(dir.filePath("utf32.csv"));
        writeBytes(utf32, QByteArray("\xFF\xFE\0\0t\0\0\0", 8));
        expectError([&] { openRowSource(utf32, {}); }, ErrorKind::InvalidInput, "utf32.csv is UTF-32 text");
        const fs::path noBom = toPath(dir.filePath("nobom.csv"));
        writeBytes(noBom, QByteArray("t\0e\0x\0t\0", 8));
        ReadOptions utf16;
        utf16.encoding = TextEncoding::Utf16;
        expectError([&] { openRowSource(noBom, utf16); }, ErrorKind::InvalidInput,
                    "nobom.csv has no byte-order mark to tell UTF-16's byte order");
        const fs::path badHeader = toPath(dir.filePath("header.csv"));
        writeBytes(badHeader, "\"text,label\n");
        expectError([&] { openRowSource(badHeader, {}); }, ErrorKind::InvalidInput,
                    "header.csv:1: cannot read the header");
        const fs::path noObjects = toPath(dir.filePath("none.jsonl"));
        writeBytes(noObjects, "[1]\n\"x\"\n");
        expectError([&] { openRowSource(noObjects, {}); }, ErrorKind::InvalidInput, "holds no JSON object (line 1");
        expectError([&] { parseFileFormat("xlsx"); }, ErrorKind::InvalidInput, "unknown format 'xlsx'");
    }

    // 200k rows (about 9 MB) stream through a 64 KiB buffer: the reader never
    // holds more than its buffer and one record, whatever the file's size.
    void largeFileStreamsWithBoundedMemory()
    {
        QTemporaryDir dir;
        const fs::path file = toPath(dir.filePath("large.csv"));
        {
            std::ofstream out(file, std::ios::binary);
            out << "text,label\n";
            for (int i = 0; i < 200000; ++i)
                out << "\"row " << i << ", some words to make it longer\"," << (i % 7) << '\n';
        }
        ReadOptions read;
        CsvReader reader(file, read);
        SourceRow row;
        std::int64_t rows = 0;
        std::int64_t lastLine = 0;
        bool valuesOk = true;
        while (reader.next(row)) {
            valuesOk = valuesOk && row.error.empty() && row.values[1] == std::to_string(rows % 7);
            ++rows;
            lastLine = row.line;
        }
        QVERIFY(valuesOk);
        QCOMPARE(rows, std::int64_t{200000});
        QCOMPARE(lastLine, std::int64_t{200001});
        QCOMPARE(reader.bytesRead(), reader.totalBytes());
        QVERIFY(reader.totalBytes() > 8'000'000);
        QVERIFY2(reader.peakMemoryBytes() <= read.chunkBytes + 4096,
                 qPrintable(QString::number(qulonglong(reader.peakMemoryBytes()))));
    }
};

FT_REGISTER_TEST(CsvReaderTest);

#include "tst_csv.moc"
