// tst_vision_torchscript.cpp: ViT and ResNet written as TorchScript give the
// modules' logits in LibTorch and in Python's torch.jit.load (Debian's
// python3-torch), under Hugging Face's state_dict names.
#include "common/error.h"
#include "export/torchscript_export.h"
#include "export/vision_torchscript_export.h"
#include "models/lora.h"
#include "models/module_state.h"
#include "models/vision_folder.h"
#include "testhelpers.h"
#include "testregistry.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>
#include <nlohmann/json.hpp>
#include <torch/csrc/jit/serialization/import.h>

#include <QTemporaryDir>
#include <QTest>

namespace fs = std::filesystem;
using namespace ft;

namespace {

const fs::path kGolden = fs::path(FT_TESTS_DIR) / "vision" / "golden";

// Deterministic pixels that Python's torch.linspace makes the same.
at::Tensor pixels(std::int64_t batch, std::int64_t height, std::int64_t width)
{
    return at::linspace(-2.0, 2.0, batch * 3 * height * width).view({batch, 3, height, width});
}

double maxDifference(const at::Tensor &a, const at::Tensor &b)
{
    return (a.to(at::kDouble) - b.to(at::kDouble)).abs().max().item<double>();
}

} // namespace

class VisionTorchScriptTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void logitsAndNamesMatchTheModules()
    {
        QTemporaryDir dir;
        const c10::NoGradGuard noGrad;
        nlohmann::json pythonCases = nlohmann::json::array();
        struct Case {
            std::string name;
            fs::path file;
            at::Tensor logits;
            std::vector<std::int64_t> shape;
        };
        std::vector<Case> cases;
        {
            LoadedVit vit = loadVit(kGolden / "vit-tiny");
            const fs::path file = fs::path(dir.path().toStdString()) / "vit.pt";
            writeVitTorchScript(*vit.model, file);
            const std::int64_t size = vit.model->config().imageSize;
            cases.push_back({"vit-tiny", file, vit.model->forward(pixels(3, size, size)).logits, {3, 3, size, size}});
            // state_dict under the module's names, LoRA-free.
            const TensorMap expected = moduleState(*vit.model);
            const torch::jit::Module loaded = torch::jit::load(file.string());
            std::size_t count = 0;
            for (const auto &item : loaded.named_parameters()) {
                QVERIFY2(expected.count(item.name), item.name.c_str());
                QVERIFY(at::equal(expected.at(item.name), item.value));
                ++count;
            }
            QCOMPARE(count, expected.size());
        }
        for (const char *model : {"resnet-tiny-basic", "resnet-tiny-bottleneck"}) {
            LoadedResNet resnet = loadResNet(kGolden / model);
            const fs::path file = fs::path(dir.path().toStdString()) / (std::string(model) + ".pt");
            writeResNetTorchScript(*resnet.model, file);
            // Any image size: the golden size and another one.
            cases.push_back({model, file, resnet.model->forward(pixels(2, 32, 32)).logits, {2, 3, 32, 32}});
            cases.push_back({model, file, resnet.model->forward(pixels(1, 48, 40)).logits, {1, 3, 48, 40}});
            const torch::jit::Module loaded = torch::jit::load(file.string());
            bool hasRunningMean = false;
            for (const auto &item : loaded.named_buffers())
                hasRunningMean = hasRunningMean || item.name == "resnet.embedder.embedder.normalization.running_mean";
            QVERIFY(hasRunningMean);
        }

        for (const Case &c : cases) {
            TorchScriptClassifier classifier(c.file);
            const at::Tensor logits = classifier.logits(pixels(c.shape[0], c.shape[2], c.shape[3]));
            const double difference = maxDifference(logits, c.logits);
            QVERIFY2(difference < 1e-5, qPrintable(QString::fromStdString(c.name) + ": " + QString::number(difference)));
            pythonCases.push_back({{"file", c.file.string()}, {"shape", c.shape}});
        }

        // Python's torch.jit.load, without this project's code.
        QString failure;
        const QByteArray output = test::runProgram(
            FT_PYTHON,
            {"-c", "import json, sys, torch\n"
                   "out = []\n"
                   "for case in json.loads(sys.argv[1]):\n"
                   "    model = torch.jit.load(case['file'])\n"
                   "    b, c, h, w = case['shape']\n"
                   "    x = torch.linspace(-2.0, 2.0, b * c * h * w).view(b, c, h, w)\n"
                   "    with torch.no_grad():\n"
                   "        out.append(model(x).flatten().tolist())\n"
                   "print(json.dumps(out))\n",
             QString::fromStdString(pythonCases.dump())},
            failure);
        QVERIFY2(failure.isEmpty(), qPrintable(failure));
        const nlohmann::json python = nlohmann::json::parse(output.toStdString());
        QCOMPARE(python.size(), cases.size());
        for (std::size_t i = 0; i < cases.size(); ++i) {
            const at::Tensor logits = at::tensor(python[i].get<std::vector<float>>()).view(cases[i].logits.sizes());
            const double difference = maxDifference(logits, cases[i].logits);
            QVERIFY2(difference < 1e-5, qPrintable(QString::fromStdString(cases[i].name) + " in Python: "
                                                   + QString::number(difference)));
        }
    }

    void refusals()
    {
        QTemporaryDir dir;
        LoadedVit vit = loadVit(kGolden / "vit-tiny");
        LoraConfig config;
        config.targetModules = {"query"};
        applyLora(*vit.model, config);
        FT_VERIFY_ERROR(writeVitTorchScript(*vit.model, fs::path(dir.path().toStdString()) / "lora.pt"),
                        ErrorKind::InvalidInput, QStringLiteral("merge the adapter"));
        LoadedResNet resnet = loadResNet(kGolden / "resnet-tiny-basic");
        const fs::path file = fs::path(dir.path().toStdString()) / "resnet.pt";
        writeResNetTorchScript(*resnet.model, file);
        TorchScriptClassifier classifier(file);
        FT_VERIFY_ERROR(classifier.logits(at::zeros({2, 3})), ErrorKind::InvalidInput,
                        QStringLiteral("ResNet expects pixel values"));
    }
};

FT_REGISTER_TEST(VisionTorchScriptTest);

#include "tst_vision_torchscript.moc"
