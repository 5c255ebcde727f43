// image_split_batches.h: a split of image examples as SplitBatches. Each
// image is decoded once into a memory cache (reduced for training, resized
// exactly as the image processor does for evaluation); pixel values are made
// on worker threads ahead of use: for training with the run's augmentations
// (random resized crop, flip, colour jitter, seeded per run, epoch and
// example), for evaluation as the model's image processor makes them.
#pragma once

#include "train/split_batches.h"
#include "vision/augment.h"
#include "vision/image_processor.h"

#include <filesystem>
#include <memory>
#include <optional>

namespace ft {

class ImageCache;
class ImagePrefetcher;

struct ImageSplitOptions {
    ImageProcessorConfig processor;       // the model's: output size, mean and std
    std::optional<AugmentOptions> augment; // set for the training split
    std::uint64_t seed = 42;
    int threads = 1;                       // pipeline workers
    std::uint64_t cacheBytes = 1ull << 30;
};

class ImageSplitBatches : public SplitBatches {
public:
    // Throws ft::Error (Incompatible) when the processor's output size varies by image.
    ImageSplitBatches(std::vector<std::filesystem::path> files, std::vector<std::int64_t> labels,
                      ImageSplitOptions options);
    ~ImageSplitBatches() override;

    const std::vector<std::int64_t> &labels() const override { return mLabels; }
    const std::vector<std::int64_t> &lengths() const override { return mLengths; }
    TensorBatch batch(std::span<const std::int64_t> rows, std::int64_t epoch, c10::Device device) override;
    void prefetch(std::span<const std::int64_t> rows, std::int64_t epoch) override;
    std::string exampleSize() const override;

private:
    PixelValues prepare(std::int64_t example, std::int64_t epoch);

    std::vector<std::filesystem::path> mFiles;
    std::vector<std::int64_t> mLabels;
    std::vector<std::int64_t> mLengths;
    ImageSplitOptions mOptions;
    int mHeight = 0, mWidth = 0;
    std::unique_ptr<ImageCache> mCache;
    std::unique_ptr<ImagePrefetcher> mPrefetcher; // last: its workers use the members above
};

} // namespace ft
