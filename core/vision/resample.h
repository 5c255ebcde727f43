// resample.h: image resizing that gives PIL's Image.resize pixels exactly for
// 8-bit images (Hugging Face's image processors resize through PIL): a
// separable convolution whose filter widens with the downscale factor
// (antialiasing), fixed-point coefficients, horizontal pass first, each pass
// rounded to 8 bits.
#pragma once

#include "vision/rgb_image.h"

#include <optional>
#include <string_view>

namespace ft {

// PIL's filter numbers, as preprocessor_config.json's "resample" gives them.
// Nearest (0) is not offered: PIL computes it by another route.
enum class ResampleFilter { Lanczos = 1, Bilinear = 2, Bicubic = 3, Box = 4, Hamming = 5 };

std::optional<ResampleFilter> resampleFilterFromPil(int number);
std::string_view resampleFilterName(ResampleFilter filter);

// `image` resized to width x height (each at least 1).
RgbImage resample(const RgbImage &image, int width, int height, ResampleFilter filter);

} // namespace ft
