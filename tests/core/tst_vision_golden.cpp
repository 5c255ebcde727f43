// tst_vision_golden.cpp: image preprocessing and the ViT and ResNet
// classifiers against tests/vision/golden, made by an independent reference
// (tests/vision/make_vision_golden.py: PIL for the image processors, plain
// torch following transformers' modeling_vit.py and modeling_resnet.py).
#include "common/error.h"
#include "models/checkpoint.h"
#include "models/module_state.h"
#include "models/resnet_model.h"
#include "models/safetensors.h"
#include "models/vision_config.h"
#include "models/vision_folder.h"
#include "models/vit_model.h"
#include "tempproject.h"
#include "testhelpers.h"
#include "testregistry.h"
#include "vision/image_processor.h"
#include "vision/resample.h"
#include "vision/rgb_image.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>
#include <nlohmann/json.hpp>

#include <QTemporaryDir>
#include <QTest>

#include <fstream>

namespace fs = std::filesystem;
using namespace ft;
using ft::test::toPath;
using ft::test::writeBytes;

namespace {

const fs::path kGolden = fs::path(FT_TESTS_DIR) / "vision" / "golden";
const char *const kImages[] = {"alpha_rgba", "gradient_rgb", "gray_l", "tiny_rgb"};
constexpr double kPixelTolerance = 1e-6;
constexpr double kComputeTolerance = 2e-5;

nlohmann::json readJson(const fs::path &file)
{
    std::ifstream in(file);
    return nlohmann::json::parse(in);
}

double maxDifference(const at::Tensor &a, const at::Tensor &b)
{
    return (a.to(at::kDouble) - b.to(at::kDouble)).abs().max().item<double>();
}

at::Tensor asTensor(const PixelValues &p)
{
    return at::from_blob(const_cast<float *>(p.chw.data()), {1, 3, p.height, p.width}, at::kFloat).clone();
}

// Every image through `folder`'s processor and `classify`, against the
// expected pixel values, logits and `probe` (the ViT's [CLS] state, ResNet's
// pooled features); then the four images as one batch.
template <typename Classify>
void checkModel(const std::string &name, Classify classify, const char *probe)
{
    const TensorMap expected = loadSafetensors(kGolden / "expected.safetensors");
    const ImageProcessorConfig processor = loadImageProcessorConfig(kGolden / name / "preprocessor_config.json");
    std::vector<at::Tensor> batch;
    const c10::NoGradGuard noGrad;
    for (const char *image : kImages) {
        const std::string key = name + "/" + image + "/";
        const PixelValues pixels = preprocessImage(readRgbImage(kGolden / "images" / (std::string(image) + ".png")),
                                                   processor);
        const at::Tensor values = asTensor(pixels);
        QCOMPARE(values.sizes(), expected.at(key + "pixel_values").sizes());
        const double pixelError = maxDifference(values, expected.at(key + "pixel_values"));
        QVERIFY2(pixelError <= kPixelTolerance, qPrintable(QString::fromStdString(key) + QString::number(pixelError)));
        const auto [logits, features] = classify(values);
        const double logitError = maxDifference(logits, expected.at(key + "logits"));
        QVERIFY2(logitError <= kComputeTolerance, qPrintable(QString::fromStdString(key) + QString::number(logitError)));
        const double probeError = maxDifference(features, expected.at(key + probe));
        QVERIFY2(probeError <= kComputeTolerance, qPrintable(QString::fromStdString(key) + QString::number(probeError)));
        batch.push_back(values);
    }
    const double batchError = maxDifference(classify(at::cat(batch, 0)).first, expected.at(name + "/batch/logits"));
    QVERIFY2(batchError <= kComputeTolerance, qPrintable(QString::number(batchError)));
}

} // namespace

class VisionGoldenTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void vitMatchesTheReference()
    {
        const fs::path folder = kGolden / "vit-tiny";
        const VitConfig config = vitConfigFromJson(readJson(folder / "config.json"), "config.json");
        QCOMPARE(config.numPatches(), std::int64_t(16));
        QCOMPARE(config.id2label, (std::vector<std::string>{"ant", "bee", "wasp"}));
        VitForImageClassification model(config);
        const CheckpointTensors weights = readCheckpointTensors(folder);
        QVERIFY(loadModuleState(*model, weights.tensors, weights.source).empty());
        QCOMPARE(std::size_t(model->named_parameters().size()), weights.tensors.size());
        model->eval();
        checkModel(
            "vit-tiny",
            [&](const at::Tensor &pixels) {
                const VitOutput out = model(pixels);
                return std::pair{out.logits, out.lastHiddenState.select(1, 0)};
            },
            "cls_hidden");
    }

    void resNetsMatchTheReference()
    {
        for (const char *name : {"resnet-tiny-basic", "resnet-tiny-bottleneck"}) {
            const fs::path folder = kGolden / name;
            const ResNetConfig config = resNetConfigFromJson(readJson(folder / "config.json"), "config.json");
            QCOMPARE(config.bottleneck, std::string(name).ends_with("bottleneck"));
            ResNetForImageClassification model(config);
            const CheckpointTensors weights = readCheckpointTensors(folder);
            QVERIFY(loadModuleState(*model, weights.tensors, weights.source).empty());
            model->eval(); // batch norm with the checkpoint's running statistics
            checkModel(
                name,
                [&](const at::Tensor &pixels) {
                    const ResNetOutput out = model(pixels);
                    return std::pair{out.logits, out.pooled};
                },
                "pooled");
        }
    }

    // save_pretrained's three files, read back into the same model.
    void foldersRoundTrip()
    {
        QTemporaryDir dir;
        const c10::NoGradGuard noGrad;
        const at::Tensor pixels = at::randn({2, 3, 16, 16}, at::TensorOptions().dtype(at::kFloat));
        LoadedVit vit = loadVit(kGolden / "vit-tiny");
        QVERIFY(vit.unusedTensors.empty());
        const fs::path vitCopy = toPath(dir.filePath(QStringLiteral("vit")));
        saveVit(*vit.model, vit.processor, vitCopy);
        QCOMPARE(modelTypeOf(vitCopy), std::string("vit"));
        const nlohmann::json config = readJson(vitCopy / "config.json");
        QVERIFY(config["architectures"] == nlohmann::json::array({"ViTForImageClassification"}));
        QVERIFY(config["id2label"]["2"] == "wasp");
        QVERIFY(readJson(vitCopy / "preprocessor_config.json")
                == readJson(kGolden / "vit-tiny" / "preprocessor_config.json")); // nothing changed, nothing rewritten
        LoadedVit vitAgain = loadVit(vitCopy);
        QVERIFY(at::equal(vitAgain.model->forward(pixels).logits, vit.model->forward(pixels).logits));

        LoadedResNet resnet = loadResNet(kGolden / "resnet-tiny-bottleneck");
        const fs::path resnetCopy = toPath(dir.filePath(QStringLiteral("resnet")));
        saveResNet(*resnet.model, resnet.processor, resnetCopy);
        LoadedResNet resnetAgain = loadResNet(resnetCopy);
        QVERIFY(at::equal(resnetAgain.model->forward(pixels).logits, resnet.model->forward(pixels).logits));
        QCOMPARE(resnetAgain.processor.cropPct, 0.875);
        QCOMPARE(int(resnetAgain.processor.resample), int(ResampleFilter::Bicubic));
        const TensorMap saved = loadSafetensors(resnetCopy / "model.safetensors", at::kFloat);
        QCOMPARE(saved.at("resnet.embedder.embedder.normalization.num_batches_tracked").scalar_type(), at::kLong);
        QCOMPARE(saved.size(), readCheckpointTensors(kGolden / "resnet-tiny-bottleneck").tensors.size());
    }

    // The counts model info shows, against the modules and two known checkpoints.
    void parameterCountsMatchTheModules()
    {
        const auto count = [](const torch::nn::Module &m) {
            std::int64_t n = 0;
            for (const at::Tensor &p : m.parameters())
                n += p.numel();
            return n;
        };
        const VitConfig vit = vitConfigFromJson(readJson(kGolden / "vit-tiny" / "config.json"), "config.json");
        QCOMPARE(parameterCount(vit), count(*VitForImageClassification(vit)));
        for (const char *name : {"resnet-tiny-basic", "resnet-tiny-bottleneck"}) {
            ResNetConfig resnet = resNetConfigFromJson(readJson(kGolden / name / "config.json"), "config.json");
            QCOMPARE(parameterCount(resnet), count(*ResNetForImageClassification(resnet)));
            resnet.downsampleInFirstStage = true;
            QCOMPARE(parameterCount(resnet), count(*ResNetForImageClassification(resnet)));
        }
        // google/vit-base-patch16-224 and microsoft/resnet-50 (the configs' defaults), 1000 labels.
        std::vector<std::string> imagenet;
        for (int i = 0; i < 1000; ++i)
            imagenet.push_back("LABEL_" + std::to_string(i));
        VitConfig vitBase;
        vitBase.id2label = imagenet;
        QCOMPARE(parameterCount(vitBase), std::int64_t(86'567'656));
        ResNetConfig resnet50;
        resnet50.id2label = imagenet;
        QCOMPARE(parameterCount(resnet50), std::int64_t(25'557'032));
        QCOMPARE(count(*ResNetForImageClassification(resnet50)), std::int64_t(25'557'032));
    }

    void resamplingKeepsSizeAndCentres()
    {
        // Same size: PIL copies; a constant image stays constant through every filter.
        RgbImage flat(7, 5);
        std::fill(flat.pixels.begin(), flat.pixels.end(), std::uint8_t(77));
        for (const ResampleFilter filter : {ResampleFilter::Lanczos, ResampleFilter::Bilinear, ResampleFilter::Bicubic,
                                            ResampleFilter::Box, ResampleFilter::Hamming}) {
            QCOMPARE(resample(flat, 7, 5, filter).pixels, flat.pixels);
            const RgbImage up = resample(flat, 19, 3, filter);
            QCOMPARE(up.width, 19);
            QVERIFY(std::all_of(up.pixels.begin(), up.pixels.end(), [](std::uint8_t v) { return v == 77; }));
        }
        FT_VERIFY_ERROR(resample(flat, 0, 3, ResampleFilter::Bilinear), ErrorKind::InvalidInput, "cannot resize");

        // Centre crop: floor offsets, zero padding where the image is smaller.
        RgbImage small(2, 1);
        small.pixels = {1, 2, 3, 4, 5, 6};
        const RgbImage padded = centerCrop(small, 3, 4);
        QCOMPARE(padded.pixels, (std::vector<std::uint8_t>{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, //
                                                           0, 0, 0, 1, 2, 3, 4, 5, 6, 0, 0, 0, //
                                                           0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
    }

    void badInputIsNamed()
    {
        QTemporaryDir dir;
        const fs::path broken = toPath(dir.filePath(QStringLiteral("broken.png")));
        writeBytes(broken, "\x89PNG\r\n\x1a\nnot really");
        FT_VERIFY_ERROR(readRgbImage(broken), ErrorKind::InvalidInput, QString::fromStdString(broken.string()));
        FT_VERIFY_ERROR(readRgbImage(toPath(dir.filePath(QStringLiteral("missing.png")))), ErrorKind::NotFound,
                        "missing.png");

        const fs::path config = toPath(dir.filePath(QStringLiteral("preprocessor_config.json")));
        writeBytes(config, R"({"image_processor_type": "ViTImageProcessor", "size": {"height": 8, "width": 8},
                               "resample": 0})");
        FT_VERIFY_ERROR(loadImageProcessorConfig(config), ErrorKind::Incompatible, "/resample: 0");
        writeBytes(config, R"({"image_processor_type": "ViTImageProcessor", "size": {"height": 8}})");
        FT_VERIFY_ERROR(loadImageProcessorConfig(config), ErrorKind::InvalidInput, "/size/width");
        writeBytes(config, R"({"image_processor_type": "ViTImageProcessor", "size": {"height": 8, "width": 8},
                               "image_mean": [0.5, 0.5]})");
        FT_VERIFY_ERROR(loadImageProcessorConfig(config), ErrorKind::InvalidInput, "/image_mean");
        writeBytes(config, R"({"image_processor_type": "SiglipImageProcessor", "size": {"height": 8, "width": 8}})");
        FT_VERIFY_ERROR(loadImageProcessorConfig(config), ErrorKind::Incompatible, "SiglipImageProcessor");

        // A ViT sees only its own image size.
        const VitConfig vit = vitConfigFromJson(readJson(kGolden / "vit-tiny" / "config.json"), "config.json");
        VitForImageClassification model(vit);
        FT_VERIFY_ERROR(model(at::zeros({1, 3, 32, 32})), ErrorKind::InvalidInput, "16x16");
        // A checkpoint that lacks a tensor or has it in another shape is refused whole.
        TensorMap weights = readCheckpointTensors(kGolden / "vit-tiny").tensors;
        weights.erase("vit.layernorm.bias");
        FT_VERIFY_ERROR(loadModuleState(*model, weights, "model.safetensors"), ErrorKind::InvalidInput,
                        "'vit.layernorm.bias' is missing");
        nlohmann::json bad = readJson(kGolden / "resnet-tiny-basic" / "config.json");
        bad["depths"] = {1};
        FT_VERIFY_ERROR(resNetConfigFromJson(bad, "config.json"), ErrorKind::InvalidInput, "'depths'");
    }
};

FT_REGISTER_TEST(VisionGoldenTest);

#include "tst_vision_golden.moc"
