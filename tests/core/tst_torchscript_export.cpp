// tst_torchscript_export.cpp: writeTorchScript on the golden tiny BERT and on scratch models (one per
// activation): the .pt's logits, through torch::jit::load and TorchScriptClassifier, equal the model's
// own forward for padded batches of two lengths; Python's torch.jit.load agrees
// (tests/export/check_torchscript.py); LoRA models are refused; failed writes leave nothing behind.
#include "common/error.h"
#include "export/torchscript_export.h"
#include "models/bert_config.h"
#include "models/checkpoint.h"
#include "models/lora.h"
#include "models/safetensors.h"
#include "testhelpers.h"
#include "testregistry.h"
#include "without_dac_override.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/csrc/jit/serialization/import.h>

#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <fstream>
#include <iterator>
#include <set>

#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace ft;

namespace {

const fs::path kTinyModel = fs::path(FT_SHARED_DIR) / "golden" / "tiny-bert-uncased";
const fs::path kCheckScript = fs::path(FT_TESTS_DIR) / "export" / "check_torchscript.py";
constexpr double kTolerance = 1e-5;

struct Batch {
    at::Tensor inputIds, attentionMask, tokenTypeIds;
};

// `rows` rows of `length` random tokens, the second half typed 1; row r > 0 is padded (id 0, mask 0)
// after length - 3r tokens, so padding reaches the attention of every row but the first.
Batch makeBatch(std::int64_t rows, std::int64_t length, std::int64_t vocabSize, std::uint64_t seed)
{
    at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(seed);
    Batch batch;
    batch.inputIds = at::randint(1, vocabSize, {rows, length}, generator, at::kLong);
    batch.attentionMask = at::ones({rows, length}, at::kLong);
    batch.tokenTypeIds = at::zeros({rows, length}, at::kLong);
    batch.tokenTypeIds.narrow(1, length / 2, length - length / 2).fill_(1);
    for (std::int64_t row = 1; row < rows; ++row) {
        const std::int64_t used = std::max<std::int64_t>(2, length - 3 * row);
        for (at::Tensor &tensor : {std::ref(batch.inputIds), std::ref(batch.attentionMask), std::ref(batch.tokenTypeIds)})
            tensor[row].narrow(0, used, length - used).zero_();
    }
    return batch;
}

// Batch 1 and batch 3 with padding, of different lengths: the export must not fix either shape.
std::vector<std::pair<std::string, Batch>> testBatches(const BertConfig &config)
{
    return {{"single", makeBatch(1, 7, config.vocabSize, 11)}, {"padded", makeBatch(3, 12, config.vocabSize, 12)}};
}

at::Tensor modelLogits(BertForSequenceClassificationImpl &model, const Batch &batch)
{
    at::NoGradGuard noGrad;
    return model.forward(batch.inputIds, batch.attentionMask, batch.tokenTypeIds).logits.to(at::kFloat);
}

double maxAbsDiff(const at::Tensor &a, const at::Tensor &b)
{
    if (a.sizes() != b.sizes())
        return 1e9;
    return (a.to(at::kDouble) - b.to(at::kDouble)).abs().max().item<double>();
}

// A scratch model with 3 labels, every parameter (biases and LayerNorms too) moved off its init so a
// weight in the wrong place changes the logits.
BertForSequenceClassification scratchModel(HiddenAct act, std::uint64_t seed)
{
    BertConfig config;
    config.vocabSize = 120;
    config.hiddenSize = 24;
    config.numHiddenLayers = 3;
    config.numAttentionHeads = 3;
    config.intermediateSize = 40;
    config.maxPositionEmbeddings = 32;
    config.layerNormEps = 1e-6; // not layer_norm's default (1e-5)
    config.hiddenAct = act;
    config.setLabels({"red", "green", "blue"});
    BertForSequenceClassification model = makeScratchBert(config, seed);
    at::NoGradGuard noGrad;
    at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(seed + 1);
    for (at::Tensor &parameter : model->parameters())
        parameter.add_(at::empty(parameter.sizes(), at::kFloat).normal_(0.0, 0.2, generator));
    model->eval();
    return model;
}

// "golden", or a scratch model with the activation of that name.
BertForSequenceClassification namedModel(const QString &name)
{
    if (name == "golden")
        return loadBert(kTinyModel).model;
    for (HiddenAct act : {HiddenAct::Gelu, HiddenAct::GeluNew, HiddenAct::GeluPytorchTanh, HiddenAct::Relu})
        if (name.toStdString() == hiddenActName(act))
            return scratchModel(act, 5);
    throw Error(ErrorKind::Internal, "no test model " + name.toStdString());
}

at::Tensor loadedLogits(torch::jit::Module &module, const Batch &batch)
{
    at::NoGradGuard noGrad;
    return module.forward({batch.inputIds, batch.attentionMask, batch.tokenTypeIds}).toTensor();
}

std::set<std::string> folderEntries(const fs::path &folder)
{
    std::set<std::string> names;
    for (const auto &entry : fs::directory_iterator(folder))
        names.insert(entry.path().filename().string());
    return names;
}

std::string fileBytes(const fs::path &file)
{
    std::ifstream in(file, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

using ft::test::WithoutDacOverride;

} // namespace

class TorchScriptExportTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void matchesModelForward_data()
    {
        QTest::addColumn<QString>("model");
        for (const char *name : {"golden", "gelu", "gelu_new", "gelu_pytorch_tanh", "relu"})
            QTest::newRow(name) << QString(name);
    }

    // torch::jit::load and TorchScriptClassifier give the model's logits; the state dict has HF's
    // names, the model's values, float32.
    void matchesModelForward()
    {
        QFETCH(QString, model);
        BertForSequenceClassification bert = namedModel(model);
        QTemporaryDir dir;
        const fs::path file = fs::path(dir.path().toStdString()) / "model.pt";
        writeTorchScript(*bert, file);
        QCOMPARE(folderEntries(file.parent_path()), std::set<std::string>{"model.pt"});

        torch::jit::Module loaded = torch::jit::load(file.string());
        TorchScriptClassifier classifier(file);
        for (const auto &[name, batch] : testBatches(bert->config())) {
            const at::Tensor expected = modelLogits(*bert, batch);
            QCOMPARE(expected.size(1), bert->config().numLabels());
            const at::Tensor viaLoad = loadedLogits(loaded, batch);
            const at::Tensor viaClassifier = classifier.logits(batch.inputIds, batch.attentionMask, batch.tokenTypeIds);
            QCOMPARE(viaLoad.scalar_type(), at::kFloat);
            const double loadDiff = maxAbsDiff(viaLoad, expected);
            const double classifierDiff = maxAbsDiff(viaClassifier, expected);
            QVERIFY2(loadDiff <= kTolerance, qPrintable(QStringLiteral("%1: %2").arg(name.c_str()).arg(loadDiff)));
            QVERIFY2(classifierDiff <= kTolerance,
                     qPrintable(QStringLiteral("%1: %2").arg(name.c_str()).arg(classifierDiff)));
        }

        std::map<std::string, at::Tensor> exported;
        for (const auto &item : loaded.named_parameters())
            exported.emplace(item.name, item.value);
        QCOMPARE(exported.size(), bert->named_parameters().size());
        for (const auto &item : bert->named_parameters()) {
            const auto found = exported.find(item.key());
            QVERIFY2(found != exported.end(), item.key().c_str());
            QCOMPARE(found->second.scalar_type(), at::kFloat);
            QVERIFY2(at::equal(found->second, item.value().to(at::kFloat)), item.key().c_str());
        }
    }

    void pythonLoadsTheExport_data()
    {
        QTest::addColumn<QString>("model");
        QTest::newRow("golden") << QString("golden");
        QTest::newRow("gelu_new") << QString("gelu_new");
    }

    // Python's torch.jit.load reads the same weights under the same names and gives the same logits:
    // checked by a script that knows nothing of this project. Fails, never skips, without Python.
    void pythonLoadsTheExport()
    {
        QFETCH(QString, model);
        BertForSequenceClassification bert = namedModel(model);
        QTemporaryDir dir;
        const fs::path folder = dir.path().toStdString();
        writeTorchScript(*bert, folder / "model.pt");
        saveBert(*bert, folder);
        TensorMap cases;
        for (const auto &[name, batch] : testBatches(bert->config())) {
            cases[name + ".input_ids"] = batch.inputIds;
            cases[name + ".attention_mask"] = batch.attentionMask;
            cases[name + ".token_type_ids"] = batch.tokenTypeIds;
            cases[name + ".logits"] = modelLogits(*bert, batch).contiguous();
        }
        saveSafetensors(folder / "cases.safetensors", cases);

        QProcess python;
        python.setProcessChannelMode(QProcess::MergedChannels);
        python.start(QStringLiteral(FT_PYTHON),
                     {QString::fromStdString(kCheckScript.string()), QString::fromStdString(folder.string())});
        const bool finished = python.waitForFinished(180'000);
        const bool ran = finished && python.exitStatus() == QProcess::NormalExit;
        const QString output = QString::fromUtf8(python.readAll());
        const QString failure = QStringLiteral("%1 %2: %3")
                                    .arg(QStringLiteral(FT_PYTHON),
                                         ran ? QStringLiteral("exited with %1").arg(python.exitCode())
                                             : python.errorString(),
                                         output);
        QVERIFY2(ran && python.exitCode() == 0, qPrintable(failure));
        QVERIFY2(output.contains("check_torchscript: ok"), qPrintable(output));
    }

    void refusesLora()
    {
        LoadedBert loaded = loadBert(kTinyModel);
        applyLora(*loaded.model, LoraConfig{});
        QTemporaryDir dir;
        const fs::path file = fs::path(dir.path().toStdString()) / "model.pt";
        FT_VERIFY_ERROR(writeTorchScript(*loaded.model, file), ErrorKind::InvalidInput, "LoRA", "merge");
        QVERIFY(folderEntries(file.parent_path()).empty());

        // Merged, it is a plain BERT again.
        mergeLora(*loaded.model);
        loaded.model->eval();
        writeTorchScript(*loaded.model, file);
        TorchScriptClassifier classifier(file);
        const Batch batch = makeBatch(3, 9, loaded.config.vocabSize, 4);
        QVERIFY(maxAbsDiff(classifier.logits(batch.inputIds, batch.attentionMask, batch.tokenTypeIds),
                           modelLogits(*loaded.model, batch)) <= kTolerance);
    }

    // The file holds float32 CPU weights whatever the model's dtype: a float64 model exports the same
    // weights as its float32 original.
    void exportsFloat32FromOtherDtypes()
    {
        BertForSequenceClassification single = scratchModel(HiddenAct::Gelu, 8);
        BertForSequenceClassification wide = scratchModel(HiddenAct::Gelu, 8);
        wide->to(at::kDouble);
        QTemporaryDir dir;
        const fs::path folder = dir.path().toStdString();
        writeTorchScript(*single, folder / "single.pt");
        writeTorchScript(*wide, folder / "wide.pt");
        torch::jit::Module fromSingle = torch::jit::load((folder / "single.pt").string());
        torch::jit::Module fromWide = torch::jit::load((folder / "wide.pt").string());
        std::map<std::string, at::Tensor> singleWeights;
        for (const auto &item : fromSingle.named_parameters())
            singleWeights.emplace(item.name, item.value);
        for (const auto &item : fromWide.named_parameters()) {
            QCOMPARE(item.value.scalar_type(), at::kFloat);
            QVERIFY2(at::equal(item.value, singleWeights.at(item.name)), item.name.c_str());
        }
        const Batch batch = makeBatch(3, 10, single->config().vocabSize, 9);
        QVERIFY(maxAbsDiff(loadedLogits(fromWide, batch), modelLogits(*single, batch)) <= kTolerance);
    }

    void failedWritesLeaveNothing()
    {
        BertForSequenceClassification bert = loadBert(kTinyModel).model;
        QTemporaryDir dir;
        const fs::path root = dir.path().toStdString();

        FT_VERIFY_ERROR(writeTorchScript(*bert, root / "missing" / "model.pt"), ErrorKind::Io, "missing/model.pt");
        QVERIFY(folderEntries(root).empty());

        // A read-only folder: the write fails and the model already there stays as it was.
        const fs::path readOnly = root / "read-only";
        fs::create_directory(readOnly);
        writeTorchScript(*bert, readOnly / "model.pt");
        const std::string before = fileBytes(readOnly / "model.pt");
        fs::permissions(readOnly, fs::perms::owner_read | fs::perms::owner_exec | fs::perms::group_read |
                                      fs::perms::group_exec | fs::perms::others_read | fs::perms::others_exec);
        {
            WithoutDacOverride honourModeBits;
            QVERIFY2(!std::ofstream(readOnly / "probe"), "the folder could not be made read-only for this user");
            FT_VERIFY_ERROR(writeTorchScript(*scratchModel(HiddenAct::Relu, 2), readOnly / "model.pt"), ErrorKind::Io,
                            "model.pt");
        }
        fs::permissions(readOnly, fs::perms::owner_all);
        QCOMPARE(folderEntries(readOnly), std::set<std::string>{"model.pt"});
        QVERIFY(fileBytes(readOnly / "model.pt") == before);
    }

    // An existing file, even a longer one, is replaced whole: no tail of the old bytes survives.
    void replacesExistingFile()
    {
        BertForSequenceClassification golden = loadBert(kTinyModel).model;
        QTemporaryDir dir;
        const fs::path folder = dir.path().toStdString();
        writeTorchScript(*golden, folder / "fresh.pt");
        const std::string fresh = fileBytes(folder / "fresh.pt");

        const fs::path file = folder / "model.pt";
        std::ofstream(file, std::ios::binary) << std::string(fresh.size() * 3, 'x');
        writeTorchScript(*scratchModel(HiddenAct::Gelu, 3), file);
        writeTorchScript(*golden, file);
        QCOMPARE(folderEntries(folder), (std::set<std::string>{"fresh.pt", "model.pt"}));
        QCOMPARE(fs::file_size(file), std::uintmax_t(fresh.size()));

        TorchScriptClassifier classifier(file);
        const Batch batch = makeBatch(3, 12, golden->config().vocabSize, 12);
        QVERIFY(maxAbsDiff(classifier.logits(batch.inputIds, batch.attentionMask, batch.tokenTypeIds),
                           modelLogits(*golden, batch)) <= kTolerance);
    }

    void classifierRefusesWhatItCannotRun()
    {
        QTemporaryDir dir;
        const fs::path folder = dir.path().toStdString();
        FT_VERIFY_ERROR(TorchScriptClassifier(folder / "absent.pt"), ErrorKind::NotFound, "absent.pt");
        std::ofstream(folder / "junk.pt") << "not a zip archive";
        FT_VERIFY_ERROR(TorchScriptClassifier(folder / "junk.pt"), ErrorKind::InvalidInput, "junk.pt");

        // Longer than max_position_embeddings (64): the module's own check, reported with the file.
        BertForSequenceClassification golden = loadBert(kTinyModel).model;
        writeTorchScript(*golden, folder / "model.pt");
        TorchScriptClassifier classifier(folder / "model.pt");
        const Batch tooLong = makeBatch(1, 65, golden->config().vocabSize, 1);
        FT_VERIFY_ERROR(classifier.logits(tooLong.inputIds, tooLong.attentionMask, tooLong.tokenTypeIds),
                        ErrorKind::InvalidInput, "model.pt", "max_position_embeddings");
    }
};

FT_REGISTER_TEST(TorchScriptExportTest);
#include "tst_torchscript_export.moc"
