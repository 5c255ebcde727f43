// seeded_random.h: random choices that are the same on every platform for a
// given seed. std::uniform_int_distribution and std::shuffle are free to differ
// between standard libraries; std::mt19937_64's output is fixed by the
// standard, so everything here derives from it alone.
#pragma once

#include <cstdint>
#include <random>
#include <span>
#include <utility>

namespace ft {

// Uniform in [0, bound) by rejection, so no value is favoured (bound > 0).
inline std::uint64_t uniformBelow(std::mt19937_64 &rng, std::uint64_t bound)
{
    // Values below `threshold` would make the low residues more likely.
    const std::uint64_t threshold = (0 - bound) % bound;
    std::uint64_t x = rng();
    while (x < threshold)
        x = rng();
    return x % bound;
}

// Fisher-Yates, from the back, as Python's random.shuffle.
template <typename T>
void seededShuffle(std::span<T> items, std::mt19937_64 &rng)
{
    for (std::size_t i = items.size(); i > 1; --i) {
        const auto j = static_cast<std::size_t>(uniformBelow(rng, i));
        std::swap(items[i - 1], items[j]);
    }
}

} // namespace ft
