// tst_cli_model.cpp: `finetune model pull` against a Hub stand-in on
// loopback, found through HF_ENDPOINT as Hugging Face's tools find mirrors.
#include "clirunner.h"
#include "fakehub.h"
#include "tempproject.h"
#include "testhelpers.h"
#include "testregistry.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

using ft::test::FakeHub;
using ft::test::runFinetune;

namespace {
const std::filesystem::path kGoldenModel = std::filesystem::path(FT_SHARED_DIR) / "golden" / "tiny-bert-uncased";
}

class CliModelTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void pullHonoursHfEndpointAndCache()
    {
        FakeHub hub("golden-org/tiny-bert", kGoldenModel);
        hub.dropConnectionsAfter(50000, 1);
        QTemporaryDir cache;
        QProcessEnvironment environment;
        environment.insert(QStringLiteral("HF_ENDPOINT"), QString::fromStdString(hub.endpoint()));
        environment.insert(QStringLiteral("HF_HUB_CACHE"), cache.path());

        const auto result = runFinetune(
            {QStringLiteral("model"), QStringLiteral("pull"), QStringLiteral("golden-org/tiny-bert"), QStringLiteral("--json")},
            environment);
        QVERIFY2(result.exitCode == 0, qPrintable(result.err));
        const QJsonObject summary = ft::test::lastJsonLine(result.out);
        QCOMPARE(summary.value(QStringLiteral("commit")).toString(), QString::fromStdString(hub.commit()));
        QCOMPARE(summary.value(QStringLiteral("files")).toArray().size(), 6);
        const QString folder = summary.value(QStringLiteral("folder")).toString();
        QVERIFY(folder.startsWith(cache.path()));
        QCOMPARE(ft::test::readBytes(ft::test::toPath(folder + "/model.safetensors")),
                 ft::test::readBytes(kGoldenModel / "model.safetensors"));
        QVERIFY2(result.err.contains(QStringLiteral("resuming, attempt 2")), qPrintable(result.err));

        // Text output for people; the second pull is served from the cache.
        const auto again = runFinetune({QStringLiteral("model"), QStringLiteral("pull"), QStringLiteral("golden-org/tiny-bert")},
                                       environment);
        QCOMPARE(again.exitCode, 0);
        QVERIFY(again.out.contains(QStringLiteral("6 already cached")));
    }

    void pullErrorsHaveTheirExitCodes()
    {
        FakeHub hub("golden-org/tiny-bert", kGoldenModel);
        QTemporaryDir cache;
        QProcessEnvironment environment;
        environment.insert(QStringLiteral("HF_ENDPOINT"), QString::fromStdString(hub.endpoint()));
        environment.insert(QStringLiteral("HF_HUB_CACHE"), cache.path());

        const auto missing = runFinetune({QStringLiteral("model"), QStringLiteral("pull"), QStringLiteral("golden-org/nothing")},
                                         environment);
        QCOMPARE(missing.exitCode, 4);
        QVERIFY(missing.err.contains(QStringLiteral("not found")));

        hub.lieAboutHash(true);
        const auto corrupt = runFinetune({QStringLiteral("model"), QStringLiteral("pull"), QStringLiteral("golden-org/tiny-bert")},
                                         environment);
        QCOMPARE(corrupt.exitCode, 3);
        QVERIFY(corrupt.err.contains(QStringLiteral("SHA-256")));
    }
};

FT_REGISTER_TEST(CliModelTest);

#include "tst_cli_model.moc"
