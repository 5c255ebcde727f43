// tst_cli_model_pickle.cpp: the pickle rule as a script meets it. `model
// import` prefers safetensors and never opens a .bin beside them; refuses a
// pickle-only folder (exit code 5) unless --allow-pickle, which converts it
// once into PROJECT/models/NAME and registers that copy; training from the
// copy reads no pickle, and training from the pickle folder itself is refused.
#include "clirunner.h"
#include "tempproject.h"
#include "testhelpers.h"
#include "testregistry.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <filesystem>

namespace fs = std::filesystem;
using ft::test::folderListing;
using ft::test::lastJsonLine;
using ft::test::readBytes;
using ft::test::runFinetune;
using ft::test::toPath;
using ft::test::writeBytes;

namespace {

const fs::path kGolden = fs::path(FT_SHARED_DIR) / "golden";
const QByteArray kNotAPickle("this is not a torch.save archive; reading it fails");

QString str(const fs::path &path)
{
    return QString::fromStdString(path.string());
}

fs::path copyFolder(const fs::path &from, const fs::path &to, std::initializer_list<const char *> skip = {})
{
    fs::create_directories(to);
    for (const auto &entry : fs::directory_iterator(from)) {
        const std::string name = entry.path().filename().string();
        if (std::none_of(skip.begin(), skip.end(), [&](const char *s) { return name == s; }))
            fs::copy_file(entry.path(), to / name);
    }
    return fs::canonical(to);
}

QString newProject(const QTemporaryDir &dir)
{
    const QString folder = dir.filePath(QStringLiteral("project"));
    const auto sample = runFinetune({"project", "sample", folder});
    if (sample.exitCode != 0)
        qWarning() << sample.err;
    return folder;
}

int count(const QString &project, const char *what)
{
    return lastJsonLine(runFinetune({"project", "info", project, "--json"}).out).value(QLatin1String(what)).toInt();
}

QString trainConfig(const QTemporaryDir &dir)
{
    const QString file = dir.filePath(QStringLiteral("run.json"));
    QFile out(file);
    out.open(QIODevice::WriteOnly);
    out.write(R"({"max_steps": 2, "per_device_train_batch_size": 8, "logging_steps": 1, "threads": 1})");
    return file;
}

} // namespace

class CliModelPickleTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void safetensorsWinOverABinBeside()
    {
        QTemporaryDir dir;
        const QString project = newProject(dir);
        const fs::path folder = copyFolder(kGolden / "tiny-bert-uncased", toPath(dir.filePath("both")),
                                           {"pytorch_model.bin"});
        writeBytes(folder / "pytorch_model.bin", kNotAPickle); // opening it as a pickle would fail the import

        const auto result = runFinetune({"model", "import", str(folder), "--project", project, "--json"});
        QVERIFY2(result.exitCode == 0, qPrintable(result.err));
        const QJsonObject record = lastJsonLine(result.out);
        QCOMPARE(record.value("path").toString(), str(folder)); // registered as it is: nothing converted
        QVERIFY(record.value("converted_from").isNull());
        QCOMPARE(record.value("source_folder").toString(), str(folder));
        QCOMPARE(record.value("weights_loaded").toBool(), true);
        QVERIFY(!fs::exists(toPath(project) / "models"));

        const QString config = trainConfig(dir);
        const auto trained = runFinetune({"train", "--project", project, "--dataset", "product-reviews", "--model",
                                          str(folder), "--config", config, "--json"});
        QVERIFY2(trained.exitCode == 0, qPrintable(trained.err));
    }

    void pickleOnlyNeedsConsentAndIsConvertedOnce()
    {
        QTemporaryDir dir;
        const QString project = newProject(dir);
        const fs::path source = copyFolder(kGolden / "tiny-bert-uncased-legacy-bin", toPath(dir.filePath("legacy")));
        const QStringList sourceFiles = folderListing(source);
        const QByteArray sourceBin = readBytes(source / "pytorch_model.bin");
        const QString bin = str(source / "pytorch_model.bin");

        // Refused: exit code 5 (a format not accepted as is), the risk and the way out explained.
        const auto refused = runFinetune({"model", "import", str(source), "--project", project});
        QCOMPARE(refused.exitCode, 5);
        for (const char *needle : {"pickle", "can carry code", "--allow-pickle", "model.safetensors", "unchanged"})
            QVERIFY2(refused.err.contains(QLatin1String(needle)), qPrintable(refused.err));
        QVERIFY2(refused.err.contains(bin), qPrintable(refused.err));
        QCOMPARE(count(project, "models"), 0);
        QVERIFY(!fs::exists(toPath(project) / "models"));

        // Training from the pickle folder directly: refused the same way, before any run exists.
        const QString config = trainConfig(dir);
        const QStringList trainFromPickle = {"train", "--project", project, "--dataset", "product-reviews",
                                             "--model", str(source), "--config", config, "--json"};
        const auto direct = runFinetune(trainFromPickle);
        QCOMPARE(direct.exitCode, 5);
        QVERIFY2(direct.err.contains(QStringLiteral("pickle")) && direct.err.contains(QStringLiteral("--allow-pickle")),
                 qPrintable(direct.err));
        QCOMPARE(count(project, "runs"), 0);

        // With consent: converted into the project, which is what gets registered.
        const auto converted =
            runFinetune({"model", "import", str(source), "--project", project, "--allow-pickle", "--json"});
        QVERIFY2(converted.exitCode == 0, qPrintable(converted.err));
        const QJsonObject record = lastJsonLine(converted.out);
        const QString path = record.value("path").toString();
        QCOMPARE(path, str(toPath(project) / "models" / "legacy"));
        QCOMPARE(record.value("converted_from").toString(), bin);
        QCOMPARE(record.value("source_folder").toString(), str(source));
        QCOMPARE(record.value("name").toString(), QStringLiteral("legacy"));
        QCOMPARE(record.value("weights_loaded").toBool(), true);
        QCOMPARE(record.value("already_registered").toBool(), false);
        QCOMPARE(record.value("num_parameters").toInteger(), 52419);
        QCOMPARE(folderListing(toPath(path)),
                 (QStringList{"config.json", "finetune_conversion.json", "model.safetensors", "special_tokens_map.json",
                              "tokenizer.json", "tokenizer_config.json", "vocab.txt"}));
        QCOMPARE(folderListing(source), sourceFiles); // the user's folder is not touched
        QCOMPARE(readBytes(source / "pytorch_model.bin"), sourceBin);
        QCOMPARE(count(project, "models"), 1);

        // Imported again: found by its source, no consent needed, nothing added.
        const auto again = runFinetune({"model", "import", str(source), "--project", project, "--json"});
        QVERIFY2(again.exitCode == 0, qPrintable(again.err));
        QCOMPARE(lastJsonLine(again.out).value("already_registered").toBool(), true);
        QCOMPARE(lastJsonLine(again.out).value("path").toString(), path);
        QCOMPARE(count(project, "models"), 1);

        // The pickle spoiled: training from the imported model reads only its safetensors.
        writeBytes(source / "pytorch_model.bin", kNotAPickle);
        const auto trained = runFinetune({"train", "--project", project, "--dataset", "product-reviews", "--model",
                                          path, "--config", config, "--json"});
        QVERIFY2(trained.exitCode == 0, qPrintable(trained.err));
        QCOMPARE(lastJsonLine(trained.out).value("steps").toInt(), 2);
        fs::remove(source / "pytorch_model.bin");
        const auto info = runFinetune({"model", "info", path, "--json"});
        QCOMPARE(lastJsonLine(info.out).value("weights_format").toString(), QStringLiteral("safetensors"));

        // A changed pickle is a new checkpoint: it needs consent again, and gets its own folder.
        fs::copy_file(kGolden / "tiny-bert-uncased" / "pytorch_model.bin", source / "pytorch_model.bin");
        QCOMPARE(runFinetune({"model", "import", str(source), "--project", project}).exitCode, 5);
        const auto second = runFinetune({"model", "import", str(source), "--project", project, "--allow-pickle"});
        QVERIFY2(second.exitCode == 0, qPrintable(second.err));
        QVERIFY2(second.out.contains(QStringLiteral("Converted ")) && second.out.contains(QStringLiteral("unchanged")),
                 qPrintable(second.out));
        QVERIFY(fs::exists(toPath(project) / "models" / "legacy-2" / "model.safetensors"));
        QCOMPARE(count(project, "models"), 2);
    }

    void failedConversionRegistersNothing()
    {
        QTemporaryDir dir;
        const QString project = newProject(dir);
        const fs::path source = copyFolder(kGolden / "tiny-bert-uncased-legacy-bin", toPath(dir.filePath("broken")),
                                           {"pytorch_model.bin"});
        writeBytes(source / "pytorch_model.bin", kNotAPickle);
        const auto result = runFinetune({"model", "import", str(source), "--project", project, "--allow-pickle"});
        QCOMPARE(result.exitCode, 3);
        QVERIFY2(result.err.contains(str(source / "pytorch_model.bin")), qPrintable(result.err));
        QCOMPARE(count(project, "models"), 0);
        QVERIFY(ft::test::folderListing(toPath(project) / "models").isEmpty());
        QVERIFY(!fs::exists(toPath(project) / "models" / ".broken.converting"));
    }
};

FT_REGISTER_TEST(CliModelPickleTest);

#include "tst_cli_model_pickle.moc"
