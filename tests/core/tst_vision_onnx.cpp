// tst_vision_onnx.cpp: the ViT and ResNet ONNX exports (export/vision_onnx_export)
// against the models themselves, through our runner (OnnxRunner), Python's onnx
// checker with strict shape inference, and ONNX Runtime for Node
// (tests/export/run_onnx.mjs, installed by the export_npm_setup CTest fixture).
#include "common/error.h"
#include "export/onnx_runner.h"
#include "export/vision_onnx_export.h"
#include "models/safetensors.h"
#include "models/vision_folder.h"
#include "onnx_runtime_node.h"
#include "testhelpers.h"
#include "testregistry.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>
#include <nlohmann/json.hpp>

#include <QTemporaryDir>
#include <QTest>


namespace fs = std::filesystem;
using namespace ft;

namespace {

const fs::path kGolden = fs::path(FT_TESTS_DIR) / "vision" / "golden";
constexpr double kRunnerTolerance = 1e-5;
constexpr double kRuntimeTolerance = 1e-4;

// The four golden images as `model` sees them, one batch.
at::Tensor goldenPixels(const std::string &model)
{
    const TensorMap expected = loadSafetensors(kGolden / "expected.safetensors");
    std::vector<at::Tensor> images;
    for (const char *image : {"alpha_rgba", "gradient_rgb", "gray_l", "tiny_rgb"})
        images.push_back(expected.at(model + "/" + image + "/pixel_values"));
    return at::cat(images, 0);
}

double maxDifference(const at::Tensor &a, const at::Tensor &b)
{
    return (a.to(at::kDouble) - b.to(at::kDouble)).abs().max().item<double>();
}

// Logits from ONNX Runtime for Node for `pixels` through `model`.
at::Tensor onnxRuntimeLogits(const fs::path &model, const at::Tensor &pixels, const fs::path &scratch, QString &failure)
{
    const at::Tensor flat = pixels.contiguous().flatten();
    const nlohmann::json inputs{
        {"pixel_values",
         {{"type", "float32"},
          {"dims", pixels.sizes().vec()},
          {"data", std::vector<float>(flat.data_ptr<float>(), flat.data_ptr<float>() + flat.numel())}}}};
    return ft::test::onnxRuntimeLogits(model, inputs, scratch, failure);
}

} // namespace

class VisionOnnxTest : public QObject {
    Q_OBJECT

private:
    QTemporaryDir mDir;
    fs::path file(const std::string &name) const { return fs::path(mDir.path().toStdString()) / name; }

    // Each golden model exported, with the logits the model itself gives for `pixels`.
    struct Exported {
        std::string name;
        fs::path onnx;
        at::Tensor pixels, logits;
    };
    std::vector<Exported> exportAll()
    {
        const c10::NoGradGuard noGrad;
        std::vector<Exported> out;
        LoadedVit vit = loadVit(kGolden / "vit-tiny");
        const at::Tensor vitPixels = goldenPixels("vit-tiny");
        writeVitOnnx(*vit.model, file("vit-tiny.onnx"));
        out.push_back({"vit-tiny", file("vit-tiny.onnx"), vitPixels, vit.model->forward(vitPixels).logits});
        for (const std::string name : {"resnet-tiny-basic", "resnet-tiny-bottleneck"}) {
            LoadedResNet resnet = loadResNet(kGolden / name);
            const at::Tensor pixels = goldenPixels(name);
            writeResNetOnnx(*resnet.model, file(name + ".onnx"));
            out.push_back({name, file(name + ".onnx"), pixels, resnet.model->forward(pixels).logits});
        }
        return out;
    }

private Q_SLOTS:
    void initTestCase() { QVERIFY(mDir.isValid()); }

    void runnerMatchesTheModels()
    {
        for (const Exported &e : exportAll()) {
            const OnnxRunner runner(e.onnx);
            const double diff = maxDifference(runner.run({{"pixel_values", e.pixels}}), e.logits);
            QVERIFY2(diff <= kRunnerTolerance, qPrintable(QString::fromStdString(e.name) + ": " + QString::number(diff)));
            QCOMPARE(nlohmann::json::parse(runner.metadata("id2label")).size(), std::size_t(3));
        }
        // ResNet's height and width are dynamic: another image size runs too.
        const c10::NoGradGuard noGrad;
        LoadedResNet resnet = loadResNet(kGolden / "resnet-tiny-basic");
        const at::Tensor other = at::randn({2, 3, 48, 40});
        const double diff =
            maxDifference(OnnxRunner(file("resnet-tiny-basic.onnx")).run({{"pixel_values", other}}),
                          resnet.model->forward(other).logits);
        QVERIFY2(diff <= kRunnerTolerance, qPrintable(QString::number(diff)));
        FT_VERIFY_ERROR(OnnxRunner(file("vit-tiny.onnx")).run({{"pixels", other}}), ErrorKind::InvalidInput,
                        "'pixel_values' that was not given");
    }

    // Python's onnx (Debian's python3-onnx): the full checker and strict shape inference.
    void onnxCheckerAccepts()
    {
        QStringList arguments{"-c",
                              "import sys, onnx\n"
                              "from onnx import checker, shape_inference\n"
                              "for path in sys.argv[1:]:\n"
                              "    model = onnx.load(path)\n"
                              "    checker.check_model(model, full_check=True)\n"
                              "    inferred = shape_inference.infer_shapes(model, strict_mode=True)\n"
                              "    out = inferred.graph.output[0].type.tensor_type.shape.dim\n"
                              "    assert out[0].dim_param == 'batch' and out[1].dim_value == 3, out\n"
                              "print('checked', len(sys.argv) - 1)\n"};
        for (const Exported &e : exportAll())
            arguments << QString::fromStdString(e.onnx.string());
        QString failure;
        const QByteArray output = ft::test::runProgram(FT_PYTHON, arguments, failure);
        QVERIFY2(failure.isEmpty(), qPrintable(failure));
        QCOMPARE(output.trimmed(), QByteArray("checked 3"));
    }

    void onnxRuntimeAgrees()
    {
        for (const Exported &e : exportAll()) {
            QString failure;
            const at::Tensor logits = onnxRuntimeLogits(e.onnx, e.pixels, fs::path(mDir.path().toStdString()), failure);
            QVERIFY2(failure.isEmpty(), qPrintable(failure));
            const double diff = maxDifference(logits, e.logits);
            qInfo("%s: ONNX Runtime max |diff| %.2g", e.name.c_str(), diff);
            QVERIFY2(diff <= kRuntimeTolerance, qPrintable(QString::fromStdString(e.name) + ": " + QString::number(diff)));
        }
    }
};

FT_REGISTER_TEST(VisionOnnxTest);

#include "tst_vision_onnx.moc"
