// tst_hub.cpp: pulling a model from a Hub-like server on loopback: the cache
// layout, resume after a dropped connection or an earlier partial run, SHA-256
// verification, credentials kept from other hosts, cancel, and errors.
#include "common/error.h"
#include "fakehub.h"
#include "hub/hub_pull.h"
#include "tempproject.h"
#include "testhelpers.h"
#include "testregistry.h"

#include <QTemporaryDir>
#include <QTest>

#include <algorithm>

namespace fs = std::filesystem;
using namespace ft;
using ft::test::expectError;
using ft::test::FakeHub;
using ft::test::readBytes;
using ft::test::toPath;

namespace {

const fs::path kGoldenModel = fs::path(FT_SHARED_DIR) / "golden" / "tiny-bert-uncased";
const char *kRepo = "golden-org/tiny-bert";

PullOptions optionsFor(const FakeHub &hub, const QTemporaryDir &cache)
{
    PullOptions options;
    options.repoId = kRepo;
    options.endpoint = hub.endpoint();
    options.cacheDir = toPath(cache.path());
    return options;
}

int countRequests(const FakeHub &hub, const std::string &server)
{
    const auto requests = hub.requests();
    return static_cast<int>(std::count_if(requests.begin(), requests.end(),
                                          [&](const auto &r) { return r.server == server; }));
}

} // namespace

class HubPullTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void pullsIntoTheHuggingFaceCacheLayout()
    {
        FakeHub hub(kRepo, kGoldenModel);
        QTemporaryDir cache;
        const PullResult result = pullModel(optionsFor(hub, cache));

        QCOMPARE(QString::fromStdString(result.commit), QString::fromStdString(hub.commit()));
        const fs::path repo = toPath(cache.path()) / "models--golden-org--tiny-bert";
        QCOMPARE(result.folder, repo / "snapshots" / hub.commit());
        QCOMPARE(QString::fromStdString(readBytes(repo / "refs" / "main").toStdString()),
                 QString::fromStdString(hub.commit()));

        // Model files, with safetensors preferred over the duplicate .bin weights.
        std::vector<std::string> names;
        for (const auto &file : result.files)
            names.push_back(file.path);
        std::sort(names.begin(), names.end());
        const std::vector<std::string> expected = {"config.json", "model.safetensors", "special_tokens_map.json",
                                                   "tokenizer.json", "tokenizer_config.json", "vocab.txt"};
        QCOMPARE(names, expected);
        for (const auto &name : expected) {
            const fs::path inSnapshot = result.folder / name;
            QVERIFY2(fs::is_symlink(inSnapshot), name.c_str());
            QCOMPARE(readBytes(inSnapshot), readBytes(kGoldenModel / name));
        }
        QVERIFY(fs::exists(repo / "blobs" / hub.sha256Of("model.safetensors")));
        QVERIFY(!fs::exists(result.folder / "pytorch_model.bin"));
        QCOMPARE(result.filesFromCache, 0);
    }

    void secondPullComesFromTheCache()
    {
        FakeHub hub(kRepo, kGoldenModel);
        QTemporaryDir cache;
        pullModel(optionsFor(hub, cache));
        hub.clearRequests();
        const PullResult again = pullModel(optionsFor(hub, cache));
        QCOMPARE(again.filesFromCache, 6);
        QCOMPARE(again.downloadedBytes, std::uint64_t{0});
        QCOMPARE(countRequests(hub, "cdn"), 0);
    }

    void resumesAfterADroppedConnection()
    {
        FakeHub hub(kRepo, kGoldenModel);
        hub.dropConnectionsAfter(40000, 2); // the weights are ~160 kB: two drops mid-file
        QTemporaryDir cache;
        int attemptsSeen = 1;
        PullOptions options = optionsFor(hub, cache);
        options.progress = [&](const PullProgress &p) {
            attemptsSeen = std::max(attemptsSeen, p.attempt);
            return true;
        };
        const PullResult result = pullModel(options);
        QCOMPARE(readBytes(result.folder / "model.safetensors"), readBytes(kGoldenModel / "model.safetensors"));
        QCOMPARE(attemptsSeen, 3);

        // The second and third requests asked only for what was missing.
        std::vector<std::string> ranges;
        for (const auto &request : hub.requests())
            if (request.server == "cdn")
                ranges.push_back(request.range);
        QCOMPARE(ranges.size(), size_t{3});
        QVERIFY(ranges[0].empty());
        QCOMPARE(QString::fromStdString(ranges[1]), QStringLiteral("bytes=40000-"));
        QCOMPARE(QString::fromStdString(ranges[2]), QStringLiteral("bytes=80000-"));
    }

    void resumesAPartialFileLeftByAnEarlierRun()
    {
        FakeHub hub(kRepo, kGoldenModel);
        QTemporaryDir cache;
        const fs::path blobs = toPath(cache.path()) / "models--golden-org--tiny-bert" / "blobs";
        fs::create_directories(blobs);
        const QByteArray whole = readBytes(kGoldenModel / "model.safetensors");
        ft::test::writeBytes(blobs / (hub.sha256Of("model.safetensors") + ".incomplete"), whole.left(12345));

        const PullResult result = pullModel(optionsFor(hub, cache));
        QCOMPARE(readBytes(result.folder / "model.safetensors"), whole);
        bool resumed = false;
        for (const auto &request : hub.requests())
            resumed = resumed || (request.server == "cdn" && request.range == "bytes=12345-");
        QVERIFY(resumed);
        QVERIFY(!fs::exists(blobs / (hub.sha256Of("model.safetensors") + ".incomplete")));
    }

    void wrongHashIsRefusedAndNothingIsKept()
    {
        FakeHub hub(kRepo, kGoldenModel);
        hub.lieAboutHash(true);
        QTemporaryDir cache;
        expectError([&] { pullModel(optionsFor(hub, cache)); }, ErrorKind::InvalidInput,
                    "model.safetensors has SHA-256");
        const fs::path blob = toPath(cache.path()) / "models--golden-org--tiny-bert" / "blobs" / std::string(64, 'e');
        QVERIFY(!fs::exists(blob));
        QVERIFY(!fs::exists(fs::path(blob.string() + ".incomplete")));
        QVERIFY(!fs::exists(toPath(cache.path()) / "models--golden-org--tiny-bert" / "snapshots" / hub.commit()
                            / "model.safetensors"));
    }

    // The Hub's answers are read like untrusted files: nesting that would
    // overflow the stack and numbers beyond a double get a clear error.
    void malformedAnswersAreRefused()
    {
        FakeHub hub(kRepo, kGoldenModel);
        QTemporaryDir cache;
        hub.answerRevisionWith(std::string(100000, '[') + std::string(100000, ']'));
        expectError([&] { pullModel(optionsFor(hub, cache)); }, ErrorKind::InvalidInput,
                    "nested deeper than 512 levels");
        hub.answerRevisionWith(R"({"sha": 1e400})");
        expectError([&] { pullModel(optionsFor(hub, cache)); }, ErrorKind::InvalidInput, "is not JSON");
        hub.answerRevisionWith("<html>busy</html>");
        expectError([&] { pullModel(optionsFor(hub, cache)); }, ErrorKind::InvalidInput, "is not JSON");
    }

    void tokenGoesToTheHubOnly()
    {
        FakeHub hub(kRepo, kGoldenModel);
        hub.requireToken("secret");
        QTemporaryDir cache;
        PullOptions options = optionsFor(hub, cache);
        expectError([&] { pullModel(options); }, ErrorKind::Io, "HF_TOKEN");

        options.token = "secret";
        pullModel(options);
        for (const auto &request : hub.requests()) {
            if (request.server == "cdn")
                QVERIFY2(request.authorization.empty(), "credentials leaked to the CDN");
        }
    }

    void cancelKeepsThePartialFileForLater()
    {
        FakeHub hub(kRepo, kGoldenModel);
        QTemporaryDir cache;
        PullOptions options = optionsFor(hub, cache);
        options.progress = [](const PullProgress &p) { return !(p.file == "model.safetensors" && p.fileBytes > 50000); };
        expectError([&] { pullModel(options); }, ErrorKind::Cancelled, "cancelled");
        const fs::path partial = toPath(cache.path()) / "models--golden-org--tiny-bert" / "blobs"
                                 / (hub.sha256Of("model.safetensors") + ".incomplete");
        QVERIFY(fs::exists(partial));
        QVERIFY(fs::file_size(partial) > 50000);

        options.progress = nullptr;
        const PullResult result = pullModel(options);
        QCOMPARE(readBytes(result.folder / "model.safetensors"), readBytes(kGoldenModel / "model.safetensors"));
    }

    void unknownModelAndBadIds()
    {
        FakeHub hub(kRepo, kGoldenModel);
        QTemporaryDir cache;
        PullOptions options = optionsFor(hub, cache);
        options.repoId = "golden-org/missing";
        expectError([&] { pullModel(options); }, ErrorKind::NotFound, "golden-org/missing");
        options.repoId = "../etc/passwd";
        expectError([&] { pullModel(options); }, ErrorKind::InvalidInput, "is not a Hub model id");
    }

    void selectionPrefersSafetensorsAndHonoursIncludes()
    {
        const std::vector<HubFile> files = {{"config.json", 1, "a", false},
                                            {"pytorch_model.bin", 9, "b", true},
                                            {"tf_model.h5", 9, "c", true},
                                            {"onnx/model.onnx", 9, "d", true},
                                            {"vocab.txt", 1, "e", false}};
        auto names = [](const std::vector<HubFile> &selected) {
            QStringList list;
            for (const auto &f : selected)
                list << QString::fromStdString(f.path);
            return list;
        };
        QCOMPARE(names(selectModelFiles(files, {})),
                 (QStringList{"config.json", "pytorch_model.bin", "vocab.txt"}));
        auto withSafetensors = files;
        withSafetensors.push_back({"model.safetensors", 9, "f", true});
        QCOMPARE(names(selectModelFiles(withSafetensors, {"onnx/*"})),
                 (QStringList{"config.json", "onnx/model.onnx", "vocab.txt", "model.safetensors"}));
    }
};

FT_REGISTER_TEST(HubPullTest);

#include "tst_hub.moc"
