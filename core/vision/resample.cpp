// resample.cpp: PIL's resampling (libImaging/Resample.c) re-derived: the same
// filter functions and supports, the same coefficient windows and rounding
// (22 fractional bits), the same pass order and intermediate 8-bit rows, so
// the results are equal byte for byte.
#include "vision/resample.h"

#include "common/error.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <vector>

namespace ft {

namespace {

constexpr int kPrecisionBits = 32 - 8 - 2;

double sinc(double x)
{
    if (x == 0.0)
        return 1.0;
    x *= std::numbers::pi;
    return std::sin(x) / x;
}

double filterValue(ResampleFilter filter, double x)
{
    switch (filter) {
    case ResampleFilter::Box: return x > -0.5 && x <= 0.5 ? 1.0 : 0.0;
    case ResampleFilter::Bilinear:
        x = std::abs(x);
        return x < 1.0 ? 1.0 - x : 0.0;
    case ResampleFilter::Hamming:
        x = std::abs(x);
        if (x == 0.0)
            return 1.0;
        if (x >= 1.0)
            return 0.0;
        x *= std::numbers::pi;
        return std::sin(x) / x * (0.54f + 0.46f * std::cos(x)); // float constants, as PIL
    case ResampleFilter::Bicubic: {
        constexpr double a = -0.5;
        x = std::abs(x);
        if (x < 1.0)
            return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
        if (x < 2.0)
            return (((x - 5) * x + 8) * x - 4) * a;
        return 0.0;
    }
    case ResampleFilter::Lanczos: return x >= -3.0 && x < 3.0 ? sinc(x) * sinc(x / 3.0) : 0.0;
    }
    return 0.0;
}

double support(ResampleFilter filter)
{
    switch (filter) {
    case ResampleFilter::Box: return 0.5;
    case ResampleFilter::Bilinear:
    case ResampleFilter::Hamming: return 1.0;
    case ResampleFilter::Bicubic: return 2.0;
    case ResampleFilter::Lanczos: return 3.0;
    }
    return 1.0;
}

// For each output position: the first input index, how many inputs, and their
// fixed-point weights (ksize a row).
struct Coefficients {
    int ksize = 0;
    std::vector<int> first, count;
    std::vector<std::int32_t> weights;
};

Coefficients coefficients(int inSize, int outSize, ResampleFilter filter)
{
    const double scale = double(inSize) / outSize;
    const double filterScale = std::max(scale, 1.0);
    const double reach = support(filter) * filterScale;
    Coefficients c;
    c.ksize = int(std::ceil(reach)) * 2 + 1;
    c.first.resize(std::size_t(outSize));
    c.count.resize(std::size_t(outSize));
    c.weights.assign(std::size_t(outSize) * std::size_t(c.ksize), 0);
    std::vector<double> k(std::size_t(c.ksize));
    const double step = 1.0 / filterScale; // multiplied, not divided, as PIL: the same last bits
    for (int out = 0; out < outSize; ++out) {
        const double center = (out + 0.5) * scale;
        const int lo = std::max(int(center - reach + 0.5), 0); // C's truncation, as PIL
        const int hi = std::min(int(center + reach + 0.5), inSize);
        const int n = hi - lo;
        double sum = 0.0;
        for (int i = 0; i < n; ++i) {
            k[std::size_t(i)] = filterValue(filter, (i + lo - center + 0.5) * step);
            sum += k[std::size_t(i)];
        }
        std::int32_t *w = &c.weights[std::size_t(out) * std::size_t(c.ksize)];
        for (int i = 0; i < n; ++i) {
            const double normalised = sum != 0.0 ? k[std::size_t(i)] / sum : k[std::size_t(i)];
            w[i] = std::int32_t(normalised < 0 ? -0.5 + normalised * (1 << kPrecisionBits)
                                               : 0.5 + normalised * (1 << kPrecisionBits));
        }
        c.first[std::size_t(out)] = lo;
        c.count[std::size_t(out)] = n;
    }
    return c;
}

std::uint8_t clip8(std::int64_t value)
{
    if (value >= (std::int64_t(1) << kPrecisionBits << 8))
        return 255;
    if (value <= 0)
        return 0;
    return std::uint8_t(value >> kPrecisionBits);
}

// PIL sums in 32-bit ints; the weights and 8-bit inputs keep that exact here.
std::uint8_t weighted(const std::uint8_t *samples, std::ptrdiff_t stride, const std::int32_t *w, int n)
{
    std::int64_t sum = std::int64_t(1) << (kPrecisionBits - 1);
    for (int i = 0; i < n; ++i)
        sum += std::int64_t(samples[i * stride]) * w[i];
    return clip8(sum);
}

} // namespace

std::optional<ResampleFilter> resampleFilterFromPil(int number)
{
    if (number >= 1 && number <= 5)
        return ResampleFilter(number);
    return std::nullopt;
}

std::string_view resampleFilterName(ResampleFilter filter)
{
    switch (filter) {
    case ResampleFilter::Lanczos: return "lanczos";
    case ResampleFilter::Bilinear: return "bilinear";
    case ResampleFilter::Bicubic: return "bicubic";
    case ResampleFilter::Box: return "box";
    case ResampleFilter::Hamming: return "hamming";
    }
    return "?";
}

RgbImage resample(const RgbImage &image, int width, int height, ResampleFilter filter)
{
    if (width < 1 || height < 1 || image.width < 1 || image.height < 1)
        throw Error(ErrorKind::InvalidInput, "cannot resize a " + std::to_string(image.width) + "x"
                                                 + std::to_string(image.height) + " image to " + std::to_string(width)
                                                 + "x" + std::to_string(height));
    const bool horizontal = width != image.width;
    const bool vertical = height != image.height;
    const Coefficients rows = coefficients(image.height, height, filter);
    const Coefficients columns = coefficients(image.width, width, filter);

    // The horizontal pass covers only the input rows the vertical one reads.
    const RgbImage *source = &image;
    int firstRow = 0;
    RgbImage wide;
    if (horizontal) {
        firstRow = vertical ? rows.first.front() : 0;
        const int lastRow = vertical ? rows.first.back() + rows.count.back() : image.height;
        wide = RgbImage(width, lastRow - firstRow);
        for (int y = 0; y < wide.height; ++y) {
            const std::uint8_t *in = image.row(y + firstRow);
            std::uint8_t *out = wide.row(y);
            for (int x = 0; x < width; ++x) {
                const std::int32_t *w = &columns.weights[std::size_t(x) * std::size_t(columns.ksize)];
                const std::uint8_t *start = in + std::size_t(columns.first[std::size_t(x)]) * 3;
                for (int channel = 0; channel < 3; ++channel)
                    out[x * 3 + channel] = weighted(start + channel, 3, w, columns.count[std::size_t(x)]);
            }
        }
        source = &wide;
    }
    if (!vertical)
        return horizontal ? wide : image;
    RgbImage result(source->width, height);
    const std::ptrdiff_t stride = std::ptrdiff_t(source->width) * 3;
    for (int y = 0; y < height; ++y) {
        const std::int32_t *w = &rows.weights[std::size_t(y) * std::size_t(rows.ksize)];
        const std::uint8_t *top = source->row(rows.first[std::size_t(y)] - firstRow);
        std::uint8_t *out = result.row(y);
        for (int x = 0; x < source->width * 3; ++x)
            out[x] = weighted(top + x, stride, w, rows.count[std::size_t(y)]);
    }
    return result;
}

} // namespace ft
