// sample_dataset.cpp: template-composed product reviews for the sample project.
#include "data/sample_dataset.h"

#include "store/project.h"

#include <array>
#include <random>
#include <string_view>

namespace ft {

namespace {

constexpr std::array kProducts = {"pair of headphones", "coffee maker", "keyboard", "backpack", "phone case", "desk lamp",
                                  "blender", "pair of running shoes", "tent", "monitor", "kettle", "office chair",
                                  "e-reader", "water bottle", "vacuum cleaner", "jacket"};
constexpr std::array kPositive = {"works perfectly", "is excellent", "exceeded my expectations", "is worth every penny",
                                  "feels really well made", "is a joy to use", "arrived early and works great",
                                  "is the best I have owned", "does exactly what it promises"};
constexpr std::array kNegative = {"stopped working after a week", "is a waste of money", "feels cheap and flimsy",
                                  "broke on the first day", "is a huge disappointment", "arrived damaged",
                                  "never worked properly", "is far worse than advertised", "fell apart quickly"};
constexpr std::array kNeutral = {"is okay for the price", "does the job, nothing more", "is average",
                                 "works as described", "is fine but unremarkable", "is neither good nor bad",
                                 "is what you would expect", "is acceptable"};
constexpr std::array kPositiveTails = {"Highly recommended.", "I would buy it again.", "Five stars.",
                                       "My whole family loves it.", "Great value.", ""};
constexpr std::array kNegativeTails = {"Avoid it.", "I returned it.", "Customer service was no help.",
                                       "One star.", "Do not buy.", ""};
constexpr std::array kNeutralTails = {"It is fine.", "Three stars.", "No complaints, no praise.",
                                      "Maybe there are better options.", ""};
constexpr std::array kOpenings = {"The", "This", "My new", "Our", "The cheap", "The expensive"};
constexpr std::array kAdverbs = {"", "honestly ", "really ", "mostly ", "definitely "};

// A portable uniform pick: std::uniform_int_distribution's output differs
// between standard libraries, and the sample must be the same everywhere.
template <typename Array>
std::string_view pick(std::mt19937 &rng, const Array &options)
{
    return options[rng() % options.size()];
}

} // namespace

std::vector<Example> generateSampleReviews(int count, std::uint32_t seed)
{
    std::mt19937 rng(seed);
    std::vector<Example> rows;
    rows.reserve(static_cast<size_t>(count));
    for (int i = 0; i < count; ++i) {
        const int sentiment = static_cast<int>(rng() % 3);
        std::string text = std::string(pick(rng, kOpenings)) + " " + std::string(pick(rng, kProducts)) + " "
                           + std::string(pick(rng, kAdverbs));
        std::string_view tail;
        switch (sentiment) {
        case 0:
            text += pick(rng, kNegative);
            tail = pick(rng, kNegativeTails);
            break;
        case 1:
            text += pick(rng, kNeutral);
            tail = pick(rng, kNeutralTails);
            break;
        default:
            text += pick(rng, kPositive);
            tail = pick(rng, kPositiveTails);
            break;
        }
        text += '.';
        if (!tail.empty())
            text += " " + std::string(tail);

        Example row;
        row.text = std::move(text);
        row.label = sentiment == 0 ? "negative" : sentiment == 1 ? "neutral" : "positive";
        const auto bucket = rng() % 10;
        row.split = bucket < 8 ? "train" : bucket == 8 ? "validation" : "test";
        row.sourceFile = "generated";
        row.sourceLine = i + 1;
        rows.push_back(std::move(row));
    }
    return rows;
}

bool ensureSampleProject(const std::filesystem::path &folder)
{
    if (Project::looksLikeProject(folder)) {
        Project::open(folder); // validates it; throws if it is damaged or too new
        return false;
    }
    Project project = Project::create(folder);
    const auto dataset = createDataset(project, "product-reviews", "generated sample (seed 2024)");
    const auto rows = generateSampleReviews(1200, 2024);
    addExamples(project, dataset, rows);
    return true;
}

} // namespace ft
