// tst_image_split_evaluation.cpp: evaluating an image classifier on a split of
// an image dataset: each example's prediction is ImagePredictor's on its file,
// the metrics and confusion matrix agree with the examples, images that cannot
// be read are counted and named, and progress, cancellation and a dataset
// without images behave as the text path does. Also where the model's input
// lies in an image, which the studio needs to draw per-example maps over it.
#include "common/error.h"
#include "data/dataset_import.h"
#include "infer/image_predictor.h"
#include "infer/split_evaluation.h"
#include "store/datasets.h"
#include "store/project.h"
#include "tempproject.h"
#include "testhelpers.h"
#include "testregistry.h"

#include <QTemporaryDir>
#include <QTest>

#include <cmath>
#include <map>

namespace fs = std::filesystem;
using namespace ft;
using namespace ft::test;

namespace {

const fs::path kGolden = fs::path(FT_TESTS_DIR) / "vision" / "golden";
const std::vector<std::string> kClasses{"ant", "bee", "wasp"};

// A 24-bit BMP of w x h pixels whose colours follow `seed`, so every file differs.
QByteArray bmp(int w, int h, int seed)
{
    const int stride = (w * 3 + 3) / 4 * 4;
    const int size = 54 + stride * h;
    QByteArray bytes(size, '\0');
    auto put32 = [&](int at, int value) {
        for (int b = 0; b < 4; ++b)
            bytes[at + b] = char((value >> (8 * b)) & 0xff);
    };
    bytes[0] = 'B';
    bytes[1] = 'M';
    put32(2, size);
    put32(10, 54);
    put32(14, 40);
    put32(18, w);
    put32(22, h);
    bytes[26] = 1;
    bytes[28] = 24;
    put32(34, stride * h);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            const int at = 54 + y * stride + x * 3;
            bytes[at] = char((x * 37 + seed * 53) & 0xff);
            bytes[at + 1] = char((y * 29 + seed * 101 + x * y) & 0xff);
            bytes[at + 2] = char((seed * 71 + (x ^ y) * 13) & 0xff);
        }
    return bytes;
}

// An image folder with train and val split folders: the golden images and
// generated ones spread over the model's classes, and a class it lacks.
fs::path writeImageFolder(const fs::path &root, int perClass)
{
    int seed = 0;
    for (const char *split : {"train", "val"})
        for (const std::string &cls : {std::string("ant"), std::string("bee"), std::string("wasp"), std::string("moth")})
            for (int i = 0; i < (cls == "moth" ? 2 : perClass); ++i) {
                ++seed;
                fs::create_directories(root / split / cls);
                writeBytes(root / split / cls / (std::to_string(i) + ".bmp"), bmp(12 + seed % 9, 10 + seed % 7, seed));
            }
    const char *golden[] = {"alpha_rgba", "gradient_rgb", "gray_l", "tiny_rgb"};
    for (int i = 0; i < 4; ++i)
        fs::copy_file(kGolden / "images" / (std::string(golden[i]) + ".png"),
                      root / "val" / kClasses[std::size_t(i) % 3] / (std::string(golden[i]) + ".png"));
    return root;
}

} // namespace

class ImageSplitEvaluationTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void predictionsAreTheImagePredictors()
    {
        QTemporaryDir dir;
        const fs::path pictures = writeImageFolder(toPath(dir.filePath("pictures")), 12);
        Project project = Project::create(toPath(dir.filePath("project")));
        ImportOptions options;
        options.file = pictures;
        const ImportResult imported = importDataset(project, options);
        QCOMPARE(imported.errorCount, std::int64_t{0});
        // Files that went missing or bad after the import.
        writeBytes(pictures / "val" / "bee" / "3.bmp", "not an image at all");
        fs::remove(pictures / "val" / "wasp" / "5.bmp");

        for (const char *model : {"vit-tiny", "resnet-tiny-basic"}) {
            std::vector<std::pair<std::int64_t, std::int64_t>> progress;
            const SplitEvaluation e = evaluateSplit(project, imported.datasetId, kGolden / model, Split::Validation,
                                                    [&](std::int64_t done, std::int64_t total) {
                                                        progress.emplace_back(done, total);
                                                        return true;
                                                    });
            QCOMPARE(e.labels, kClasses);
            QCOMPARE(e.imageFolder, fs::canonical(pictures));
            // 36 + 4 golden images of known classes, 2 of them unreadable; the 2 moths skipped.
            QCOMPARE(e.skipped, std::int64_t{2});
            QCOMPARE(e.unreadable, std::int64_t{2});
            QCOMPARE(e.examples.size(), std::size_t{38});
            QCOMPARE(e.unreadableReasons.size(), std::size_t{2});
            const std::string reasons = e.unreadableReasons[0] + "\n" + e.unreadableReasons[1];
            QVERIFY2(reasons.find((pictures / "val" / "bee" / "3.bmp").string()) != std::string::npos, reasons.c_str());
            QVERIFY2(reasons.find((pictures / "val" / "wasp" / "5.bmp").string()) != std::string::npos, reasons.c_str());
            // 42 ids in chunks of 32: two reports, the last of them complete.
            QCOMPARE(progress.size(), std::size_t{2});
            QCOMPARE(progress.back(), (std::pair<std::int64_t, std::int64_t>{42, 42}));

            // The same files through ImagePredictor directly.
            std::vector<std::int64_t> ids;
            for (const ExamplePrediction &p : e.examples)
                ids.push_back(p.exampleId);
            const std::vector<Example> rows = examplesById(project, ids);
            QCOMPARE(rows.size(), ids.size());
            std::vector<RgbImage> images;
            for (const Example &row : rows) {
                QVERIFY(row.imagePath);
                images.push_back(readRgbImage(pictures / *row.imagePath));
            }
            ImagePredictor predictor(kGolden / model, PredictorOptions{});
            const Predictions want = predictor.predict(images);
            std::map<std::pair<std::size_t, std::size_t>, std::int64_t> cells;
            std::int64_t correct = 0;
            for (std::size_t i = 0; i < rows.size(); ++i) {
                const ExamplePrediction &got = e.examples[i];
                const std::size_t truth = std::size_t(std::find(kClasses.begin(), kClasses.end(), *rows[i].label)
                                                      - kClasses.begin());
                QCOMPARE(got.truth, truth);
                QCOMPARE(std::int64_t(got.predicted), want.labelIds[i]);
                QVERIFY(std::abs(got.confidence - want.probabilities[i * 3 + got.predicted]) < 1e-5);
                QVERIFY(std::abs(got.loss + std::log(double(want.probabilities[i * 3 + truth]))) < 1e-4);
                ++cells[{got.truth, got.predicted}];
                correct += got.truth == got.predicted;
            }

            // The metrics and confusion matrix count exactly these predictions.
            QCOMPARE(e.metrics.total, std::int64_t{38});
            QVERIFY(std::abs(e.metrics.accuracy - double(correct) / 38.0) < 1e-12);
            std::int64_t sum = 0;
            for (std::size_t t = 0; t < 3; ++t)
                for (std::size_t p = 0; p < 3; ++p) {
                    const std::int64_t count = cells.count({t, p}) ? cells[{t, p}] : 0;
                    QCOMPARE(e.metrics.confusion[t][p], count);
                    QCOMPARE(std::int64_t(e.cell(t, p).size()), count);
                    sum += e.metrics.confusion[t][p];
                }
            QCOMPARE(sum, std::int64_t{38});
            std::int64_t support = 0;
            for (const ClassScores &scores : e.metrics.perClass)
                support += scores.support;
            QCOMPARE(support, std::int64_t{38});
        }
    }

    // A dataset imported from a data file: image paths are relative to the file's folder.
    void imagePathsOfADataFileAreRelativeToItsFolder()
    {
        QTemporaryDir dir;
        const fs::path folder = toPath(dir.filePath("listed"));
        fs::create_directories(folder / "img");
        writeBytes(folder / "list.csv", "image,label\n");
        std::vector<Example> rows;
        int i = 0;
        for (const char *name : {"alpha_rgba", "gradient_rgb", "gray_l", "tiny_rgb"}) {
            fs::copy_file(kGolden / "images" / (std::string(name) + ".png"), folder / "img" / (std::string(name) + ".png"));
            Example example;
            example.imagePath = "img/" + std::string(name) + ".png";
            example.label = kClasses[std::size_t(i++) % 3];
            example.split = "test";
            rows.push_back(example);
        }
        Project project = Project::create(toPath(dir.filePath("project")));
        const std::int64_t dataset = createDataset(project, "listed", (folder / "list.csv").string());
        addExamples(project, dataset, rows);
        QCOMPARE(datasetImageFolder(project, dataset), folder);
        const SplitEvaluation e = evaluateSplit(project, dataset, kGolden / "vit-tiny", Split::Test);
        QCOMPARE(e.unreadable, std::int64_t{0});
        QCOMPARE(e.examples.size(), std::size_t{4});
        QCOMPARE(e.metrics.total, std::int64_t{4});
        // Nothing in the other splits.
        QCOMPARE(evaluateSplit(project, dataset, kGolden / "vit-tiny", Split::Validation).metrics.total, std::int64_t{0});
    }

    void modelInputRegionFollowsTheProcessor()
    {
        // ViT: the whole image, warped to 16 x 16.
        const ImageProcessorConfig vit = loadImageProcessorConfig(kGolden / "vit-tiny" / "preprocessor_config.json");
        const ImageRegion whole = modelInputRegion(37, 23, vit);
        QCOMPARE(whole.left, 0.0);
        QCOMPARE(whole.top, 0.0);
        QCOMPARE(whole.width, 37.0);
        QCOMPARE(whole.height, 23.0);
        // ConvNext (the ResNets): shortest edge to 32 / 0.875 = 36, so 37 x 23 becomes
        // 57 x 36, then the centre 32 x 32 from (12, 2).
        const ImageProcessorConfig convNext =
            loadImageProcessorConfig(kGolden / "resnet-tiny-basic" / "preprocessor_config.json");
        const ImageRegion crop = modelInputRegion(37, 23, convNext);
        QVERIFY(std::abs(crop.left - 12.0 * 37 / 57) < 1e-9);
        QVERIFY(std::abs(crop.top - 2.0 * 23 / 36) < 1e-9);
        QVERIFY(std::abs(crop.width - 32.0 * 37 / 57) < 1e-9);
        QVERIFY(std::abs(crop.height - 32.0 * 23 / 36) < 1e-9);
        // resizeForModel gives the 32 x 32 input that region covers.
        const RgbImage resized = resizeForModel(readRgbImage(kGolden / "images" / "gradient_rgb.png"), convNext);
        QCOMPARE(resized.width, 32);
        QCOMPARE(resized.height, 32);
        // A crop larger than the resized image pads: the region reaches past the image.
        ImageProcessorConfig padded = vit;
        padded.doCenterCrop = true;
        padded.cropHeight = padded.cropWidth = 20;
        const ImageRegion beyond = modelInputRegion(32, 32, padded);
        QVERIFY(std::abs(beyond.left - (-2.0 * 2)) < 1e-9); // (16 - 20) // 2 = -2 input pixels, 2 image pixels each
        QVERIFY(std::abs(beyond.width - 40.0) < 1e-9);
    }

    void cancelledAndMismatchedDatasets()
    {
        QTemporaryDir dir;
        const fs::path pictures = writeImageFolder(toPath(dir.filePath("pictures")), 3);
        Project project = Project::create(toPath(dir.filePath("project")));
        ImportOptions options;
        options.file = pictures;
        const ImportResult imported = importDataset(project, options);
        expectError(
            [&] {
                evaluateSplit(project, imported.datasetId, kGolden / "vit-tiny", Split::Validation,
                              [](std::int64_t, std::int64_t) { return false; });
            },
            ErrorKind::Cancelled, "cancelled");

        // An image classifier over a text dataset says which model and dataset.
        const std::int64_t texts = createDataset(project, "reviews", "reviews.csv");
        Example text;
        text.text = "a bee in the garden";
        text.label = "bee";
        text.split = "validation";
        addExamples(project, texts, std::vector<Example>{text});
        expectError([&] { evaluateSplit(project, texts, kGolden / "vit-tiny", Split::Validation); },
                    ErrorKind::InvalidInput, {QString::fromStdString((kGolden / "vit-tiny").string()), "'reviews'",
                                              "has no image"});
    }
};

FT_REGISTER_TEST(ImageSplitEvaluationTest);

#include "tst_image_split_evaluation.moc"
