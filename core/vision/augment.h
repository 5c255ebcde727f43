// augment.h: the training-time image augmentations of Hugging Face's image
// classification recipe (torchvision's RandomResizedCrop, RandomHorizontalFlip
// and ColorJitter), each switchable, drawn from a seed so that a run (and a
// resumed run) sees the same images. Torch-free, 8-bit.
#pragma once

#include "vision/resample.h"
#include "vision/rgb_image.h"

#include <cstdint>

namespace ft {

struct AugmentOptions {
    bool randomResizedCrop = true;
    double minScale = 0.08, maxScale = 1.0;      // of the image's area
    double minRatio = 3.0 / 4.0, maxRatio = 4.0 / 3.0;
    bool horizontalFlip = true;                  // with probability 1/2
    double colourJitter = 0.0;                   // brightness, contrast and saturation factors in [1-j, 1+j]; 0: off
    ResampleFilter resample = ResampleFilter::Bilinear;
};

// A crop window of an image (torchvision's RandomResizedCrop.get_params).
struct CropBox {
    int top = 0, left = 0, height = 0, width = 0;
};
// Ten tries at a window of random area and aspect ratio that fits, else the
// central crop closest to the allowed ratios. `seed` fixes the draw.
CropBox randomResizedCropBox(int height, int width, const AugmentOptions &options, std::uint64_t seed);

// The augmented image, height x width: the random crop resized (or, with the
// crop off, the whole image resized), flipped, jittered.
RgbImage augmentImage(const RgbImage &image, int height, int width, const AugmentOptions &options, std::uint64_t seed);

// A seed for one example in one epoch of a run: the same for the same three.
std::uint64_t augmentSeed(std::uint64_t runSeed, std::int64_t epoch, std::int64_t example);

} // namespace ft
