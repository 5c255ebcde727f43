// rgb_image.h: an 8-bit RGB image as the vision models' preprocessing sees
// it: what PIL's Image.open(file).convert("RGB") gives (grey replicated,
// alpha dropped rather than composited, palettes expanded).
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

namespace ft {

struct RgbImage {
    int width = 0;
    int height = 0;
    std::vector<std::uint8_t> pixels; // row-major, 3 bytes a pixel

    RgbImage() = default;
    RgbImage(int w, int h) : width(w), height(h), pixels(std::size_t(w) * std::size_t(h) * 3, 0) {}
    std::uint8_t *row(int y) { return pixels.data() + std::size_t(y) * std::size_t(width) * 3; }
    const std::uint8_t *row(int y) const { return pixels.data() + std::size_t(y) * std::size_t(width) * 3; }
};

// Decodes with stb_image (PNG, JPEG, BMP, GIF, TGA, PNM, PSD, HDR). PNG and
// the other lossless formats give PIL's pixels exactly; JPEG decoders differ
// by a level or two. Throws ft::Error (InvalidInput) naming `name` and the
// decoder's reason, or when the image has more than `maxPixels` pixels.
RgbImage decodeRgbImage(std::span<const std::uint8_t> bytes, const std::string &name,
                        std::uint64_t maxPixels = 100'000'000);
// Reads `file` whole, then decodes it; NotFound/Io errors name the file.
RgbImage readRgbImage(const std::filesystem::path &file, std::uint64_t maxPixels = 100'000'000);

} // namespace ft
