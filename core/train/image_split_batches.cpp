// image_split_batches.cpp
#include "train/image_split_batches.h"

#include "common/error.h"
#include "models/vision_classifier.h"
#include "vision/image_cache.h"
#include "vision/image_prefetcher.h"
#include "vision/resample.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cstring>

namespace fs = std::filesystem;

namespace ft {

namespace {

// Training crops are drawn from the image reduced to twice the model's input
// (never enlarged): decoding dominates, and detail beyond that is lost in the
// resize anyway unless the crop is tiny.
RgbImage reduced(RgbImage image, int edge)
{
    const int shorter = std::min(image.width, image.height);
    if (shorter <= edge)
        return image;
    const double f = double(edge) / shorter;
    return resample(image, std::max(1, int(image.width * f + 0.5)), std::max(1, int(image.height * f + 0.5)),
                    ResampleFilter::Bilinear);
}

} // namespace

ImageSplitBatches::ImageSplitBatches(std::vector<fs::path> files, std::vector<std::int64_t> labels,
                                     ImageSplitOptions options)
    : mFiles(std::move(files)), mLabels(std::move(labels)), mLengths(mLabels.size(), 1), mOptions(std::move(options))
{
    std::tie(mHeight, mWidth) = processorOutputSize(mOptions.processor, "preprocessor_config.json");
    const bool training = mOptions.augment.has_value();
    const int edge = 2 * std::max(mHeight, mWidth);
    mCache = std::make_unique<ImageCache>(
        [this, training, edge](std::int64_t example) {
            RgbImage image = readRgbImage(mFiles[static_cast<size_t>(example)]);
            return training ? reduced(std::move(image), edge) : resizeForModel(image, mOptions.processor);
        },
        mOptions.cacheBytes);
    mPrefetcher = std::make_unique<ImagePrefetcher>(
        [this](std::int64_t example, std::int64_t epoch) { return prepare(example, epoch); }, mOptions.threads);
}

ImageSplitBatches::~ImageSplitBatches() = default;

PixelValues ImageSplitBatches::prepare(std::int64_t example, std::int64_t epoch)
{
    const std::shared_ptr<const RgbImage> image = mCache->get(example);
    if (mOptions.augment)
        return toPixelValues(augmentImage(*image, mHeight, mWidth, *mOptions.augment,
                                          augmentSeed(mOptions.seed, epoch, example)),
                             mOptions.processor);
    PixelValues pixels = toPixelValues(*image, mOptions.processor);
    if (pixels.height != mHeight || pixels.width != mWidth)
        throw Error(ErrorKind::Incompatible, mFiles[static_cast<size_t>(example)].string() + " comes out "
                                                 + std::to_string(pixels.width) + "x" + std::to_string(pixels.height)
                                                 + " from the image processor, not " + exampleSize());
    return pixels;
}

void ImageSplitBatches::prefetch(std::span<const std::int64_t> rows, std::int64_t epoch)
{
    mPrefetcher->request(rows, epoch);
}

TensorBatch ImageSplitBatches::batch(std::span<const std::int64_t> rows, std::int64_t epoch, c10::Device device)
{
    const auto count = static_cast<std::int64_t>(rows.size());
    at::Tensor pixels = at::empty({count, 3, mHeight, mWidth}, at::kFloat);
    at::Tensor labels = at::empty({count}, at::kLong);
    const std::size_t perImage = std::size_t(3) * mHeight * mWidth;
    for (std::int64_t i = 0; i < count; ++i) {
        const PixelValues values = mPrefetcher->take(rows[i], epoch);
        std::memcpy(pixels.data_ptr<float>() + i * std::int64_t(perImage), values.chw.data(), perImage * sizeof(float));
        labels.data_ptr<std::int64_t>()[i] = mLabels[static_cast<size_t>(rows[i])];
    }
    TensorBatch batch;
    batch.pixelValues = pixels.to(device);
    batch.labels = labels.to(device);
    return batch;
}

std::string ImageSplitBatches::exampleSize() const
{
    return std::to_string(mWidth) + "x" + std::to_string(mHeight) + " pixels";
}

} // namespace ft
