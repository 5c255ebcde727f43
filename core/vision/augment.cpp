// augment.cpp: crop window, flip and colour jitter, after torchvision's
// transforms (RandomResizedCrop, RandomHorizontalFlip, ColorJitter without
// hue: factors blended with black, the mean grey and the grey image, in a
// random order).
#include "vision/augment.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <random>

namespace ft {

namespace {

// SplitMix64: spreads nearby seeds (consecutive examples) far apart.
std::uint64_t mix(std::uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

RgbImage crop(const RgbImage &image, const CropBox &box)
{
    RgbImage out(box.width, box.height);
    for (int y = 0; y < box.height; ++y)
        std::copy_n(image.row(box.top + y) + std::size_t(box.left) * 3, std::size_t(box.width) * 3, out.row(y));
    return out;
}

void flip(RgbImage &image)
{
    for (int y = 0; y < image.height; ++y) {
        std::uint8_t *row = image.row(y);
        for (int l = 0, r = image.width - 1; l < r; ++l, --r)
            std::swap_ranges(row + l * 3, row + l * 3 + 3, row + r * 3);
    }
}

float grey(const std::uint8_t *pixel)
{
    return 0.299f * pixel[0] + 0.587f * pixel[1] + 0.114f * pixel[2];
}

// factor * image + (1 - factor) * other, rounded and clamped to 8 bits;
// `other` is a constant (brightness: 0, contrast: the mean grey) or, for
// saturation (negative `constant`), each pixel's own grey.
void blend(RgbImage &image, float factor, float constant)
{
    for (std::size_t p = 0; p < image.pixels.size(); p += 3) {
        std::uint8_t *pixel = &image.pixels[p];
        const float other = constant >= 0 ? constant : grey(pixel);
        for (int c = 0; c < 3; ++c)
            pixel[c] = std::uint8_t(std::clamp(std::lround(factor * pixel[c] + (1 - factor) * other), 0L, 255L));
    }
}

void jitter(RgbImage &image, double strength, std::mt19937_64 &rng)
{
    std::uniform_real_distribution<double> factor(std::max(0.0, 1 - strength), 1 + strength);
    std::array<int, 3> order{0, 1, 2};
    std::shuffle(order.begin(), order.end(), rng);
    for (const int step : order) {
        const float f = float(factor(rng));
        if (step == 0) {
            blend(image, f, 0.0f);
        } else if (step == 1) {
            double sum = 0;
            for (std::size_t p = 0; p < image.pixels.size(); p += 3)
                sum += grey(&image.pixels[p]);
            blend(image, f, float(sum / std::max<double>(1.0, double(image.pixels.size() / 3))));
        } else {
            blend(image, f, -1.0f);
        }
    }
}

} // namespace

std::uint64_t augmentSeed(std::uint64_t runSeed, std::int64_t epoch, std::int64_t example)
{
    return mix(mix(mix(runSeed) ^ std::uint64_t(epoch)) ^ std::uint64_t(example));
}

CropBox randomResizedCropBox(int height, int width, const AugmentOptions &o, std::uint64_t seed)
{
    std::mt19937_64 rng(seed);
    const double area = double(height) * width;
    std::uniform_real_distribution<double> scale(o.minScale, o.maxScale);
    std::uniform_real_distribution<double> logRatio(std::log(o.minRatio), std::log(o.maxRatio));
    for (int attempt = 0; attempt < 10; ++attempt) {
        const double target = area * scale(rng);
        const double ratio = std::exp(logRatio(rng));
        const int w = int(std::lround(std::sqrt(target * ratio)));
        const int h = int(std::lround(std::sqrt(target / ratio)));
        if (w > 0 && w <= width && h > 0 && h <= height) {
            const int top = std::uniform_int_distribution<int>(0, height - h)(rng);
            const int left = std::uniform_int_distribution<int>(0, width - w)(rng);
            return {top, left, h, w};
        }
    }
    const double inRatio = double(width) / height;
    int w = width, h = height;
    if (inRatio < o.minRatio)
        h = std::max(1, int(std::lround(w / o.minRatio)));
    else if (inRatio > o.maxRatio)
        w = std::max(1, int(std::lround(h * o.maxRatio)));
    return {(height - h) / 2, (width - w) / 2, h, w};
}

RgbImage augmentImage(const RgbImage &image, int height, int width, const AugmentOptions &o, std::uint64_t seed)
{
    std::mt19937_64 rng(mix(seed ^ 0x5851f42d4c957f2dull));
    RgbImage out = o.randomResizedCrop ? crop(image, randomResizedCropBox(image.height, image.width, o, seed)) : image;
    out = resample(out, width, height, o.resample);
    if (o.horizontalFlip && std::bernoulli_distribution(0.5)(rng))
        flip(out);
    if (o.colourJitter > 0)
        jitter(out, o.colourJitter, rng);
    return out;
}

} // namespace ft
