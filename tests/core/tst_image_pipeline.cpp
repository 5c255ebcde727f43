// tst_image_pipeline.cpp: the training input pipeline for images: the
// augmentations, the decoded-image cache and the background batch loader.
#include "common/error.h"
#include "tempproject.h"
#include "testhelpers.h"
#include "testregistry.h"
#include "vision/augment.h"
#include "vision/image_prefetcher.h"
#include "vision/image_cache.h"
#include "vision/image_processor.h"

#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <chrono>
#include <numeric>
#include <set>
#include <thread>

namespace fs = std::filesystem;
using namespace ft;

namespace {

const fs::path kImages = fs::path(FT_TESTS_DIR) / "vision" / "golden" / "images";

// A w x h image whose pixels tell where they came from (x, y, a constant).
RgbImage coordinates(int width, int height)
{
    RgbImage image(width, height);
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x) {
            std::uint8_t *pixel = image.row(y) + x * 3;
            pixel[0] = std::uint8_t(x);
            pixel[1] = std::uint8_t(y);
            pixel[2] = 200;
        }
    return image;
}

PixelValues plain(const RgbImage &image)
{
    ImageProcessorConfig config;
    config.doNormalize = false;
    return toPixelValues(image, config);
}

} // namespace

class ImagePipelineTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void cropWindowsFitAndRepeat()
    {
        AugmentOptions options;
        std::set<std::tuple<int, int, int, int>> seen;
        for (std::uint64_t seed = 0; seed < 200; ++seed) {
            const CropBox box = randomResizedCropBox(60, 90, options, seed);
            QVERIFY(box.top >= 0 && box.left >= 0 && box.height >= 1 && box.width >= 1);
            QVERIFY(box.top + box.height <= 60 && box.left + box.width <= 90);
            const double area = double(box.height) * box.width / (60.0 * 90.0);
            QVERIFY2(area <= 1.0 + 1e-9 && area >= 0.05, qPrintable(QString::number(area)));
            const CropBox again = randomResizedCropBox(60, 90, options, seed);
            QCOMPARE(std::tie(again.top, again.left, again.height, again.width),
                     std::tie(box.top, box.left, box.height, box.width));
            seen.insert({box.top, box.left, box.height, box.width});
        }
        QVERIFY(seen.size() > 150); // seeds give different windows

        // No window of the allowed ratios fits a 1 x 100 strip in ten tries:
        // the central crop at the widest allowed ratio is taken instead.
        const CropBox strip = randomResizedCropBox(1, 100, options, 7);
        QCOMPARE(strip.height, 1);
        QVERIFY(strip.width <= 2);
        QCOMPARE(strip.left, (100 - strip.width) / 2);
    }

    void augmentationsAreSwitchable()
    {
        const RgbImage image = coordinates(40, 30);
        AugmentOptions off;
        off.randomResizedCrop = false;
        off.horizontalFlip = false;
        QCOMPARE(augmentImage(image, 30, 40, off, 1).pixels, image.pixels); // nothing to do

        AugmentOptions flipOnly = off;
        flipOnly.horizontalFlip = true;
        int flipped = 0;
        for (std::uint64_t seed = 0; seed < 64; ++seed) {
            const RgbImage out = augmentImage(image, 30, 40, flipOnly, seed);
            if (out.pixels == image.pixels)
                continue;
            ++flipped;
            QCOMPARE(out.row(5)[0], std::uint8_t(39)); // the left column is the old right one
            QCOMPARE(out.row(5)[39 * 3], std::uint8_t(0));
        }
        QVERIFY(flipped > 16 && flipped < 48); // about half

        AugmentOptions jitter = off;
        jitter.colourJitter = 0.4;
        const RgbImage jittered = augmentImage(image, 30, 40, jitter, 3);
        QVERIFY(jittered.pixels != image.pixels);
        QCOMPARE(augmentImage(image, 30, 40, jitter, 3).pixels, jittered.pixels); // the seed fixes it

        const RgbImage cropped = augmentImage(image, 16, 16, AugmentOptions{}, 11);
        QCOMPARE(cropped.width, 16);
        QCOMPARE(cropped.height, 16);
        QVERIFY(augmentSeed(42, 0, 5) != augmentSeed(42, 1, 5));
        QVERIFY(augmentSeed(42, 0, 5) != augmentSeed(42, 0, 6));
        QCOMPARE(augmentSeed(42, 3, 5), augmentSeed(42, 3, 5));
    }

    void cacheLoadsEachImageOnceWithinItsBudget()
    {
        std::atomic<int> calls{0};
        ImageCache cache(
            [&](std::int64_t example) {
                ++calls;
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
                return coordinates(10 + int(example), 10); // (10 + e) * 10 * 3 bytes
            },
            700);
        // Four threads ask for the same image at once: one load.
        std::vector<std::thread> threads;
        for (int i = 0; i < 4; ++i)
            threads.emplace_back([&] { QCOMPARE(cache.get(0)->width, 10); });
        for (std::thread &t : threads)
            t.join();
        QCOMPARE(calls.load(), 1);
        QCOMPARE(cache.hits(), std::int64_t(3));
        QCOMPARE(cache.bytes(), std::uint64_t(300));
        // The second image fits (630 bytes in all), the third would not: it is
        // handed out but loaded again next time.
        QCOMPARE(cache.get(1)->width, 11);
        QCOMPARE(cache.get(2)->width, 12);
        QCOMPARE(cache.get(2)->width, 12);
        QCOMPARE(calls.load(), 4);
        QCOMPARE(cache.bytes(), std::uint64_t(630));

        // A failing load caches nothing and reaches every caller.
        ImageCache failing([](std::int64_t) -> RgbImage { throw Error(ErrorKind::InvalidInput, "bad.png: broken"); },
                           1 << 20);
        FT_VERIFY_ERROR(failing.get(0), ErrorKind::InvalidInput, "bad.png");
        FT_VERIFY_ERROR(failing.get(0), ErrorKind::InvalidInput, "bad.png");
        QCOMPARE(failing.loads(), std::int64_t(2));
    }

    void prefetcherGivesWhatPreparingHereGives()
    {
        const std::vector<fs::path> files{kImages / "alpha_rgba.png", kImages / "gradient_rgb.png",
                                          kImages / "gray_l.png", kImages / "tiny_rgb.png"};
        ImageCache cache([&](std::int64_t e) { return readRgbImage(files[std::size_t(e % 4)]); }, 1 << 20);
        const ImagePrefetcher::Prepare prepare = [&](std::int64_t example, std::int64_t epoch) {
            return plain(augmentImage(*cache.get(example), 12, 12, AugmentOptions{}, augmentSeed(42, epoch, example)));
        };
        std::vector<std::vector<std::int64_t>> batches;
        for (std::int64_t b = 0; b < 10; ++b)
            batches.push_back({(b * 7) % 40, (b * 7 + 1) % 40, (b * 7 + 2) % 40, (b * 7 + 3) % 40});

        // As the trainer uses it: the next batch requested while this one is taken.
        const auto collect = [&](int threads, bool ahead, ImagePrefetcher::Prepare how) {
            ImagePrefetcher prefetcher(how, threads);
            std::vector<std::vector<float>> out;
            for (std::size_t b = 0; b < batches.size(); ++b) {
                const std::int64_t epoch = std::int64_t(b / 5);
                if (ahead && b + 1 < batches.size())
                    prefetcher.request(batches[b + 1], std::int64_t((b + 1) / 5));
                for (const std::int64_t example : batches[b])
                    out.push_back(prefetcher.take(example, epoch).chw);
            }
            return std::make_pair(out, std::make_pair(prefetcher.preparedAhead(), prefetcher.preparedOnDemand()));
        };
        const auto here = collect(1, false, prepare);
        QCOMPARE(here.second.first, std::int64_t(0)); // nothing requested: all made in the caller's thread
        QCOMPARE(here.second.second, std::int64_t(40));
        // Workers slowed down, so some requests are still queued or in progress when taken.
        const auto slow = [&](std::int64_t example, std::int64_t epoch) {
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
            return prepare(example, epoch);
        };
        for (const int threads : {1, 3}) {
            const auto ahead = collect(threads, true, slow);
            QCOMPARE(ahead.first, here.first); // threads and timing change nothing
            QCOMPARE(ahead.second.first + ahead.second.second, std::int64_t(40));
            QVERIFY(ahead.second.first > 0); // how many depends on timing; the values do not
        }
        QVERIFY(cache.loads() <= 40); // each example decoded at most once
    }

    void prefetcherErrorsReachTheTakerAndStopCleanly()
    {
        QTemporaryDir dir;
        const fs::path broken = ft::test::toPath(dir.filePath(QStringLiteral("broken.jpg")));
        ft::test::writeBytes(broken, "\xff\xd8\xff not a jpeg");
        const ImagePrefetcher::Prepare prepare = [&](std::int64_t e, std::int64_t) {
            return plain(resample(readRgbImage(e == 5 ? broken : kImages / "tiny_rgb.png"), 4, 4,
                                  ResampleFilter::Bilinear));
        };
        {
            ImagePrefetcher prefetcher(prepare, 2);
            const std::vector<std::int64_t> examples{0, 1, 2, 3, 4, 5, 6, 7};
            prefetcher.request(examples, 0);
            for (const std::int64_t e : {0, 1, 2, 3, 4})
                QCOMPARE(prefetcher.take(e, 0).chw.size(), std::size_t(48));
            FT_VERIFY_ERROR(prefetcher.take(5, 0), ErrorKind::InvalidInput, "broken.jpg");
            QCOMPARE(prefetcher.take(6, 0).chw.size(), std::size_t(48)); // the examples after it are still there
            FT_VERIFY_ERROR(prefetcher.take(5, 1), ErrorKind::InvalidInput, "broken.jpg"); // not requested: here
        }
        // Destroyed with requests pending: the workers stop, nothing hangs.
        std::vector<std::int64_t> many(200);
        std::iota(many.begin(), many.end(), 0);
        {
            ImagePrefetcher prefetcher(prepare, 2);
            prefetcher.request(many, 0);
        }
    }
};

FT_REGISTER_TEST(ImagePipelineTest);

#include "tst_image_pipeline.moc"
