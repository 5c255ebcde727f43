// image_processor.cpp: preprocessor_config.json and Hugging Face's
// preprocessing steps (image_transforms.py: resize, center_crop, rescale,
// normalize; get_resize_output_image_size for shortest-edge sizes).
#include "vision/image_processor.h"

#include "common/error.h"
#include "models/atomic_file.h"
#include "text/json_file.h"

#include <algorithm>
#include <cmath>
#include <tuple>

namespace ft {

namespace {

// Python's floor division, as center_crop computes its offsets.
int floorDiv(int a, int b)
{
    return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

// get_resize_output_image_size(default_to_square=False): the shorter side
// becomes `shortest`, the longer one int(shortest * long / short).
std::pair<int, int> shortestEdgeSize(const RgbImage &image, int shortest)
{
    const bool portrait = image.width <= image.height;
    const int shortSide = portrait ? image.width : image.height, longSide = portrait ? image.height : image.width;
    const int longResized = int(double(shortest) * longSide / shortSide);
    return portrait ? std::pair{longResized, shortest} : std::pair{shortest, longResized}; // (height, width)
}

std::array<float, 3> triple(const JsonFile &json, const char *key, std::array<float, 3> fallback)
{
    const auto it = json.root().find(key);
    if (it == json.root().end() || it->is_null())
        return fallback;
    const std::string pointer = jsonPointer("", key);
    if (it->is_number())
        return {it->get<float>(), it->get<float>(), it->get<float>()};
    if (!it->is_array() || it->size() != 3 || !std::all_of(it->begin(), it->end(), [](auto &v) { return v.is_number(); }))
        json.fail(pointer, "must be three numbers (one per RGB channel)");
    return {(*it)[0].get<float>(), (*it)[1].get<float>(), (*it)[2].get<float>()};
}

double number(const JsonFile &json, const char *key, double fallback)
{
    const auto it = json.root().find(key);
    if (it == json.root().end() || it->is_null())
        return fallback;
    if (!it->is_number())
        json.fail(jsonPointer("", key), "must be a number");
    return it->get<double>();
}

int positive(const JsonFile &json, const nlohmann::json &object, const std::string &pointer, const char *key)
{
    const std::int64_t value = json.integer(object, pointer, key, 0);
    if (value < 1 || value > 65536)
        json.fail(jsonPointer(pointer, key), "must be a whole number from 1 to 65536");
    return int(value);
}

} // namespace

ImageProcessorConfig loadImageProcessorConfig(const std::filesystem::path &file)
{
    const JsonFile json = JsonFile::read(file);
    const nlohmann::json &root = json.root();
    if (!root.is_object())
        json.fail("", "must be a JSON object");
    ImageProcessorConfig c;
    c.original = root;
    c.type = json.string(root, "", "image_processor_type", json.string(root, "", "feature_extractor_type", ""));
    static const char *const kKnown[] = {"ViTImageProcessor",   "ViTFeatureExtractor",   "ConvNextImageProcessor",
                                         "ConvNextFeatureExtractor", "DeiTImageProcessor", "BitImageProcessor",
                                         "CLIPImageProcessor",  ""};
    if (std::find_if(std::begin(kKnown), std::end(kKnown), [&](const char *k) { return c.type == k; })
        == std::end(kKnown))
        throw Error(ErrorKind::Incompatible,
                    file.string() + ": image_processor_type \"" + c.type
                        + "\" is not supported (supported: ViT, ConvNext, DeiT, BiT and CLIP image processors)");
    const bool convNext = c.type.rfind("ConvNext", 0) == 0;

    c.doResize = json.boolean(root, "", "do_resize", true);
    if (c.doResize) {
        const auto size = root.find("size");
        if (size == root.end())
            json.fail("/size", "is missing (do_resize is true)");
        if (size->is_number_integer()) { // older configs: one number
            const int edge = positive(json, root, "", "size");
            (convNext ? c.shortestEdge : c.height) = edge;
            if (!convNext)
                c.width = edge;
        } else {
            const nlohmann::json &s = json.object(root, "", "size");
            if (s.contains("shortest_edge")) {
                c.shortestEdge = positive(json, s, "/size", "shortest_edge");
            } else {
                c.height = positive(json, s, "/size", "height");
                c.width = positive(json, s, "/size", "width");
            }
        }
        if (convNext) {
            if (!c.shortestEdge)
                json.fail("/size", "must give shortest_edge for a ConvNext image processor");
            c.cropPct = number(json, "crop_pct", 224.0 / 256.0);
            if (!(c.cropPct > 0 && c.cropPct <= 1))
                json.fail("/crop_pct", "must be above 0 and at most 1");
        }
    }
    const std::int64_t resample = json.integer(root, "", "resample", convNext ? 3 : 2);
    const auto filter = resampleFilterFromPil(int(std::clamp<std::int64_t>(resample, -1, 6)));
    if (!filter)
        throw Error(ErrorKind::Incompatible, file.string() + ": /resample: " + std::to_string(resample)
                                                 + " is not supported (1 lanczos, 2 bilinear, 3 bicubic, 4 box, 5 hamming)");
    c.resample = *filter;

    c.doCenterCrop = !convNext && json.boolean(root, "", "do_center_crop", false);
    if (c.doCenterCrop) {
        const auto crop = root.find("crop_size");
        if (crop == root.end())
            json.fail("/crop_size", "is missing (do_center_crop is true)");
        if (crop->is_number_integer()) {
            c.cropHeight = c.cropWidth = positive(json, root, "", "crop_size");
        } else {
            const nlohmann::json &s = json.object(root, "", "crop_size");
            c.cropHeight = positive(json, s, "/crop_size", "height");
            c.cropWidth = positive(json, s, "/crop_size", "width");
        }
    }
    c.doRescale = json.boolean(root, "", "do_rescale", true);
    c.rescaleFactor = number(json, "rescale_factor", 1.0 / 255.0);
    c.doNormalize = json.boolean(root, "", "do_normalize", true);
    c.mean = triple(json, "image_mean", c.mean);
    c.std = triple(json, "image_std", c.std);
    if (c.doNormalize && std::any_of(c.std.begin(), c.std.end(), [](float s) { return !(s > 0); }))
        json.fail("/image_std", "must be above 0");
    return c;
}

nlohmann::json toJson(const ImageProcessorConfig &c)
{
    nlohmann::json out = c.original.is_object() ? c.original : nlohmann::json::object();
    if (!c.type.empty())
        out["image_processor_type"] = c.type;
    out["do_resize"] = c.doResize;
    if (c.shortestEdge)
        out["size"] = {{"shortest_edge", c.shortestEdge}};
    else if (c.height)
        out["size"] = {{"height", c.height}, {"width", c.width}};
    if (c.cropPct > 0)
        out["crop_pct"] = c.cropPct;
    out["resample"] = int(c.resample);
    if (c.doCenterCrop || out.contains("do_center_crop"))
        out["do_center_crop"] = c.doCenterCrop;
    if (c.doCenterCrop)
        out["crop_size"] = {{"height", c.cropHeight}, {"width", c.cropWidth}};
    out["do_rescale"] = c.doRescale;
    out["rescale_factor"] = c.rescaleFactor;
    out["do_normalize"] = c.doNormalize;
    // Kept as written (0.485, not 0.48500001430511475) when they read back the same.
    const auto triple = [&](const char *key, const std::array<float, 3> &values) {
        const auto it = out.find(key);
        const bool same = it != out.end() && it->is_array() && it->size() == 3
                          && std::all_of(it->begin(), it->end(), [](const auto &v) { return v.is_number(); })
                          && (*it)[0].get<float>() == values[0] && (*it)[1].get<float>() == values[1]
                          && (*it)[2].get<float>() == values[2];
        if (!same)
            out[key] = {values[0], values[1], values[2]};
    };
    triple("image_mean", c.mean);
    triple("image_std", c.std);
    return out;
}

void saveImageProcessorConfig(const ImageProcessorConfig &config, const std::filesystem::path &file)
{
    writeFileAtomically(file, toJson(config).dump(2) + "\n");
}

RgbImage centerCrop(const RgbImage &image, int height, int width)
{
    const int top = floorDiv(image.height - height, 2), left = floorDiv(image.width - width, 2);
    RgbImage out(width, height); // zeros where the image does not reach
    for (int y = 0; y < height; ++y) {
        const int sy = y + top;
        if (sy < 0 || sy >= image.height)
            continue;
        const int x0 = std::max(0, -left), x1 = std::min(width, image.width - left);
        if (x1 > x0)
            std::copy_n(image.row(sy) + std::size_t(x0 + left) * 3, std::size_t(x1 - x0) * 3, out.row(y) + x0 * 3);
    }
    return out;
}

RgbImage resizeForModel(const RgbImage &image, const ImageProcessorConfig &c)
{
    RgbImage out = image;
    if (c.doResize) {
        if (c.cropPct > 0) {
            if (c.shortestEdge < 384) {
                const auto [h, w] = shortestEdgeSize(image, int(c.shortestEdge / c.cropPct));
                out = centerCrop(resample(image, w, h, c.resample), c.shortestEdge, c.shortestEdge);
            } else {
                out = resample(image, c.shortestEdge, c.shortestEdge, c.resample); // warps, as ConvNext does
            }
        } else if (c.shortestEdge) {
            const auto [h, w] = shortestEdgeSize(image, c.shortestEdge);
            out = resample(image, w, h, c.resample);
        } else {
            out = resample(image, c.width, c.height, c.resample);
        }
    }
    if (c.doCenterCrop)
        out = centerCrop(out, c.cropHeight, c.cropWidth);
    return out;
}

ImageRegion modelInputRegion(int imageWidth, int imageHeight, const ImageProcessorConfig &c)
{
    // The sizes resizeForModel goes through, without resampling anything.
    RgbImage shape;
    shape.width = imageWidth;
    shape.height = imageHeight;
    int w = imageWidth, h = imageHeight;
    int cropW = 0, cropH = 0;
    if (c.doResize) {
        if (c.cropPct > 0 && c.shortestEdge < 384) {
            std::tie(h, w) = shortestEdgeSize(shape, int(c.shortestEdge / c.cropPct));
            cropW = cropH = c.shortestEdge;
        } else if (c.cropPct > 0) {
            w = h = c.shortestEdge;
        } else if (c.shortestEdge) {
            std::tie(h, w) = shortestEdgeSize(shape, c.shortestEdge);
        } else {
            w = c.width;
            h = c.height;
        }
    }
    const double sx = double(w) / imageWidth, sy = double(h) / imageHeight;
    double left = 0, top = 0;
    const auto crop = [&](int height, int width) {
        left += floorDiv(w - width, 2);
        top += floorDiv(h - height, 2);
        w = width;
        h = height;
    };
    if (cropW)
        crop(cropH, cropW);
    if (c.doCenterCrop)
        crop(c.cropHeight, c.cropWidth);
    return {left / sx, top / sy, w / sx, h / sy};
}

PixelValues toPixelValues(const RgbImage &image, const ImageProcessorConfig &c)
{
    PixelValues p{image.height, image.width, std::vector<float>(std::size_t(image.width) * image.height * 3)};
    const std::size_t plane = std::size_t(image.width) * image.height;
    for (int y = 0; y < image.height; ++y) {
        const std::uint8_t *row = image.row(y);
        for (int x = 0; x < image.width; ++x)
            for (int channel = 0; channel < 3; ++channel) {
                // numpy: uint8 -> float64 * factor -> float32; then (x - mean) / std in float32.
                float v = c.doRescale ? float(double(row[x * 3 + channel]) * c.rescaleFactor)
                                      : float(row[x * 3 + channel]);
                if (c.doNormalize)
                    v = (v - c.mean[std::size_t(channel)]) / c.std[std::size_t(channel)];
                p.chw[std::size_t(channel) * plane + std::size_t(y) * std::size_t(image.width) + std::size_t(x)] = v;
            }
    }
    return p;
}

PixelValues preprocessImage(const RgbImage &image, const ImageProcessorConfig &config)
{
    return toPixelValues(resizeForModel(image, config), config);
}

} // namespace ft
