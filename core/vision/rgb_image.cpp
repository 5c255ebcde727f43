// rgb_image.cpp: stb_image decoding to 3 channels (Debian's libstb carries
// the implementation; see core/CMakeLists.txt).
#include "vision/rgb_image.h"

#include "common/error.h"

#include <stb_image.h>

#include <climits>
#include <cstring>
#include <fstream>
#include <memory>

namespace ft {

RgbImage decodeRgbImage(std::span<const std::uint8_t> bytes, const std::string &name, std::uint64_t maxPixels)
{
    if (bytes.empty())
        throw Error(ErrorKind::InvalidInput, name + ": the image file is empty");
    if (bytes.size() > std::size_t(INT_MAX))
        throw Error(ErrorKind::InvalidInput, name + ": the image file is too large to decode");
    const int size = int(bytes.size());
    int width = 0, height = 0, channels = 0;
    if (stbi_info_from_memory(bytes.data(), size, &width, &height, &channels)
        && std::uint64_t(width) * std::uint64_t(height) > maxPixels)
        throw Error(ErrorKind::InvalidInput, name + ": the image is " + std::to_string(width) + "x"
                                                 + std::to_string(height) + " pixels, over the limit of "
                                                 + std::to_string(maxPixels));
    const std::unique_ptr<stbi_uc, void (*)(void *)> pixels(
        stbi_load_from_memory(bytes.data(), size, &width, &height, &channels, 3), stbi_image_free);
    if (!pixels) {
        const char *reason = stbi_failure_reason();
        throw Error(ErrorKind::InvalidInput, name + ": cannot decode the image: "
                                                 + std::string(reason && *reason ? reason : "no reason given")
                                                 + " (stb_image)");
    }
    RgbImage image(width, height);
    std::memcpy(image.pixels.data(), pixels.get(), image.pixels.size());
    return image;
}

RgbImage readRgbImage(const std::filesystem::path &file, std::uint64_t maxPixels)
{
    std::ifstream in(file, std::ios::binary);
    if (!in)
        throw Error(std::filesystem::exists(file) ? ErrorKind::Io : ErrorKind::NotFound,
                    "cannot open the image " + file.string());
    const std::vector<std::uint8_t> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    if (in.bad())
        throw Error(ErrorKind::Io, "cannot read the image " + file.string());
    return decodeRgbImage(bytes, file.string(), maxPixels);
}

} // namespace ft
