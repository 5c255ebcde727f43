// sample_images.cpp: shapes rasterised with a little anti-aliasing, written
// with stb_image_write (Debian's libstb carries it).
#include "data/sample_images.h"

#include "common/error.h"

#include <nlohmann/json.hpp>
#include <stb_image_write.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace ft {

namespace {

constexpr int kSize = 32;
constexpr std::array<const char *, 3> kShapes = {"circle", "square", "triangle"};

// How much of pixel (x, y) the shape covers, 0..1, from 4 x 4 samples.
template <typename Inside>
float coverage(int x, int y, Inside inside)
{
    int hits = 0;
    for (int sy = 0; sy < 4; ++sy)
        for (int sx = 0; sx < 4; ++sx)
            hits += inside(x + (sx + 0.5) / 4.0, y + (sy + 0.5) / 4.0) ? 1 : 0;
    return float(hits) / 16.0f;
}

std::vector<unsigned char> drawShape(int shape, std::mt19937 &random)
{
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    const double radius = 6.0 + 8.0 * unit(random); // half the shape's size
    const double cx = radius + 2 + (kSize - 4 - 2 * radius) * unit(random);
    const double cy = radius + 2 + (kSize - 4 - 2 * radius) * unit(random);
    // Upright, turned by at most 15 degrees: the class shows in the outline, not the orientation.
    const double angle = -M_PI / 2.0 + (unit(random) - 0.5) * M_PI / 6.0;
    std::array<double, 3> background, foreground;
    for (int c = 0; c < 3; ++c)
        background[c] = 40 + 170 * unit(random);
    do { // a colour that stands out from the background
        for (int c = 0; c < 3; ++c)
            foreground[c] = 255 * unit(random);
    } while (std::abs(foreground[0] - background[0]) + std::abs(foreground[1] - background[1])
                 + std::abs(foreground[2] - background[2])
             < 150);

    const auto inside = [&](double px, double py) {
        const double dx = px - cx, dy = py - cy;
        const double u = dx * std::cos(angle) + dy * std::sin(angle);
        const double v = -dx * std::sin(angle) + dy * std::cos(angle);
        switch (shape) {
        case 0:
            return u * u + v * v <= radius * radius;
        case 1:
            return std::abs(u) <= radius * 0.8 && std::abs(v) <= radius * 0.8;
        default: { // equilateral, pointing along u
            const double r = radius;
            for (int k = 0; k < 3; ++k) {
                const double a = k * 2.0 * M_PI / 3.0;
                if (u * std::cos(a) + v * std::sin(a) < -r / 2.0)
                    return false;
            }
            return true;
        }
        }
    };
    std::normal_distribution<double> noise(0.0, 4.0);
    std::vector<unsigned char> pixels(std::size_t(kSize) * kSize * 3);
    for (int y = 0; y < kSize; ++y)
        for (int x = 0; x < kSize; ++x) {
            const float cover = coverage(x, y, inside);
            for (int c = 0; c < 3; ++c) {
                const double value = background[c] * (1 - cover) + foreground[c] * cover + noise(random);
                pixels[(std::size_t(y) * kSize + x) * 3 + c] = static_cast<unsigned char>(std::clamp(value, 0.0, 255.0));
            }
        }
    return pixels;
}

void writeJson(const fs::path &file, const nlohmann::ordered_json &json)
{
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out << json.dump(2) << "\n";
    if (!out)
        throw Error(ErrorKind::Io, "cannot write " + file.string());
}

void writeInputAndRun(const fs::path &folder, int epochs, double learningRate)
{
    writeJson(folder / "preprocessor_config.json",
              {{"image_processor_type", "ViTImageProcessor"},
               {"do_resize", true},
               {"size", {{"height", kSize}, {"width", kSize}}},
               {"resample", 2},
               {"do_rescale", true},
               {"rescale_factor", 1.0 / 255.0},
               {"do_normalize", true},
               {"image_mean", {0.5, 0.5, 0.5}},
               {"image_std", {0.5, 0.5, 0.5}}});
    // No random crops: a crop can cut the shape that is the label.
    writeJson(folder / "run.json", {{"num_train_epochs", epochs},
                                    {"learning_rate", learningRate},
                                    {"per_device_train_batch_size", 32},
                                    {"warmup_ratio", 0.1},
                                    {"weight_decay", 0.01},
                                    {"logging_steps", 5},
                                    {"image_random_resized_crop", false},
                                    {"image_horizontal_flip", true}});
}

} // namespace

void writeSampleShapes(const fs::path &folder, int perClass, std::uint32_t seed)
{
    std::mt19937 random(seed);
    for (std::size_t shape = 0; shape < kShapes.size(); ++shape)
        for (int i = 0; i < perClass; ++i) {
            const char *split = i < perClass * 70 / 100 ? "train" : i < perClass * 85 / 100 ? "val" : "test";
            const fs::path file = folder / split / kShapes[shape] / (std::to_string(i) + ".png");
            std::error_code error;
            fs::create_directories(file.parent_path(), error);
            const std::vector<unsigned char> pixels = drawShape(int(shape), random);
            if (error || !stbi_write_png(file.c_str(), kSize, kSize, 3, pixels.data(), kSize * 3))
                throw Error(ErrorKind::Io, "cannot write " + file.string());
        }
}

void writeSampleScratchResNet(const fs::path &folder)
{
    fs::create_directories(folder);
    writeJson(folder / "config.json", {{"architectures", {"ResNetForImageClassification"}},
                                       {"model_type", "resnet"},
                                       {"num_channels", 3},
                                       {"embedding_size", 16},
                                       {"hidden_sizes", {16, 32, 64}},
                                       {"depths", {1, 1, 1}},
                                       {"layer_type", "basic"},
                                       {"hidden_act", "relu"}});
    writeInputAndRun(folder, 20, 2e-3);
}

void writeSampleScratchVit(const fs::path &folder)
{
    fs::create_directories(folder);
    writeJson(folder / "config.json", {{"architectures", {"ViTForImageClassification"}},
                                       {"model_type", "vit"},
                                       {"image_size", kSize},
                                       {"patch_size", 4},
                                       {"num_channels", 3},
                                       {"hidden_size", 64},
                                       {"num_hidden_layers", 4},
                                       {"num_attention_heads", 4},
                                       {"intermediate_size", 128},
                                       {"hidden_act", "gelu"},
                                       {"hidden_dropout_prob", 0.0},
                                       {"attention_probs_dropout_prob", 0.0},
                                       {"qkv_bias", true}});
    writeInputAndRun(folder, 40, 1e-3);
}

} // namespace ft
