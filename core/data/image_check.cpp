// image_check.cpp: full decodes with stb_image (Debian's libstb, which
// carries the implementation; see core/CMakeLists.txt), reading through
// callbacks so that a read past the end of the file is noticed.
#include "data/image_check.h"

#include "hub/sha256.h"

#include <stb_image.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <fstream>
#include <memory>

namespace fs = std::filesystem;

namespace ft {

namespace {

struct MemoryReader {
    const std::string *bytes = nullptr;
    std::size_t pos = 0;
    bool ranOut = false; // the decoder asked for bytes past the end
};

int readBytes(void *user, char *data, int size)
{
    auto &r = *static_cast<MemoryReader *>(user);
    const std::size_t n = std::min<std::size_t>(static_cast<std::size_t>(std::max(size, 0)), r.bytes->size() - r.pos);
    if (n == 0 && size > 0)
        r.ranOut = true;
    std::memcpy(data, r.bytes->data() + r.pos, n);
    r.pos += n;
    return static_cast<int>(n);
}

void skipBytes(void *user, int n)
{
    auto &r = *static_cast<MemoryReader *>(user);
    if (n < 0) {
        r.pos -= std::min<std::size_t>(r.pos, static_cast<std::size_t>(-static_cast<long>(n)));
    } else if (r.pos + static_cast<std::size_t>(n) > r.bytes->size()) {
        r.pos = r.bytes->size();
        r.ranOut = true;
    } else {
        r.pos += static_cast<std::size_t>(n);
    }
}

int atEnd(void *user)
{
    const auto &r = *static_cast<MemoryReader *>(user);
    return r.pos >= r.bytes->size() ? 1 : 0;
}

// The format by its signature, to name it in messages (stb_image's own
// reason comes from the last decoder it tried, not necessarily the right one).
std::string formatOf(const std::string &bytes)
{
    const auto starts = [&](std::string_view magic, std::size_t at = 0) {
        return bytes.size() >= at + magic.size() && bytes.compare(at, magic.size(), magic) == 0;
    };
    if (starts("\x89PNG\r\n\x1A\n"))
        return "PNG";
    if (starts("\xFF\xD8\xFF"))
        return "JPEG";
    if (starts("BM"))
        return "BMP";
    if (starts("GIF87a") || starts("GIF89a"))
        return "GIF";
    if (starts("RIFF") && starts("WEBP", 8))
        return "WebP";
    return {};
}

std::string lowerExtension(const fs::path &file)
{
    std::string extension = file.extension().string();
    std::transform(extension.begin(), extension.end(), extension.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return extension;
}

} // namespace

bool hasImageExtension(const fs::path &file)
{
    static const std::array<const char *, 12> kExtensions = {".png", ".jpg",  ".jpeg", ".bmp", ".gif", ".tga",
                                                             ".pnm", ".ppm",  ".pgm",  ".psd", ".hdr", ".webp"};
    const std::string extension = lowerExtension(file);
    return std::any_of(kExtensions.begin(), kExtensions.end(), [&](const char *e) { return extension == e; });
}

ImageCheck checkImage(const fs::path &file, const ImageLimits &limits)
{
    ImageCheck check;
    std::error_code ec;
    const std::uint64_t size = fs::file_size(file, ec);
    if (ec) {
        check.error = "cannot read the image: " + ec.message();
        return check;
    }
    if (size == 0) {
        check.error = "the image file is empty";
        return check;
    }
    if (size > limits.maxFileBytes) {
        check.error = "the image file is " + std::to_string(size) + " bytes, over the limit of "
                      + std::to_string(limits.maxFileBytes);
        return check;
    }
    std::string bytes(size, '\0');
    std::ifstream in(file, std::ios::binary);
    if (!in.read(bytes.data(), static_cast<std::streamsize>(size))) {
        check.error = "cannot read the image: " + std::string(std::strerror(errno));
        return check;
    }
    Sha256 hash;
    hash.update(bytes);
    check.digest = hash.finish();

    const std::string format = formatOf(bytes);
    if (format == "WebP") {
        check.error = "WebP images are not supported by the image decoder (stb_image); convert it to PNG or JPEG";
        return check;
    }
    const stbi_io_callbacks callbacks{readBytes, skipBytes, atEnd};
    MemoryReader reader{&bytes};
    int width = 0, height = 0, channels = 0;
    if (stbi_info_from_callbacks(&callbacks, &reader, &width, &height, &channels)
        && static_cast<std::uint64_t>(width) * static_cast<std::uint64_t>(height) > limits.maxPixels) {
        check.error = "the image is " + std::to_string(width) + "x" + std::to_string(height)
                      + " pixels, over the limit of " + std::to_string(limits.maxPixels);
        return check;
    }
    reader = MemoryReader{&bytes};
    const std::unique_ptr<stbi_uc, void (*)(void *)> pixels(
        stbi_load_from_callbacks(&callbacks, &reader, &width, &height, &channels, 0), stbi_image_free);
    const char *reason = stbi_failure_reason();
    const std::string why = reason && *reason ? reason : "the decoder gave no reason";
    if (!pixels && format.empty()) {
        check.error = why == "unknown image type"
                          ? "not an image: stb_image knows no image format that starts with these bytes"
                          : "cannot decode the image: " + why + " (stb_image)";
        return check;
    }
    const std::string named = format.empty() ? "image" : format;
    if (reader.ranOut) {
        check.error = "truncated " + named + ": the data ends before the image does (is the file cut short?)";
        return check;
    }
    if (!pixels) {
        check.error = "cannot decode the " + named + ": " + why + " (stb_image)";
        return check;
    }
    check.width = width;
    check.height = height;
    check.channels = channels;
    return check;
}

} // namespace ft
