// tst_cli_model_info.cpp: `finetune model import|info` on the golden
// checkpoint folders: the JSON fields, registering in a project (once per
// folder), lookups by ID, and the exit codes of folders that are refused.
#include "clirunner.h"
#include "tempproject.h"
#include "testhelpers.h"
#include "testregistry.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <filesystem>

namespace fs = std::filesystem;
using ft::test::lastJsonLine;
using ft::test::runFinetune;

namespace {

const fs::path kGolden = fs::path(FT_SHARED_DIR) / "golden";

QString golden(const char *name)
{
    return QString::fromStdString((kGolden / name).string());
}

QString newProject(const QTemporaryDir &dir)
{
    const QString folder = dir.filePath(QStringLiteral("project"));
    const auto init = runFinetune({"project", "init", folder});
    if (init.exitCode != 0)
        qWarning() << init.err;
    return folder;
}

int modelCount(const QString &project)
{
    const auto info = runFinetune({"project", "info", project, "--json"});
    return lastJsonLine(info.out).value(QStringLiteral("models")).toInt();
}

// A checkpoint folder assembled from the golden model's files, `config` replacing its config.json.
fs::path checkpointWithConfig(const QTemporaryDir &dir, const char *name, const QByteArray &config)
{
    const fs::path folder = ft::test::toPath(dir.filePath(QString::fromLatin1(name)));
    fs::create_directories(folder);
    for (const char *file : {"model.safetensors", "tokenizer.json", "tokenizer_config.json", "vocab.txt",
                             "special_tokens_map.json"})
        fs::copy_file(kGolden / "tiny-bert-uncased" / file, folder / file);
    ft::test::writeBytes(folder / "config.json", config);
    return folder;
}

QByteArray goldenConfig()
{
    return ft::test::readBytes(kGolden / "tiny-bert-uncased" / "config.json");
}

QByteArray goldenConfigWith(const QByteArray &from, const QByteArray &to)
{
    QByteArray config = goldenConfig();
    config.replace(from, to);
    return config;
}

} // namespace

class CliModelInfoTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void infoReportsTheCheckpoint()
    {
        const auto result = runFinetune({"model", "info", golden("tiny-bert-uncased"), "--json"});
        QVERIFY2(result.exitCode == 0, qPrintable(result.err));
        const QJsonObject info = lastJsonLine(result.out);
        QCOMPARE(info.value(QStringLiteral("architecture")).toString(),
                 QStringLiteral("BertForSequenceClassification"));
        QCOMPARE(info.value(QStringLiteral("model_type")).toString(), QStringLiteral("bert"));
        // Embeddings 34176 + 2 layers of 8544 + pooler 1056 + classifier 99.
        QCOMPARE(info.value(QStringLiteral("num_parameters")).toInteger(), 52419);
        QCOMPARE(info.value(QStringLiteral("checkpoint_parameters")).toInteger(), 52419);
        QCOMPARE(info.value(QStringLiteral("vocab_size")).toInt(), 1000);
        QCOMPARE(info.value(QStringLiteral("hidden_size")).toInt(), 32);
        QCOMPARE(info.value(QStringLiteral("num_layers")).toInt(), 2);
        QCOMPARE(info.value(QStringLiteral("num_heads")).toInt(), 4);
        QCOMPARE(info.value(QStringLiteral("max_positions")).toInt(), 64);
        QCOMPARE(info.value(QStringLiteral("labels")).toArray(),
                 (QJsonArray{QStringLiteral("negative"), QStringLiteral("neutral"), QStringLiteral("positive")}));
        QCOMPARE(info.value(QStringLiteral("has_classifier")).toBool(), true);
        QCOMPARE(info.value(QStringLiteral("weights_format")).toString(), QStringLiteral("safetensors"));
        QCOMPARE(info.value(QStringLiteral("dtype")).toString(), QStringLiteral("F32"));
        QCOMPARE(info.value(QStringLiteral("has_tokenizer")).toBool(), true);
        bool sawConfig = false;
        for (const QJsonValue &file : info.value(QStringLiteral("files")).toArray()) {
            if (file[QStringLiteral("name")].toString() != QStringLiteral("config.json"))
                continue;
            sawConfig = true;
            QCOMPARE(file[QStringLiteral("size")].toInteger(),
                     qint64(fs::file_size(kGolden / "tiny-bert-uncased" / "config.json")));
        }
        QVERIFY(sawConfig);

        const auto text = runFinetune({"model", "info", golden("tiny-bert-uncased")});
        QCOMPARE(text.exitCode, 0);
        QVERIFY(text.out.contains(QStringLiteral("negative, neutral, positive")));
        QVERIFY(text.out.contains(QStringLiteral("model.safetensors")));
    }

    void infoNamesFormatsAndDtypes_data()
    {
        QTest::addColumn<QString>("folder");
        QTest::addColumn<QString>("format");
        QTest::addColumn<QString>("dtype");
        QTest::newRow("f16") << golden("tiny-bert-uncased-f16") << "safetensors" << "F16";
        QTest::newRow("bf16") << golden("tiny-bert-uncased-bf16") << "safetensors" << "BF16";
        QTest::newRow("sharded") << golden("tiny-bert-uncased-sharded") << "safetensors (2 shards)" << "F32";
        QTest::newRow("legacy-bin") << golden("tiny-bert-uncased-legacy-bin") << "pytorch_model.bin" << "F32";
    }

    void infoNamesFormatsAndDtypes()
    {
        QFETCH(QString, folder);
        QFETCH(QString, format);
        QFETCH(QString, dtype);
        const auto result = runFinetune({"model", "info", folder, "--json"});
        QVERIFY2(result.exitCode == 0, qPrintable(result.err));
        const QJsonObject info = lastJsonLine(result.out);
        QCOMPARE(info.value(QStringLiteral("weights_format")).toString(), format);
        QCOMPARE(info.value(QStringLiteral("dtype")).toString(), dtype);
        QCOMPARE(info.value(QStringLiteral("has_classifier")).toBool(), true);
    }

    void infoDescribesImageClassifiers()
    {
        const fs::path vision = fs::path(FT_TESTS_DIR) / "vision" / "golden";
        const auto vit = runFinetune({"model", "info", QString::fromStdString((vision / "vit-tiny").string()), "--json"});
        QVERIFY2(vit.exitCode == 0, qPrintable(vit.err));
        const QJsonObject info = lastJsonLine(vit.out);
        QCOMPARE(info.value(QStringLiteral("model_type")).toString(), QStringLiteral("vit"));
        QCOMPARE(info.value(QStringLiteral("architecture")).toString(), QStringLiteral("ViTForImageClassification"));
        QCOMPARE(info.value(QStringLiteral("image_size")).toInt(), 16);
        QCOMPARE(info.value(QStringLiteral("num_layers")).toInt(), 2);
        QVERIFY(info.value(QStringLiteral("has_image_processor")).toBool());
        QVERIFY(info.value(QStringLiteral("has_classifier")).toBool());
        // Every stored value is a parameter of the classifier, and nothing else.
        QCOMPARE(info.value(QStringLiteral("num_parameters")).toInteger(),
                 info.value(QStringLiteral("checkpoint_parameters")).toInteger());
        QCOMPARE(info.value(QStringLiteral("labels")).toArray().size(), 3);

        const auto resnet = runFinetune({"model", "info", QString::fromStdString((vision / "resnet-tiny-basic").string())});
        QVERIFY2(resnet.exitCode == 0, qPrintable(resnet.err));
        for (const char *line : {"Model type     resnet", "Width          16 channels at the end, 3 residual layers",
                                 "Processor      yes", "Labels         3: ant, bee, wasp"})
            QVERIFY2(resnet.out.contains(QLatin1String(line)), qPrintable(resnet.out));
        QVERIFY(!resnet.out.contains(QStringLiteral("Vocab size")));

        // Into a project and through the command line: import, train on an image folder, evaluate, export.
        QTemporaryDir dir;
        const QString project = dir.filePath(QStringLiteral("p"));
        QCOMPARE(runFinetune({"project", "init", project}).exitCode, 0);
        const auto import = runFinetune({"model", "import", QString::fromStdString((vision / "vit-tiny").string()),
                                         "--project", project, "--json"});
        QVERIFY2(import.exitCode == 0, qPrintable(import.err));
        const QJsonObject imported = lastJsonLine(import.out);
        QCOMPARE(imported.value("architecture").toString(), QStringLiteral("ViTForImageClassification"));
        QVERIFY(imported.value("weights_loaded").toBool());

        const fs::path pictures = ft::test::toPath(dir.filePath(QStringLiteral("pictures")));
        for (const char *split : {"train", "val"})
            for (const char *label : {"round", "square"})
                for (const auto &image : fs::directory_iterator(vision / "images")) {
                    fs::create_directories(pictures / split / label);
                    fs::copy_file(image.path(), pictures / split / label / image.path().filename());
                }
        const auto datasetImport = runFinetune({"dataset", "import", "--project", project, "--name", "shapes",
                                                QString::fromStdString(pictures.string()), "--json"});
        QVERIFY2(datasetImport.exitCode == 0, qPrintable(datasetImport.err));
        const QString config = dir.filePath(QStringLiteral("run.json"));
        ft::test::writeBytes(ft::test::toPath(config), R"({"max_steps": 3, "per_device_train_batch_size": 4,
            "learning_rate": 1e-3, "logging_steps": 1, "threads": 1, "image_color_jitter": 0.1})");
        const auto trained = runFinetune({"train", "--project", project, "--dataset", "shapes", "--model",
                                          QString::fromStdString((vision / "vit-tiny").string()), "--config", config,
                                          "--json"});
        QVERIFY2(trained.exitCode == 0, qPrintable(trained.err));
        const QJsonObject summary = lastJsonLine(trained.out);
        QCOMPARE(summary.value("state").toString(), QStringLiteral("completed"));
        QCOMPARE(summary.value("steps").toInt(), 3);
        QVERIFY(trained.err.contains(QStringLiteral("initialised classifier.weight"))); // 2 classes, not 3

        const auto evaluated = runFinetune({"eval", "--project", project, "--run", "1", "--split", "validation", "--json"});
        QVERIFY2(evaluated.exitCode == 0, qPrintable(evaluated.err));
        QCOMPARE(lastJsonLine(evaluated.out).value("examples").toInt(), 8);

        const QString out = dir.filePath(QStringLiteral("onnx"));
        const auto exported = runFinetune({"export", "--project", project, "--run", "1", "--format", "onnx",
                                           "--output", out, "--json"});
        QVERIFY2(exported.exitCode == 0, qPrintable(exported.err));
        const QJsonObject check = lastJsonLine(exported.out).value("check").toObject();
        QCOMPARE(check.value("examples").toInt(), 8);
        QVERIFY(check.value("max_abs_logit_difference").toDouble() < 1e-4);
        const auto refused = runFinetune({"export", "--project", project, "--run", "1", "--format", "onnx-int8",
                                          "--output", dir.filePath(QStringLiteral("int8"))});
        QVERIFY(refused.exitCode != 0);
        QVERIFY2(refused.err.contains(QStringLiteral("classifies images")), qPrintable(refused.err));
    }

    void baseCheckpointHasNoClassifier()
    {
        const auto result = runFinetune({"model", "info", golden("tiny-bert-uncased-base"), "--json"});
        QVERIFY2(result.exitCode == 0, qPrintable(result.err));
        const QJsonObject info = lastJsonLine(result.out);
        QCOMPARE(info.value(QStringLiteral("has_classifier")).toBool(), false);
        QCOMPARE(info.value(QStringLiteral("architecture")).toString(), QStringLiteral("BertModel"));
        const auto text = runFinetune({"model", "info", golden("tiny-bert-uncased-base")});
        QVERIFY(text.out.contains(QStringLiteral("Classifier     no")));
    }

    // Import registers a folder once; the second import reports the record it has.
    void importRegistersOnce()
    {
        QTemporaryDir dir;
        const QString project = newProject(dir);
        const auto first =
            runFinetune({"model", "import", golden("tiny-bert-uncased"), "--project", project, "--json"});
        QVERIFY2(first.exitCode == 0, qPrintable(first.err));
        const QJsonObject record = lastJsonLine(first.out);
        QCOMPARE(record.value(QStringLiteral("name")).toString(), QStringLiteral("tiny-bert-uncased"));
        QCOMPARE(record.value(QStringLiteral("already_registered")).toBool(), false);
        QCOMPARE(record.value(QStringLiteral("weights_loaded")).toBool(), true);
        QCOMPARE(record.value(QStringLiteral("num_parameters")).toInteger(), 52419);
        const qint64 id = record.value(QStringLiteral("id")).toInteger();
        QCOMPARE(modelCount(project), 1);

        // The same folder through another spelling of its path.
        const QString again = golden("tiny-bert-uncased/../tiny-bert-uncased/");
        const auto second = runFinetune({"model", "import", again, "--project", project, "--json"});
        QCOMPARE(second.exitCode, 0);
        QCOMPARE(lastJsonLine(second.out).value(QStringLiteral("id")).toInteger(), id);
        QCOMPARE(lastJsonLine(second.out).value(QStringLiteral("already_registered")).toBool(), true);
        const auto third = runFinetune({"model", "import", golden("tiny-bert-uncased"), "--project", project});
        QCOMPARE(third.exitCode, 0);
        QVERIFY2(third.out.contains(QStringLiteral("Already registered")), qPrintable(third.out));
        QCOMPARE(modelCount(project), 1);

        const auto base = runFinetune(
            {"model", "import", golden("tiny-bert-uncased-base"), "--project", project, "--name", "base", "--json"});
        QVERIFY2(base.exitCode == 0, qPrintable(base.err));
        QCOMPARE(lastJsonLine(base.out).value(QStringLiteral("name")).toString(), QStringLiteral("base"));
        QCOMPARE(lastJsonLine(base.out).value(QStringLiteral("has_classifier")).toBool(), false);
        QCOMPARE(modelCount(project), 2);

        // Info by ID looks the folder up in the project.
        const auto info = runFinetune({"model", "info", QString::number(id), "--project", project, "--json"});
        QVERIFY2(info.exitCode == 0, qPrintable(info.err));
        const QJsonObject byId = lastJsonLine(info.out);
        QCOMPARE(byId.value(QStringLiteral("id")).toInteger(), id);
        QCOMPARE(byId.value(QStringLiteral("name")).toString(), QStringLiteral("tiny-bert-uncased"));
        QCOMPARE(byId.value(QStringLiteral("folder")).toString(),
                 QString::fromStdString(fs::canonical(kGolden / "tiny-bert-uncased").string()));
        QCOMPARE(runFinetune({"model", "info", "99", "--project", project}).exitCode, 4);
        QCOMPARE(runFinetune({"model", "info", "99"}).exitCode, 4);
    }

    void importRefusesUnsupportedFolders()
    {
        QTemporaryDir dir;
        const QString project = newProject(dir);
        const auto import = [&](const fs::path &folder) {
            return runFinetune({"model", "import", QString::fromStdString(folder.string()), "--project", project});
        };

        const auto missing = import(ft::test::toPath(dir.filePath(QStringLiteral("nothing-here"))));
        QCOMPARE(missing.exitCode, 4);

        const auto malformed = import(checkpointWithConfig(dir, "malformed", "{ \"model_type\": "));
        QCOMPARE(malformed.exitCode, 3);
        QVERIFY2(malformed.err.contains(QStringLiteral("config.json")), qPrintable(malformed.err));

        const auto t5 = import(checkpointWithConfig(dir, "t5", goldenConfigWith("\"bert\"", "\"t5\"")));
        QCOMPARE(t5.exitCode, 5);
        QVERIFY2(t5.err.contains(QStringLiteral("config.json")), qPrintable(t5.err));

        // Headers fine, but the embeddings do not fit the config: found by loading the weights.
        const QByteArray biggerVocab = goldenConfigWith("\"vocab_size\": 1000", "\"vocab_size\": 1200");
        const auto shapes = import(checkpointWithConfig(dir, "shapes", biggerVocab));
        QCOMPARE(shapes.exitCode, 3);
        QVERIFY2(shapes.err.contains(QStringLiteral("model.safetensors")) &&
                     shapes.err.contains(QStringLiteral("word_embeddings")),
                 qPrintable(shapes.err));

        const fs::path corrupt = checkpointWithConfig(dir, "corrupt", goldenConfig());
        ft::test::writeBytes(corrupt / "model.safetensors", QByteArray("\x10\x00\x00\x00\x00\x00\x00\x00{\"a\":", 14));
        const auto corruptResult = import(corrupt);
        QCOMPARE(corruptResult.exitCode, 3);
        QVERIFY2(corruptResult.err.contains(QStringLiteral("model.safetensors")), qPrintable(corruptResult.err));

        const fs::path noWeights = checkpointWithConfig(dir, "no-weights", goldenConfig());
        fs::remove(noWeights / "model.safetensors");
        QCOMPARE(import(noWeights).exitCode, 4);

        const fs::path noTokenizer = checkpointWithConfig(dir, "no-tokenizer", goldenConfig());
        fs::remove(noTokenizer / "tokenizer.json");
        fs::remove(noTokenizer / "vocab.txt");
        const auto tokenizer = import(noTokenizer);
        QCOMPARE(tokenizer.exitCode, 4);
        QVERIFY2(tokenizer.err.contains(QStringLiteral("vocab.txt")), qPrintable(tokenizer.err));

        QCOMPARE(modelCount(project), 0);
    }
};

FT_REGISTER_TEST(CliModelInfoTest);

#include "tst_cli_model_info.moc"
