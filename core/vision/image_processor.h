// image_processor.h: preprocessor_config.json, and images turned into a
// model's pixel values the way Hugging Face's image processors do it:
// ViTImageProcessor (resize to height x width), ConvNextImageProcessor
// (shortest edge to size / crop_pct, then a centre crop; the ResNet
// checkpoints' processor) and the generic resize-then-crop processors (DeiT,
// BiT, CLIP). Resizing is PIL's (vision/resample.h), so the pixel values
// equal theirs for lossless images. Torch-free.
#pragma once

#include "vision/resample.h"
#include "vision/rgb_image.h"

#include <nlohmann/json.hpp>

#include <array>
#include <filesystem>
#include <string>
#include <vector>

namespace ft {

struct ImageProcessorConfig {
    std::string type; // image_processor_type (or feature_extractor_type)
    bool doResize = true;
    // size: {height, width} (a fixed output) or {shortest_edge} (aspect kept).
    int height = 0, width = 0, shortestEdge = 0;
    double cropPct = 0; // ConvNext: shortest_edge / crop_pct before cropping (0: not ConvNext)
    ResampleFilter resample = ResampleFilter::Bilinear;
    bool doCenterCrop = false;
    int cropHeight = 0, cropWidth = 0;
    bool doRescale = true;
    double rescaleFactor = 1.0 / 255.0;
    bool doNormalize = true;
    std::array<float, 3> mean{0.5f, 0.5f, 0.5f}, std{0.5f, 0.5f, 0.5f};
    nlohmann::json original = nlohmann::json::object(); // the file as read: fields we do not model survive a save
};

// Reads a preprocessor_config.json. Throws ft::Error (InvalidInput) naming the
// file and the key at fault; Incompatible for an image processor type or an
// option (nearest resampling, non-RGB means) this reader does not implement.
ImageProcessorConfig loadImageProcessorConfig(const std::filesystem::path &file);
// The config as the processor's save_pretrained writes it (the original
// fields with ours over them), and written atomically.
nlohmann::json toJson(const ImageProcessorConfig &config);
void saveImageProcessorConfig(const ImageProcessorConfig &config, const std::filesystem::path &file);

struct PixelValues {
    int height = 0, width = 0;
    std::vector<float> chw; // 3 x height x width, channels first
};

// The resized (and cropped) image, still 8-bit: what the model sees before
// rescaling and normalisation.
RgbImage resizeForModel(const RgbImage &image, const ImageProcessorConfig &config);
// resizeForModel, then rescale and normalise in float32 as numpy does.
PixelValues preprocessImage(const RgbImage &image, const ImageProcessorConfig &config);
// Only the rescale and normalisation of an already resized image.
PixelValues toPixelValues(const RgbImage &image, const ImageProcessorConfig &config);

// Where resizeForModel's output lies in the original image, in its pixel
// coordinates (beyond its edges where a crop pads): for drawing what is
// computed on the model's input, such as an occlusion map, over the image.
struct ImageRegion {
    double left = 0, top = 0, width = 0, height = 0;
};
ImageRegion modelInputRegion(int imageWidth, int imageHeight, const ImageProcessorConfig &config);

// The centre crop of Hugging Face's image_transforms.center_crop: offsets
// (size - crop) // 2, zero padding where the image is smaller than the crop.
RgbImage centerCrop(const RgbImage &image, int height, int width);

} // namespace ft
