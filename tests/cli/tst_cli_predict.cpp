// tst_cli_predict.cpp: `finetune predict` on files built from the golden
// cases: logits and probabilities against golden.json, row errors with their
// lines, input order across windows, exit codes, and Ctrl+C.
#include "clirunner.h"
#include "tempproject.h"
#include "testhelpers.h"
#include "testregistry.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <fstream>
#include <map>
#include <set>

namespace fs = std::filesystem;
using ft::test::lastJsonLine;
using ft::test::runFinetune;
using nlohmann::json;

namespace {

const fs::path kGolden = fs::path(FT_SHARED_DIR) / "golden";

const json &golden()
{
    static const json document = [] {
        std::ifstream in(kGolden / "golden.json");
        return json::parse(in);
    }();
    return document;
}

QString goldenModel(const std::string &name)
{
    return QString::fromStdString((kGolden / name).string());
}

// RFC 4180 records of a whole file, byte for byte (NULs and CRs kept inside quotes).
std::vector<std::vector<std::string>> parseCsv(const std::string &bytes)
{
    std::vector<std::vector<std::string>> records;
    std::vector<std::string> record;
    std::string field;
    bool quoted = false;
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        const char c = bytes[i];
        if (quoted) {
            if (c == '"' && i + 1 < bytes.size() && bytes[i + 1] == '"')
                field += bytes[++i];
            else if (c == '"')
                quoted = false;
            else
                field += c;
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            record.push_back(std::move(field));
            field.clear();
        } else if (c == '\n') {
            record.push_back(std::move(field));
            field.clear();
            records.push_back(std::move(record));
            record.clear();
        } else if (c != '\r') {
            field += c;
        }
    }
    return records;
}

std::string csvField(const std::string &text)
{
    std::string out = "\"";
    for (const char c : text)
        out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}

std::string pairOf(const json &testCase)
{
    return testCase["text_pair"].is_string() ? testCase["text_pair"].get<std::string>() : std::string();
}

// One input file of the golden cases truncated to `maxLength`, and what the
// command must make of it: the rows it writes (case indexes) and the lines it reports.
struct GoldenInput {
    QString file;
    std::vector<std::size_t> written;
    std::vector<std::int64_t> errorLines;
};

GoldenInput writeGoldenInput(const QTemporaryDir &dir, const QString &format, std::int64_t maxLength)
{
    GoldenInput input;
    input.file = dir.filePath(QStringLiteral("cases%1.%2").arg(maxLength).arg(format));
    const bool csv = format == QStringLiteral("csv");
    std::string bytes = csv ? "id,text,text_pair\n" : "";
    const json &cases = golden()["cases"];
    for (std::size_t i = 0; i < cases.size(); ++i) {
        if (cases[i]["max_length"].get<std::int64_t>() != maxLength)
            continue;
        const std::string text = cases[i]["text"].get<std::string>();
        const std::int64_t line = 1 + std::count(bytes.begin(), bytes.end(), '\n');
        // CSV cannot carry a NUL byte, and no format an empty text: both are row errors.
        if (text.empty() || (csv && text.find('\0') != std::string::npos))
            input.errorLines.push_back(line);
        else
            input.written.push_back(i);
        const std::string id = cases[i]["id"].get<std::string>();
        if (csv)
            bytes += id + "," + csvField(text) + "," + csvField(pairOf(cases[i])) + "\n";
        else
            bytes += json{{"id", id}, {"text", text}, {"text_pair", cases[i]["text_pair"]}}.dump() + "\n";
    }
    std::ofstream(ft::test::toPath(input.file), std::ios::binary) << bytes;
    return input;
}

std::vector<std::vector<std::string>> readOutput(const QString &file)
{
    const QByteArray bytes = ft::test::readBytes(ft::test::toPath(file));
    return parseCsv(bytes.toStdString());
}

} // namespace

class CliPredictTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void logitsMatchGolden_data()
    {
        QTest::addColumn<QString>("model");
        QTest::addColumn<QString>("format");
        for (const char *model : {"tiny-bert-uncased", "tiny-bert-uncased-f16", "tiny-bert-uncased-bf16"})
            for (const char *format : {"csv", "jsonl"})
                QTest::newRow(qPrintable(QStringLiteral("%1/%2").arg(model, format)))
                    << QString::fromLatin1(model) << QString::fromLatin1(format);
    }

    // Every case at the max length the golden used (32, and 16 for one pair
    // case): label, probabilities and logits per row, in input order.
    void logitsMatchGolden()
    {
        QFETCH(QString, model);
        QFETCH(QString, format);
        const json &expected = golden()["models"][model.toStdString()]["outputs"];
        const double tolerance = 2e-5;
        const std::vector<std::string> labels = {"negative", "neutral", "positive"};
        std::set<std::int64_t> maxLengths;
        for (const json &testCase : golden()["cases"])
            maxLengths.insert(testCase["max_length"].get<std::int64_t>());
        QCOMPARE(*maxLengths.rbegin(), golden()["default_max_length"].get<std::int64_t>());

        std::size_t checked = 0;
        for (const std::int64_t maxLength : maxLengths) {
            QTemporaryDir dir;
            const GoldenInput input = writeGoldenInput(dir, format, maxLength);
            const QString output = dir.filePath(QStringLiteral("out.csv"));
            const auto result = runFinetune({"predict", "--model", goldenModel(model.toStdString()), "--input",
                                             input.file, "--output", output, "--logits", "--max-length",
                                             QString::number(maxLength), "--batch-size", "3", "--json"});
            QVERIFY2(result.exitCode == 0, qPrintable(result.err));
            const QJsonObject summary = lastJsonLine(result.out);
            QCOMPARE(summary.value(QStringLiteral("rows")).toInt(), int(input.written.size()));
            QCOMPARE(summary.value(QStringLiteral("errors")).toInt(), int(input.errorLines.size()));
            QVERIFY(summary.contains(QStringLiteral("seconds")) && summary.contains(QStringLiteral("rows_per_s")));
            for (const std::int64_t line : input.errorLines) {
                const QString where = QStringLiteral("%1:%2:").arg(input.file).arg(line);
                QVERIFY2(result.err.contains(where), qPrintable(where + QStringLiteral(" not in: ") + result.err));
            }

            const auto records = readOutput(output);
            QCOMPARE(records.size(), input.written.size() + 1);
            const std::vector<std::string> header = {"text", "text_pair", "label", "prob_negative", "prob_neutral",
                                                     "prob_positive", "logit_negative", "logit_neutral",
                                                     "logit_positive"};
            QCOMPARE(records[0], header);
            for (std::size_t r = 0; r < input.written.size(); ++r) {
                const json &testCase = golden()["cases"][input.written[r]];
                const json &want = expected[testCase["id"].get<std::string>()];
                const std::vector<std::string> &row = records[r + 1];
                QCOMPARE(row.size(), header.size());
                QCOMPARE(row[0], testCase["text"].get<std::string>());
                QCOMPARE(row[1], pairOf(testCase));
                std::size_t best = 0;
                for (std::size_t c = 0; c < 3; ++c) {
                    const double prob = std::stod(row[3 + c]);
                    const double logit = std::stod(row[6 + c]);
                    QVERIFY2(std::abs(logit - want["logits"][c].get<double>()) <= tolerance,
                             qPrintable(QStringLiteral("%1 logit %2: %3 vs %4")
                                            .arg(QString::fromStdString(testCase["id"].get<std::string>()))
                                            .arg(c)
                                            .arg(logit, 0, 'g', 9)
                                            .arg(want["logits"][c].get<double>(), 0, 'g', 9)));
                    QVERIFY(std::abs(prob - want["probs"][c].get<double>()) <= tolerance);
                    if (want["logits"][c].get<double>() > want["logits"][best].get<double>())
                        best = c;
                }
                QCOMPARE(row[2], labels[best]);
                ++checked;
            }
        }
        // All ten cases but the empty text (and, in CSV, the one with a NUL byte).
        QCOMPARE(checked, format == QStringLiteral("csv") ? std::size_t(8) : std::size_t(9));
    }

    // A ragged row and an empty text are reported with their lines and
    // skipped; the rest is written complete, in order, quoting kept.
    void badRowsAreReportedAndSkipped()
    {
        QTemporaryDir dir;
        const QString input = dir.filePath(QStringLiteral("in.csv"));
        ft::test::writeBytes(ft::test::toPath(input), "text,label\n"                 // 1
                                                      "\"good, with a comma\",x\n"  // 2
                                                      "ragged,row,here\n"           // 3
                                                      "\"say \"\"hi\"\"\",y\n"      // 4
                                                      ",z\n"                        // 5
                                                      "\"two\nlines\",w\n"          // 6-7
                                                      "last one,v\n");              // 8
        const QString output = dir.filePath(QStringLiteral("out.csv"));
        const auto result = runFinetune({"predict", "--model", goldenModel("tiny-bert-uncased"), "--input", input,
                                         "--output", output, "--json"});
        QVERIFY2(result.exitCode == 0, qPrintable(result.err));
        QVERIFY2(result.err.contains(input + QStringLiteral(":3:")), qPrintable(result.err));
        QVERIFY2(result.err.contains(input + QStringLiteral(":5:")), qPrintable(result.err));
        QCOMPARE(lastJsonLine(result.out).value(QStringLiteral("errors")).toInt(), 2);
        const auto records = readOutput(output);
        QCOMPARE(records.size(), std::size_t(5));
        QCOMPARE(records[0], (std::vector<std::string>{"text", "label", "prob_negative", "prob_neutral",
                                                       "prob_positive"}));
        QCOMPARE(records[1][0], std::string("good, with a comma"));
        QCOMPARE(records[2][0], std::string("say \"hi\""));
        QCOMPARE(records[3][0], std::string("two\nlines"));
        QCOMPARE(records[4][0], std::string("last one"));
        for (std::size_t r = 1; r < records.size(); ++r) {
            double sum = 0;
            for (std::size_t c = 2; c < 5; ++c)
                sum += std::stod(records[r][c]);
            QVERIFY(std::abs(sum - 1.0) < 1e-5);
        }
    }

    // An image classifier (tests/vision/golden): the images of a data file's
    // image column, paths relative to the file, or of a folder; logits as
    // the reference computed them; an unreadable image is named and skipped.
    void imageClassifiersPredictImages()
    {
        const fs::path vision = fs::path(FT_TESTS_DIR) / "vision" / "golden";
        std::ifstream in(vision / "golden.json");
        const json expected = json::parse(in);
        QTemporaryDir dir;
        const fs::path images = ft::test::toPath(dir.filePath(QStringLiteral("pictures")));
        fs::create_directories(images / "more");
        fs::copy_file(vision / "images" / "gradient_rgb.png", images / "gradient_rgb.png");
        fs::copy_file(vision / "images" / "gray_l.png", images / "more" / "gray_l.png");
        ft::test::writeBytes(images / "broken.png", "\x89PNG not really");
        const QString list = dir.filePath(QStringLiteral("pictures/list.csv"));
        ft::test::writeBytes(ft::test::toPath(list), "image,note\ngradient_rgb.png,a\nbroken.png,b\nmore/gray_l.png,c\n");

        for (const char *model : {"vit-tiny", "resnet-tiny-bottleneck"}) {
            const QString output = dir.filePath(QStringLiteral("out.csv"));
            const auto result = runFinetune({"predict", "--model", QString::fromStdString((vision / model).string()),
                                             "--input", list, "--output", output, "--logits", "--json"});
            QVERIFY2(result.exitCode == 0, qPrintable(result.err));
            QVERIFY2(result.err.contains(QStringLiteral("broken.png")), qPrintable(result.err));
            const QJsonObject summary = lastJsonLine(result.out);
            QCOMPARE(summary.value(QStringLiteral("rows")).toInt(), 2);
            QCOMPARE(summary.value(QStringLiteral("errors")).toInt(), 1);
            const auto records = readOutput(output);
            QCOMPARE(records.size(), std::size_t(3));
            QCOMPARE(records[0], (std::vector<std::string>{"image", "label", "prob_ant", "prob_bee", "prob_wasp",
                                                           "logit_ant", "logit_bee", "logit_wasp"}));
            const std::pair<std::string, std::string> rows[] = {{"gradient_rgb.png", "gradient_rgb"},
                                                                {"more/gray_l.png", "gray_l"}};
            for (std::size_t r = 0; r < 2; ++r) {
                QCOMPARE(records[r + 1][0], rows[r].first);
                const json &want = expected["models"][model]["images"][rows[r].second];
                QCOMPARE(records[r + 1][1], want["argmax_label"].get<std::string>());
                for (std::size_t c = 0; c < 3; ++c)
                    QVERIFY2(std::abs(std::stod(records[r + 1][5 + c]) - want["logits"][c].get<double>()) < 2e-5,
                             model);
            }
        }
        // A folder: every image under it, sorted; the broken one reported.
        const QString output = dir.filePath(QStringLiteral("folder.csv"));
        const auto folder = runFinetune({"predict", "--model", QString::fromStdString((vision / "vit-tiny").string()),
                                         "--input", QString::fromStdString(images.string()), "--output", output});
        QVERIFY2(folder.exitCode == 0, qPrintable(folder.err));
        const auto records = readOutput(output);
        QCOMPARE(records.size(), std::size_t(3));
        QCOMPARE(records[1][0], std::string("gradient_rgb.png"));
        QCOMPARE(records[2][0], std::string("more/gray_l.png"));
        QVERIFY(folder.out.contains(QStringLiteral("Predicted 2 images (1 skipped)")));
    }

    // More rows than a window of batches: input order survives the length sort,
    // and batch size does not change the numbers.
    void orderSurvivesWindowsAndBatchSizes()
    {
        QTemporaryDir dir;
        const QString input = dir.filePath(QStringLiteral("in.jsonl"));
        std::string bytes;
        for (int i = 0; i < 150; ++i) {
            std::string text = "row " + std::to_string(i);
            for (int w = 0; w < (i * 7) % 23; ++w)
                text += " cafe players world";
            bytes += json{{"text", text}}.dump() + "\n";
        }
        ft::test::writeBytes(ft::test::toPath(input), QByteArray::fromStdString(bytes));
        const QString batched = dir.filePath(QStringLiteral("batched.csv"));
        const QString single = dir.filePath(QStringLiteral("single.csv"));
        const QString model = goldenModel("tiny-bert-uncased");
        QCOMPARE(runFinetune({"predict", "--model", model, "--input", input, "--output", batched, "--logits",
                              "--batch-size", "4", "--threads", "1"})
                     .exitCode,
                 0);
        QCOMPARE(runFinetune({"predict", "--model", model, "--input", input, "--output", single, "--logits",
                              "--batch-size", "1", "--device", "cpu"})
                     .exitCode,
                 0);
        const auto a = readOutput(batched);
        const auto b = readOutput(single);
        QCOMPARE(a.size(), std::size_t(151));
        QCOMPARE(b.size(), a.size());
        for (std::size_t r = 1; r < a.size(); ++r) {
            QVERIFY(a[r][0].rfind("row " + std::to_string(r - 1), 0) == 0);
            QCOMPARE(a[r][0], b[r][0]);
            QCOMPARE(a[r][1], b[r][1]);
            for (std::size_t c = 2; c < a[r].size(); ++c)
                QVERIFY(std::abs(std::stod(a[r][c]) - std::stod(b[r][c])) <= 1e-5);
        }
    }

    void errorsHaveTheirExitCodes()
    {
        QTemporaryDir dir;
        const QString input = dir.filePath(QStringLiteral("in.csv"));
        ft::test::writeBytes(ft::test::toPath(input), "text\nhello world\n");
        const QString output = dir.filePath(QStringLiteral("out.csv"));
        const auto predict = [&](const QString &model, const QString &file) {
            return runFinetune({"predict", "--model", model, "--input", file, "--output", output});
        };

        const auto missing = predict(dir.filePath(QStringLiteral("no-such-model")), input);
        QCOMPARE(missing.exitCode, 4);
        QVERIFY(missing.err.contains(QStringLiteral("no-such-model")));

        // A base checkpoint has no trained head: it is refused, not run with a random one.
        const auto base = predict(goldenModel("tiny-bert-uncased-base"), input);
        QCOMPARE(base.exitCode, 5);
        QVERIFY2(base.err.contains(QStringLiteral("classifier")), qPrintable(base.err));

        const fs::path broken = ft::test::toPath(dir.filePath(QStringLiteral("broken")));
        fs::create_directories(broken);
        ft::test::writeBytes(broken / "config.json", "{ not json");
        const auto malformed = predict(QString::fromStdString(broken.string()), input);
        QCOMPARE(malformed.exitCode, 3);
        QVERIFY(malformed.err.contains(QStringLiteral("config.json")));

        const QString noText = dir.filePath(QStringLiteral("notext.csv"));
        ft::test::writeBytes(ft::test::toPath(noText), "foo,bar\n1,2\n");
        const auto column = predict(goldenModel("tiny-bert-uncased"), noText);
        QCOMPARE(column.exitCode, 3);
        QVERIFY(column.err.contains(QStringLiteral("notext.csv")));

        const auto tooLong = runFinetune({"predict", "--model", goldenModel("tiny-bert-uncased"), "--input", input,
                                          "--output", output, "--max-length", "65"});
        QCOMPARE(tooLong.exitCode, 3);
        QVERIFY(tooLong.err.contains(QStringLiteral("max_position_embeddings")));

        QCOMPARE(predict(goldenModel("tiny-bert-uncased"), dir.filePath(QStringLiteral("none.csv"))).exitCode, 4);
        QVERIFY(!QFile::exists(output));
        QCOMPARE(ft::test::folderListing(ft::test::toPath(dir.path())).filter(QStringLiteral(".tmp")).size(), 0);
    }

    // Ctrl+C: exit 130, the previous output untouched, no temporary file left.
    void interruptLeavesNoPartialOutput()
    {
        QTemporaryDir dir;
        const QString input = dir.filePath(QStringLiteral("big.csv"));
        {
            std::ofstream out(ft::test::toPath(input), std::ios::binary);
            out << "text\n";
            for (int i = 0; i < 300000; ++i)
                out << "row number " << i << " with a few more words to classify\n";
        }
        const QString output = dir.filePath(QStringLiteral("out.csv"));
        ft::test::writeBytes(ft::test::toPath(output), "previous\n");
        QProcess process;
        process.start(QStringLiteral(FINETUNE_CLI_PATH), {"predict", "--model", goldenModel("tiny-bert-uncased"),
                                                          "--input", input, "--output", output});
        QVERIFY(process.waitForStarted());
        // The first progress line comes after the interrupt handler is installed.
        while (process.readAllStandardError().isEmpty() && process.state() == QProcess::Running)
            process.waitForReadyRead(100);
        QCOMPARE(process.state(), QProcess::Running);
        ::kill(pid_t(process.processId()), SIGINT);
        QVERIFY(process.waitForFinished(60000));
        QCOMPARE(process.exitCode(), 130);
        QVERIFY(QString::fromUtf8(process.readAllStandardError()).contains(QStringLiteral("cancelled")));
        QCOMPARE(ft::test::readBytes(ft::test::toPath(output)), QByteArray("previous\n"));
        QCOMPARE(ft::test::folderListing(ft::test::toPath(dir.path())),
                 (QStringList{QStringLiteral("big.csv"), QStringLiteral("out.csv")}));
    }
};

FT_REGISTER_TEST(CliPredictTest);

#include "tst_cli_predict.moc"
