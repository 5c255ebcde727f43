// splits.cpp: split names, stratified assignment and re-splitting a dataset.
#include "data/splits.h"

#include "common/error.h"
#include "common/seeded_random.h"
#include "store/datasets.h"
#include "store/project.h"
#include "store/sqlite.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace ft {

const char *splitName(Split split)
{
    switch (split) {
    case Split::Train: return "train";
    case Split::Validation: return "validation";
    case Split::Test: return "test";
    case Split::Unassigned: return "unassigned";
    }
    return "unassigned";
}

std::optional<Split> parseSplit(std::string_view value)
{
    const auto first = value.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos)
        return std::nullopt;
    value = value.substr(first, value.find_last_not_of(" \t\r\n") - first + 1);
    std::string lower(value);
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    if (lower == "train" || lower == "training")
        return Split::Train;
    if (lower == "validation" || lower == "valid" || lower == "val" || lower == "dev" || lower == "eval")
        return Split::Validation;
    if (lower == "test" || lower == "testing")
        return Split::Test;
    if (lower == "unassigned")
        return Split::Unassigned;
    return std::nullopt;
}

void SplitCounts::add(Split split)
{
    switch (split) {
    case Split::Train: ++train; break;
    case Split::Validation: ++validation; break;
    case Split::Test: ++test; break;
    case Split::Unassigned: ++unassigned; break;
    }
}

SplitRatios normalised(const SplitRatios &ratios)
{
    const double parts[] = {ratios.train, ratios.validation, ratios.test};
    for (const double part : parts) {
        if (!std::isfinite(part) || part < 0)
            throw Error(ErrorKind::InvalidInput, "split ratios must be finite and not negative");
    }
    const double sum = ratios.train + ratios.validation + ratios.test;
    if (sum <= 0)
        throw Error(ErrorKind::InvalidInput, "split ratios must not all be zero");
    return {ratios.train / sum, ratios.validation / sum, ratios.test / sum};
}

namespace {

// splitSizes, with ties between equal remainders going to the split that is
// furthest behind its share so far (`behind`, in rows); stratifiedSplit uses
// it so that many small labels do not all round the same way.
std::array<std::int64_t, 3> sizesFor(std::int64_t n, const SplitRatios &r, const std::array<double, 3> &behind)
{
    const double exact[] = {static_cast<double>(n) * r.train, static_cast<double>(n) * r.validation,
                            static_cast<double>(n) * r.test};
    std::array<std::int64_t, 3> sizes{};
    std::int64_t assigned = 0;
    for (int i = 0; i < 3; ++i) {
        sizes[i] = static_cast<std::int64_t>(std::floor(exact[i]));
        assigned += sizes[i];
    }
    // The leftover rows (at most two) go to the largest remainders.
    std::array<int, 3> order{0, 1, 2};
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
        const double ra = exact[a] - static_cast<double>(sizes[a]);
        const double rb = exact[b] - static_cast<double>(sizes[b]);
        if (std::abs(ra - rb) > 1e-9)
            return ra > rb;
        return behind[a] > behind[b];
    });
    for (int k = 0; assigned < n; ++k, ++assigned)
        ++sizes[order[k % 3]];
    return sizes;
}

} // namespace

std::array<std::int64_t, 3> splitSizes(std::int64_t n, const SplitRatios &ratios)
{
    return sizesFor(n, normalised(ratios), {});
}

std::vector<Split> stratifiedSplit(std::span<const std::int64_t> labels, const SplitRatios &ratios, std::uint64_t seed)
{
    const SplitRatios r = normalised(ratios);
    std::map<std::int64_t, std::vector<std::size_t>> byLabel;
    std::vector<Split> splits(labels.size(), Split::Unassigned);
    for (std::size_t i = 0; i < labels.size(); ++i) {
        if (labels[i] >= 0)
            byLabel[labels[i]].push_back(i);
    }
    std::mt19937_64 rng(seed);
    std::array<double, 3> behind{}; // exact share minus rows given, over the labels so far
    const double shares[] = {r.train, r.validation, r.test};
    for (auto &[label, items] : byLabel) {
        seededShuffle(std::span<std::size_t>(items), rng);
        const auto sizes = sizesFor(static_cast<std::int64_t>(items.size()), r, behind);
        std::size_t k = 0;
        for (std::size_t part = 0; part < 3; ++part) {
            behind[part] += static_cast<double>(items.size()) * shares[part] - static_cast<double>(sizes[part]);
            for (std::int64_t j = 0; j < sizes[part]; ++j)
                splits[items[k++]] = static_cast<Split>(part);
        }
    }
    return splits;
}

SplitCounts reSplit(Project &project, std::int64_t datasetId, const SplitRatios &ratios, std::uint64_t seed)
{
    const SplitRatios r = normalised(ratios);
    std::vector<std::int64_t> ids;
    std::vector<std::int64_t> labels;
    std::vector<std::optional<Split>> current;
    const auto collect = [&](std::int64_t id, std::optional<std::int64_t> label, std::string_view split) {
        ids.push_back(id);
        labels.push_back(label.value_or(-1));
        current.push_back(parseSplit(split));
    };
    forEachExampleSplit(project, datasetId, collect);

    const std::vector<Split> splits = stratifiedSplit(labels, r, seed);
    std::array<std::vector<std::int64_t>, 4> moves;
    SplitCounts counts;
    for (std::size_t i = 0; i < ids.size(); ++i) {
        counts.add(splits[i]);
        if (current[i] != splits[i])
            moves[static_cast<std::size_t>(splits[i])].push_back(ids[i]);
    }
    sql::Transaction transaction(project.database());
    for (std::size_t split = 0; split < moves.size(); ++split)
        setSplit(project, moves[split], splitName(static_cast<Split>(split)));
    transaction.commit();
    return counts;
}

} // namespace ft
