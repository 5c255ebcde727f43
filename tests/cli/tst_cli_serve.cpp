// tst_cli_serve.cpp: `finetune serve` as a client sees it: the port line on
// stdout, /health, /info, /predict (texts, pairs, 20 concurrent clients) equal
// to the Predictor's own answers, refusals with their status and reason,
// SIGTERM and SIGINT ending with exit code 0, and a project's run folder as
// --model for serve and predict.
#include "clirunner.h"
#include "infer/predictor.h"
#include "tempproject.h"
#include "testhelpers.h"
#include "testregistry.h"

#include <QElapsedTimer>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <csignal>
#include <thread>

namespace fs = std::filesystem;
using ft::test::runFinetune;
using nlohmann::json;

namespace {

const fs::path kGoldenModel = fs::path(FT_SHARED_DIR) / "golden" / "tiny-bert-uncased";
const QString kGolden = QString::fromStdString(kGoldenModel.string());

// Starts `finetune serve ARGS` and reads the port from its first stdout line; -1 (and why) when it does not come.
int startServer(QProcess &process, const QStringList &args, QString &why)
{
    process.start(QStringLiteral(FINETUNE_CLI_PATH), QStringList{QStringLiteral("serve")} + args);
    static const QRegularExpression line(QStringLiteral("^listening on http://127\\.0\\.0\\.1:(\\d+)\\n$"));
    QElapsedTimer timer;
    timer.start();
    while (timer.elapsed() < 60000) {
        if (process.canReadLine()) {
            const QString first = QString::fromUtf8(process.readLine());
            const auto match = line.match(first);
            why = QStringLiteral("unexpected first line: ") + first;
            return match.hasMatch() ? match.captured(1).toInt() : -1;
        }
        if (process.state() == QProcess::NotRunning)
            break;
        process.waitForReadyRead(100);
    }
    why = QStringLiteral("no port line; stderr: ") + QString::fromUtf8(process.readAllStandardError());
    return -1;
}

// Sends SIGTERM or SIGINT and checks the server ends cleanly, with exit code 0.
QString stopsCleanly(QProcess &process, int signal)
{
    ::kill(pid_t(process.processId()), signal);
    if (!process.waitForFinished(30000))
        return QStringLiteral("still running 30 s after the signal");
    const QString err = QString::fromUtf8(process.readAllStandardError());
    if (process.exitStatus() != QProcess::NormalExit || process.exitCode() != 0)
        return QStringLiteral("exit code %1; stderr: %2").arg(process.exitCode()).arg(err);
    return err.contains(QStringLiteral("stopped")) ? QString() : QStringLiteral("no 'stopped' in: ") + err;
}

struct Reply {
    int status = -1;
    std::string failure; // httplib's error when no answer came
    std::string contentType;
    json body;
};

Reply request(int port, const std::string &method, const std::string &path, const std::string &body = {})
{
    httplib::Client client("127.0.0.1", port);
    client.set_read_timeout(60, 0);
    httplib::Result result = method == "GET"      ? client.Get(path)
                             : method == "POST"   ? client.Post(path, body, "application/json")
                             : method == "DELETE" ? client.Delete(path)
                                                  : client.Put(path, body, "application/json");
    Reply reply;
    if (!result) {
        reply.failure = httplib::to_string(result.error());
        return reply;
    }
    reply.status = result->status;
    reply.contentType = result->get_header_value("Content-Type");
    reply.body = json::parse(result->body, nullptr, false); // discarded (not JSON) unless valid
    return reply;
}

// JSON compared as its text, which QCOMPARE can print.
QString dumped(const json &value)
{
    return QString::fromStdString(value.dump());
}

std::string textsBody(const std::vector<std::string> &texts)
{
    return json{{"texts", texts}}.dump();
}

} // namespace

class CliServeTest : public QObject {
    Q_OBJECT

private:
    QProcess mServer;
    int mPort = -1;
    ft::Predictor mReference; // what the server must answer, computed here

    // Empty when `rows` (the server's predictions) equal the reference's for these texts and pairs.
    QString differsFromReference(const json &rows, const std::vector<std::string> &texts,
                                 const std::vector<std::string> &pairs = {}) const
    {
        const std::vector<std::string_view> t(texts.begin(), texts.end());
        const std::vector<std::string_view> p(pairs.begin(), pairs.end());
        const ft::Predictions want = mReference.predict(t, p);
        if (!rows.is_array() || rows.size() != want.size())
            return QStringLiteral("expected %1 predictions: %2").arg(want.size()).arg(QString::fromStdString(rows.dump()));
        const std::vector<std::string> &labels = mReference.labelNames();
        for (std::size_t r = 0; r < want.size(); ++r) {
            const json &row = rows[r];
            if (row.value("label", "") != want.labels[r] || row.value("label_id", -1) != want.labelIds[r])
                return QStringLiteral("row %1: %2").arg(r).arg(QString::fromStdString(row.dump()));
            for (std::size_t c = 0; c < labels.size(); ++c) {
                const double got = row["probabilities"].value(labels[c], -1.0);
                if (std::abs(got - double(want.probabilities[r * labels.size() + c])) > 1e-5)
                    return QStringLiteral("row %1 %2: %3").arg(r).arg(QString::fromStdString(labels[c])).arg(got);
            }
        }
        return {};
    }

private Q_SLOTS:
    void initTestCase()
    {
        ft::PredictorOptions options;
        options.device = "cpu";
        mReference.load(kGoldenModel, options);
        QString why;
        mPort = startServer(mServer, {"--model", kGolden, "--port", "0", "--max-texts", "8", "--max-body-bytes",
                                      "4096", "--max-batch", "4", "--device", "cpu", "--threads", "1"},
                            why);
        QVERIFY2(mPort > 0, qPrintable(why));
    }

    void cleanupTestCase()
    {
        if (mServer.state() != QProcess::NotRunning) {
            mServer.kill();
            mServer.waitForFinished();
        }
    }

    void healthAndInfo()
    {
        const Reply health = request(mPort, "GET", "/health");
        QCOMPARE(health.status, 200);
        QCOMPARE(health.contentType, std::string("application/json"));
        QCOMPARE(dumped(health.body), dumped(json({{"status", "ok"}})));

        const Reply info = request(mPort, "GET", "/info");
        QCOMPARE(info.status, 200);
        QCOMPARE(fs::path(info.body.value("model", "")), kGoldenModel);
        QCOMPARE(dumped(info.body["labels"]), dumped(json({"negative", "neutral", "positive"})));
        QCOMPARE(dumped(info.body["max_length"]), dumped(json(mReference.maxLength())));
        QCOMPARE(dumped(info.body["max_batch"]), dumped(json(4)));
        QCOMPARE(dumped(info.body["max_texts"]), dumped(json(8)));
        QCOMPARE(dumped(info.body["device"]), dumped(json("cpu")));
        QCOMPARE(dumped(info.body["version"]), dumped(json(FINETUNE_VERSION)));
        for (const char *counter : {"requests", "batches"})
            QVERIFY2(info.body[counter].is_number_unsigned(), counter);
    }

    void predictionsEqualThePredictors()
    {
        for (const std::vector<std::string> &texts :
             {std::vector<std::string>{"hello world, unaffable players!"},
              std::vector<std::string>{"The kettle works perfectly", "awful, never again", "ok", "café ☕ naïve",
                                       "a much longer text that goes on and on about the players of the world"}}) {
            const Reply reply = request(mPort, "POST", "/predict", textsBody(texts));
            QCOMPARE(reply.status, 200);
            QCOMPARE(reply.contentType, std::string("application/json"));
            const QString diff = differsFromReference(reply.body["predictions"], texts);
            QVERIFY2(diff.isEmpty(), qPrintable(diff));
        }
    }

    // [text, text_pair] is encoded as a pair; a plain string in the same request as the text alone.
    void pairsArePairs()
    {
        const std::string text = "How old are you?", pair = "I am six years old, and you?";
        const json body = {{"texts", json::array({json::array({text, pair}), text})}};
        const Reply reply = request(mPort, "POST", "/predict", body.dump());
        QCOMPARE(reply.status, 200);
        const QString diff = differsFromReference(reply.body["predictions"], {text, text}, {pair, ""});
        QVERIFY2(diff.isEmpty(), qPrintable(diff));
        QVERIFY(reply.body["predictions"][0]["probabilities"] != reply.body["predictions"][1]["probabilities"]);
    }

    // 20 clients at once, 1 to 3 texts each: each gets its own answers.
    void concurrentClientsGetTheirOwnRows()
    {
        const std::size_t clients = 20;
        std::vector<std::vector<std::string>> texts(clients);
        for (std::size_t i = 0; i < clients; ++i)
            for (std::size_t j = 0; j <= i % 3; ++j)
                texts[i].push_back("client " + std::to_string(i) + std::string(i % 5, '!') + " text " +
                                   std::to_string(j) + (i % 2 ? " works perfectly" : " awful"));
        const json before = request(mPort, "GET", "/info").body;
        std::vector<Reply> replies(clients);
        std::vector<std::thread> threads;
        for (std::size_t i = 0; i < clients; ++i)
            threads.emplace_back([&, i] { replies[i] = request(mPort, "POST", "/predict", textsBody(texts[i])); });
        for (std::thread &thread : threads)
            thread.join();
        for (std::size_t i = 0; i < clients; ++i) {
            QVERIFY2(replies[i].status == 200, replies[i].failure.c_str());
            const QString diff = differsFromReference(replies[i].body["predictions"], texts[i]);
            QVERIFY2(diff.isEmpty(), qPrintable(QStringLiteral("client %1: %2").arg(i).arg(diff)));
        }
        const json after = request(mPort, "GET", "/info").body;
        QCOMPARE(after["requests"].get<std::uint64_t>() - before["requests"].get<std::uint64_t>(),
                 std::uint64_t(clients));
        QVERIFY(after["batches"].get<std::uint64_t>() > before["batches"].get<std::uint64_t>());
    }

    void refusals_data()
    {
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("reason");
        QTest::newRow("bad JSON") << QByteArray(R"({"texts": ["a",)") << 400 << "parse error at line 1, column";
        QTest::newRow("not UTF-8") << QByteArray("{\"texts\": [\"\xff\"]}") << 400 << "invalid JSON";
        QTest::newRow("not an object") << QByteArray(R"(["a"])") << 400 << "an array";
        QTest::newRow("no texts") << QByteArray("{}") << 400 << "\"texts\"";
        QTest::newRow("unknown field") << QByteArray(R"({"text": ["a"]})") << 400 << "unknown field \"text\"";
        QTest::newRow("texts not an array") << QByteArray(R"({"texts": "a"})") << 400 << "\"texts\" is a string";
        QTest::newRow("no text") << QByteArray(R"({"texts": []})") << 400 << "empty";
        QTest::newRow("a number") << QByteArray(R"({"texts": ["a", 3]})") << 400 << "texts[1] is a number";
        QTest::newRow("empty text") << QByteArray(R"({"texts": ["a", "b", ""]})") << 400 << "texts[2] is empty";
        QTest::newRow("short pair") << QByteArray(R"({"texts": ["a", ["b"]]})") << 400 << "texts[1] is an array of 1";
        QTest::newRow("empty pair") << QByteArray(R"({"texts": [["a", ""]]})") << 400 << "texts[0][1] is empty";
        QTest::newRow("too many texts") << QByteArray::fromStdString(textsBody(std::vector<std::string>(9, "a")))
                                        << 413 << "limit of 8";
        QTest::newRow("body too large") << QByteArray::fromStdString(textsBody({std::string(5000, 'a')})) << 413
                                        << "limit of 4096 bytes";
    }

    void refusals()
    {
        QFETCH(QByteArray, body);
        QFETCH(int, status);
        QFETCH(QString, reason);
        const Reply reply = request(mPort, "POST", "/predict", body.toStdString());
        QCOMPARE(reply.status, status);
        QCOMPARE(reply.contentType, std::string("application/json"));
        const QString error = QString::fromStdString(reply.body.value("error", ""));
        QVERIFY2(error.contains(reason), qPrintable(error));
    }

    void unknownPathsAndMethods()
    {
        const Reply missing = request(mPort, "GET", "/nope");
        QCOMPARE(missing.status, 404);
        QVERIFY(QString::fromStdString(missing.body.value("error", "")).contains(QStringLiteral("/predict")));
        for (const auto &[method, path] : std::vector<std::pair<std::string, std::string>>{
                 {"GET", "/predict"}, {"POST", "/health"}, {"DELETE", "/info"}, {"PUT", "/predict"}}) {
            const Reply wrong = request(mPort, method, path);
            QVERIFY2(wrong.status == 405, (method + " " + path).c_str());
            QVERIFY(wrong.body.contains("error"));
        }
    }

    void badStartsHaveTheirExitCodes()
    {
        QCOMPARE(runFinetune({"serve", "--model", kGolden + QStringLiteral("/missing"), "--port", "0"}).exitCode, 4);
        const auto file = runFinetune({"serve", "--model", kGolden + QStringLiteral("/config.json"), "--port", "0"});
        QCOMPARE(file.exitCode, 3);
        QVERIFY2(file.err.contains(QStringLiteral("config.json")), qPrintable(file.err));
        QCOMPARE(runFinetune({"serve", "--model", kGolden, "--port", "70000"}).exitCode, 2);
        const auto taken = runFinetune({"serve", "--model", kGolden, "--port", QString::number(mPort)}, {}, 30000);
        QCOMPARE(taken.exitCode, 1);
        QVERIFY2(taken.err.contains(QStringLiteral("cannot listen")), qPrintable(taken.err));
    }

    void sigtermStopsCleanly()
    {
        const QString problem = stopsCleanly(mServer, SIGTERM);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
    }

    // A completed run's folder (PROJECT/runs/N) is a model for predict and serve alike.
    void runFolderIsAModel()
    {
        QTemporaryDir dir;
        const QString project = dir.filePath(QStringLiteral("sample"));
        QCOMPARE(runFinetune({"project", "sample", project}).exitCode, 0);
        const QString config = dir.filePath(QStringLiteral("run.json"));
        ft::test::writeBytes(ft::test::toPath(config), R"({"max_steps": 2, "per_device_train_batch_size": 8,
            "eval_strategy": "no", "save_steps": 100, "logging_steps": 1, "threads": 1})");
        const auto trained = runFinetune({"train", "--project", project, "--dataset", "product-reviews", "--model",
                                          kGolden, "--config", config, "--json"});
        QVERIFY2(trained.exitCode == 0, qPrintable(trained.err));
        const QString run = project + QStringLiteral("/runs/") +
                            QString::number(ft::test::lastJsonLine(trained.out).value(QStringLiteral("run_id")).toInt());

        const QString input = dir.filePath(QStringLiteral("in.csv"));
        ft::test::writeBytes(ft::test::toPath(input), "text\nworks perfectly\nawful\n");
        const QString fromRun = dir.filePath(QStringLiteral("run.csv"));
        const QString fromModel = dir.filePath(QStringLiteral("model.csv"));
        const auto a = runFinetune({"predict", "--model", run, "--input", input, "--output", fromRun});
        QVERIFY2(a.exitCode == 0, qPrintable(a.err));
        QCOMPARE(runFinetune({"predict", "--model", run + QStringLiteral("/model"), "--input", input, "--output",
                              fromModel})
                     .exitCode,
                 0);
        QCOMPARE(ft::test::readBytes(ft::test::toPath(fromRun)), ft::test::readBytes(ft::test::toPath(fromModel)));

        QProcess server;
        QString why;
        const int port = startServer(server, {"--model", run, "--port", "0", "--device", "cpu"}, why);
        QVERIFY2(port > 0, qPrintable(why));
        const Reply info = request(port, "GET", "/info");
        QCOMPARE(fs::path(info.body.value("model", "")), ft::test::toPath(run) / "model");
        QCOMPARE(request(port, "POST", "/predict", textsBody({"works perfectly"})).status, 200);
        const QString problem = stopsCleanly(server, SIGINT);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
    }
};

FT_REGISTER_TEST(CliServeTest);

#include "tst_cli_serve.moc"
