// sample_images.h: the sample project's image data, drawn here rather than
// copied from anywhere: small PNG pictures of circles, squares and triangles
// of random size, place and colour, upright or nearly, on noisy backgrounds,
// in class folders under train/, val/ and test/; and small scratch image
// classifiers (a ResNet and a ViT) that train on them in seconds on a CPU.
#pragma once

#include <cstdint>
#include <filesystem>

namespace ft {

// `perClass` pictures of each shape (70 % train, 15 % val, 15 % test),
// 32 x 32 pixels, deterministic for a seed. Throws ft::Error (Io) naming a
// file that cannot be written.
void writeSampleShapes(const std::filesystem::path &folder, int perClass, std::uint32_t seed);

// config.json (model_type `resnet` or `vit`), preprocessor_config.json (32 x 32
// inputs) and run.json in `folder`: train with
// --model scratch:<folder>/config.json --config <folder>/run.json.
void writeSampleScratchResNet(const std::filesystem::path &folder);
void writeSampleScratchVit(const std::filesystem::path &folder);

} // namespace ft
