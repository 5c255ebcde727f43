// tst_image_predictor.cpp: image classifiers behind `finetune predict` and
// the playground: ImagePredictor against the golden outputs, and the
// occlusion map recomputed cell by cell.
#include "common/error.h"
#include "infer/image_predictor.h"
#include "infer/occlusion.h"
#include "models/safetensors.h"
#include "testhelpers.h"
#include "testregistry.h"

#include <ATen/ATen.h>

#include <QTest>

#include <cmath>

namespace fs = std::filesystem;
using namespace ft;

namespace {

const fs::path kGolden = fs::path(FT_TESTS_DIR) / "vision" / "golden";
const char *const kImages[] = {"alpha_rgba", "gradient_rgb", "gray_l", "tiny_rgb"};

RgbImage goldenImage(const char *name)
{
    return readRgbImage(kGolden / "images" / (std::string(name) + ".png"));
}

} // namespace

class ImagePredictorTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void predictsAsTheReference()
    {
        const TensorMap expected = loadSafetensors(kGolden / "expected.safetensors");
        for (const char *model : {"vit-tiny", "resnet-tiny-basic"}) {
            QVERIFY(ImagePredictor::handles(kGolden / model));
            PredictorOptions options;
            options.batchSize = 3; // two batches for four images
            ImagePredictor predictor(kGolden / model, options);
            QCOMPARE(predictor.labelNames(), (std::vector<std::string>{"ant", "bee", "wasp"}));
            std::vector<RgbImage> images;
            for (const char *image : kImages)
                images.push_back(goldenImage(image));
            const Predictions predictions = predictor.predict(images);
            QCOMPARE(predictions.size(), std::size_t(4));
            for (std::size_t i = 0; i < 4; ++i) {
                const at::Tensor want = expected.at(std::string(model) + "/" + kImages[i] + "/logits").flatten();
                double sum = 0;
                for (std::size_t c = 0; c < 3; ++c) {
                    QVERIFY(std::abs(predictions.logits[i * 3 + c] - want[std::int64_t(c)].item<float>()) < 2e-5);
                    sum += predictions.probabilities[i * 3 + c];
                }
                QVERIFY(std::abs(sum - 1.0) < 1e-5);
                QCOMPARE(predictions.labels[i], predictor.labelNames()[std::size_t(want.argmax().item<std::int64_t>())]);
            }
        }
        QVERIFY(!ImagePredictor::handles(kGolden)); // no config.json
        QVERIFY(!ImagePredictor::handles(fs::path(FT_SHARED_DIR) / "golden" / "tiny-bert-uncased"));
    }

    void occlusionMapIsTheDropPerCoveredSquare()
    {
        ImagePredictor predictor(kGolden / "vit-tiny", PredictorOptions{});
        const RgbImage image = goldenImage("gradient_rgb");
        const OcclusionMap map = occlusionMap(predictor, image, 4, 4);
        QCOMPARE(map.rows, 4);
        QCOMPARE(map.cols, 4);
        QCOMPARE(map.drop.size(), std::size_t(16));
        QVERIFY(std::any_of(map.drop.begin(), map.drop.end(), [](float d) { return std::abs(d) > 1e-4; }));

        // Cell (1, 2) by hand: the 4x4 square at y 4..7, x 8..11 painted with the mean grey (127: 0.5 * 255).
        RgbImage covered = resizeForModel(image, predictor.processor());
        for (int y = 4; y < 8; ++y)
            for (int x = 8; x < 12; ++x)
                std::fill_n(covered.row(y) + x * 3, 3, std::uint8_t(128));
        const Predictions one = predictor.predictResized({covered});
        QVERIFY(std::abs(map.probability - one.probabilities[std::size_t(map.label)] - map.drop[1 * 4 + 2]) < 1e-6);

        // Overlapping squares, another class, a patch larger than the input.
        const OcclusionMap overlapping = occlusionMap(predictor, image, 6, 2, 2);
        QCOMPARE(overlapping.rows, 6);
        QCOMPARE(overlapping.label, std::int64_t(2));
        const OcclusionMap whole = occlusionMap(predictor, image, 64, 8);
        QCOMPARE(whole.rows * whole.cols, 1);
        FT_VERIFY_ERROR(occlusionMap(predictor, image, 0, 4), ErrorKind::InvalidInput, "at least 1 pixel");
        FT_VERIFY_ERROR(occlusionMap(predictor, image, 4, 4, 7), ErrorKind::InvalidInput, "class 7");
    }
};

FT_REGISTER_TEST(ImagePredictorTest);

#include "tst_image_predictor.moc"
