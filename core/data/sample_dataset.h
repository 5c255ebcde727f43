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

// Creates the sample project in `folder`, or leaves an existing project there
// untouched. Returns true when it created one.
bool ensureSampleProject(const std::filesystem::path &folder);

} // namespace ft
