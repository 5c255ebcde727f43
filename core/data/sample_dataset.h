// sample_dataset.h: the sample project's data, generated here rather than
// copied from anywhere: short product reviews labelled negative, neutral or
// positive, composed from phrase templates with a fixed seed.
#pragma once

#include "store/datasets.h"

#include <cstdint>
#include <filesystem>
#include <vector>

namespace ft {

class Project;

// `count` reviews, deterministic for a given seed on every platform; about
// 80 % train, 10 % validation, 10 % test.
std::vector<Example> generateSampleReviews(int count, std::uint32_t seed);

// A small randomly initialised BERT for the sample: config.json, a vocab.txt
// covering every word the generator writes, tokenizer_config.json, and a
// run.json that trains it in about a minute on a laptop CPU. Train it with
// --model scratch:<folder>/config.json --config <folder>/run.json.
void writeSampleScratchModel(const std::filesystem::path &folder);

// Creates the sample project in `folder`: the reviews as dataset
// "product-reviews", the shapes pictures (data/sample_images.h, in
// sample-images/) as dataset "shapes", and the scratch models scratch-model
// (BERT), scratch-cnn (ResNet) and scratch-vit. An existing project there is
// left untouched but for the scratch models it lacks. Returns true when it
// created the project.
bool ensureSampleProject(const std::filesystem::path &folder);

} // namespace ft
