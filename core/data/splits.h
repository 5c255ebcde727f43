// splits.h: train / validation / test splits. A file may name each row's
// split; otherwise rows are split at random, stratified by label, so every
// label keeps the same proportions in each split (deterministic for a seed).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ft {

class Project;

enum class Split : std::uint8_t { Train, Validation, Test, Unassigned };

const char *splitName(Split split);
// train|training, validation|valid|val|dev|eval, test|testing, unassigned;
// case and surrounding spaces are ignored. nullopt for anything else.
std::optional<Split> parseSplit(std::string_view value);

struct SplitRatios {
    double train = 0.8;
    double validation = 0.1;
    double test = 0.1;
};

struct SplitCounts {
    std::int64_t train = 0;
    std::int64_t validation = 0;
    std::int64_t test = 0;
    std::int64_t unassigned = 0;

    void add(Split split);
    std::int64_t total() const { return train + validation + test + unassigned; }
};

// The ratios scaled to sum to 1; ft::Error (InvalidInput) if one is negative,
// not finite, or all are zero.
SplitRatios normalised(const SplitRatios &ratios);

// How many of `n` rows go to train, validation and test: each within one row
// of n * ratio, summing to n (the largest remainders get the leftover rows,
// the earlier split on a tie).
std::array<std::int64_t, 3> splitSizes(std::int64_t n, const SplitRatios &ratios);

// The split of each item given its label (negative: unlabelled, which goes
// to Unassigned). Per label, in ascending label order, the items are shuffled
// with std::mt19937_64(seed) and cut by splitSizes (ties between equal
// remainders go to the split furthest behind its share so far).
std::vector<Split> stratifiedSplit(std::span<const std::int64_t> labels, const SplitRatios &ratios, std::uint64_t seed);

// Re-splits a stored dataset as stratifiedSplit does (in one transaction,
// touching only rows whose split changes) and returns the new counts.
SplitCounts reSplit(Project &project, std::int64_t datasetId, const SplitRatios &ratios, std::uint64_t seed);

} // namespace ft
