// image_check.h: is a file an image the studio can train on? It must decode
// completely with stb_image (PNG, JPEG, BMP, GIF, TGA, PNM, PSD, HDR; not
// WebP, which stb_image cannot read), within size limits. A decoder that had
// to read past the end of the file means the file is truncated, even when
// stb_image itself would make do with what it had.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace ft {

struct ImageLimits {
    std::uint64_t maxFileBytes = 256ull * 1024 * 1024;
    std::uint64_t maxPixels = 100'000'000; // refuses decompression bombs before decoding
};

struct ImageCheck {
    std::string error;  // "" when the image is usable; else why not, with the decoder's reason
    std::string digest; // SHA-256 of the file's bytes: tells exact duplicates
    int width = 0;
    int height = 0;
    int channels = 0;
};

// Reads and decodes `file` (the pixels are dropped again).
ImageCheck checkImage(const std::filesystem::path &file, const ImageLimits &limits = {});

// True for the extensions of formats checkImage decodes, and WebP (which it
// reports as unsupported): .png .jpg .jpeg .bmp .gif .tga .pnm .ppm .pgm .psd .hdr .webp.
bool hasImageExtension(const std::filesystem::path &file);

} // namespace ft
