// tst_export_files.cpp: what every export carries besides its weights: the
// tokenizer files completed as transformers writes them (tokenizer.json equal
// to the golden one made by Hugging Face's conversion), the format names the
// CLI takes, and the model card.
#include "export/export_format.h"
#include "export/model_card.h"
#include "export/tokenizer_export.h"
#include "common/error.h"
#include "data/sample_dataset.h"
#include "tempproject.h"
#include "testregistry.h"
#include "text/tokenizer.h"

#include <nlohmann/json.hpp>

#include <QTemporaryDir>
#include <QTest>

#include <fstream>

namespace fs = std::filesystem;
using namespace ft;

namespace {

const fs::path kGolden = fs::path(FT_SHARED_DIR) / "golden" / "tiny-bert-uncased";

nlohmann::json readJson(const fs::path &file)
{
    std::ifstream in(file);
    return nlohmann::json::parse(in);
}

} // namespace

class ExportFilesTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void tokenizerJsonMatchesHuggingFacesConversion()
    {
        QTemporaryDir dir;
        const fs::path folder = ft::test::toPath(dir.path());
        for (const char *name : {"vocab.txt", "tokenizer_config.json", "special_tokens_map.json"})
            fs::copy_file(kGolden / name, folder / name);
        const nlohmann::json made = bertTokenizerJson(folder);
        QCOMPARE(QString::fromStdString(made.dump()), QString::fromStdString(readJson(kGolden / "tokenizer.json").dump()));
    }

    void missingTokenizerFilesAreCompletedAndEncodeTheSame()
    {
        QTemporaryDir dir;
        const fs::path project = ft::test::toPath(dir.filePath(QStringLiteral("sample")));
        QVERIFY(ensureSampleProject(project));
        const fs::path model = project / "scratch-model"; // vocab.txt and tokenizer_config.json only
        QVERIFY(!fs::exists(model / "tokenizer.json"));
        const Tokenizer before = Tokenizer::fromFolder(model);
        const nlohmann::json settingsBefore = readJson(model / "tokenizer_config.json");

        const std::vector<std::string> written = completeTokenizerFiles(model);
        QCOMPARE(written, (std::vector<std::string>{"tokenizer.json", "special_tokens_map.json", "tokenizer_config.json"}));
        const nlohmann::json settings = readJson(model / "tokenizer_config.json");
        for (const auto &[key, value] : settingsBefore.items()) // the user's keys are kept
            QVERIFY2(settings.at(key) == value, key.c_str());
        QCOMPARE(settings.at("tokenizer_class").get<std::string>(), std::string("BertTokenizer"));
        QCOMPARE(readJson(model / "special_tokens_map.json").at("cls_token").get<std::string>(), std::string("[CLS]"));

        // The folder now tokenises through tokenizer.json, exactly as before through vocab.txt.
        const Tokenizer after = Tokenizer::fromFolder(model);
        for (const char *text : {"The kettle is excellent. Great value.", "Shipping was slow, and the blender is LOUD!",
                                 "unknownword zzz"}) {
            QCOMPARE(after.encode(text).ids, before.encode(text).ids);
        }
        QVERIFY(completeTokenizerFiles(model).empty()); // nothing left to complete
    }

    void formatNames()
    {
        for (ExportFormat format : allExportFormats())
            QCOMPARE(int(exportFormatFromString(toString(format))), int(format));
        QCOMPARE(toString(ExportFormat::OnnxInt8), std::string("onnx-int8"));
        try {
            exportFormatFromString("gguf");
            QFAIL("an unknown format was taken");
        } catch (const Error &e) {
            QCOMPARE(int(e.kind()), int(ErrorKind::InvalidInput));
            QVERIFY(std::string(e.what()).find("hf, peft, merged, torchscript, onnx, onnx-int8") != std::string::npos);
        }
    }

    void modelCardSaysWhatTheModelIs()
    {
        ModelCardFacts facts;
        facts.runId = 7;
        facts.runName = "reviews on tiny-bert";
        facts.baseModel = "/models/tiny-bert-uncased";
        facts.format = ExportFormat::HuggingFace;
        facts.datasetName = "reviews";
        facts.labels = {{"good|great", 30, 5, 6}, {"bad", 10, 5, 4}};
        facts.config = {{"learning_rate", 2e-5}, {"method", "lora"}, {"lora_r", 4}, {"lora_alpha", 8}};
        facts.metrics = {{"eval/accuracy", 0.9}, {"test/f1", 0.85}};
        ExportCheck check;
        check.split = "test";
        check.examples = 10;
        check.runAccuracy = check.exportAccuracy = 0.8;
        check.labels = {"good|great", "bad"};
        check.confusion = {{5, 1}, {1, 3}};
        facts.check = check;
        facts.version = "1.2.3";
        const std::string card = modelCard(facts);
        for (const char *part : {"---\nlibrary_name: transformers\npipeline_tag: text-classification\n",
                                 "base_model: \"/models/tiny-bert-uncased\"", "# reviews on tiny-bert",
                                 "Dataset **reviews**: 40 training, 10 validation and 10 test examples",
                                 "| good\\|great | 30 | 5 | 6 | 75.0 % |", "Method: LoRA (r 4, alpha 8)",
                                 "| learning_rate | 2e-05 |", "| eval/accuracy | 0.9000 |",
                                 "| **good\\|great** | 5 | 1 |", "| Accuracy of this export | 0.8000 |",
                                 "## Intended use and limits"})
            QVERIFY2(card.find(part) != std::string::npos, part);
        facts.baseModel = "scratch:/p/config.json"; // a model made here has no Hub name
        QVERIFY(modelCard(facts).find("base_model:") == std::string::npos);
    }
};

FT_REGISTER_TEST(ExportFilesTest);

#include "tst_export_files.moc"
