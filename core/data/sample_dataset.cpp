// sample_dataset.cpp: template-composed product reviews for the sample project.
#include "data/sample_dataset.h"

#include "common/error.h"
#include "data/dataset_import.h"
#include "data/sample_images.h"
#include "store/project.h"

#include <nlohmann/json.hpp>

#include <array>
#include <cctype>
#include <fstream>
#include <random>
#include <set>
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

namespace {

// Every lowercase word and punctuation mark the templates can produce, so the
// sample's vocabulary covers its data with no [UNK].
std::set<std::string> sampleWords()
{
    std::set<std::string> words;
    const auto add = [&words](std::string_view phrase) {
        std::string word;
        for (const char c : phrase) {
            if (std::isalnum(static_cast<unsigned char>(c))) {
                word += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                continue;
            }
            if (!word.empty())
                words.insert(word);
            word.clear();
            if (c != ' ')
                words.insert(std::string(1, c));
        }
        if (!word.empty())
            words.insert(word);
    };
    const auto addAll = [&add](const auto &phrases) {
        for (const char *phrase : phrases)
            add(phrase);
    };
    addAll(kProducts);
    addAll(kOpenings);
    addAll(kAdverbs);
    addAll(kPositive);
    addAll(kNegative);
    addAll(kNeutral);
    addAll(kPositiveTails);
    addAll(kNegativeTails);
    addAll(kNeutralTails);
    return words;
}

void writeText(const std::filesystem::path &file, const std::string &text)
{
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out)
        throw Error(ErrorKind::Io, "cannot write " + file.string());
}

} // namespace

void writeSampleScratchModel(const std::filesystem::path &folder)
{
    std::filesystem::create_directories(folder);
    // Single letters and their continuations too, so an unseen word still tokenises.
    std::set<std::string> tokens = sampleWords();
    for (char c = 'a'; c <= 'z'; ++c) {
        tokens.insert(std::string(1, c));
        tokens.insert("##" + std::string(1, c));
    }
    std::string vocab = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n";
    for (const std::string &token : tokens)
        vocab += token + "\n";
    const auto size = static_cast<std::int64_t>(tokens.size() + 5);
    writeText(folder / "vocab.txt", vocab);
    writeText(folder / "tokenizer_config.json", R"({"do_lower_case": true, "model_max_length": 64})" "\n");
    const nlohmann::ordered_json config = {
        {"architectures", {"BertForSequenceClassification"}},
        {"model_type", "bert"},
        {"vocab_size", size},
        {"hidden_size", 64},
        {"num_hidden_layers", 2},
        {"num_attention_heads", 4},
        {"intermediate_size", 128},
        {"hidden_act", "gelu"},
        {"hidden_dropout_prob", 0.1},
        {"attention_probs_dropout_prob", 0.1},
        {"max_position_embeddings", 64},
        {"type_vocab_size", 2},
        {"initializer_range", 0.02},
        {"layer_norm_eps", 1e-12},
        {"pad_token_id", 0},
    };
    writeText(folder / "config.json", config.dump(2) + "\n");
    const nlohmann::ordered_json run = {
        {"num_train_epochs", 4},
        {"learning_rate", 1e-3},
        {"per_device_train_batch_size", 16},
        {"warmup_ratio", 0.1},
        {"weight_decay", 0.01},
        {"max_length", 48},
        {"logging_steps", 5},
    };
    writeText(folder / "run.json", run.dump(2) + "\n");
}

bool ensureSampleProject(const std::filesystem::path &folder)
{
    const auto writeModels = [&folder] {
        if (!std::filesystem::exists(folder / "scratch-model" / "config.json"))
            writeSampleScratchModel(folder / "scratch-model");
        if (!std::filesystem::exists(folder / "scratch-cnn" / "config.json"))
            writeSampleScratchResNet(folder / "scratch-cnn");
        if (!std::filesystem::exists(folder / "scratch-vit" / "config.json"))
            writeSampleScratchVit(folder / "scratch-vit");
    };
    if (Project::looksLikeProject(folder)) {
        Project::open(folder); // validates it; throws if it is damaged or too new
        writeModels();
        return false;
    }
    Project project = Project::create(folder);
    const auto dataset = createDataset(project, "product-reviews", "generated sample (seed 2024)");
    const auto rows = generateSampleReviews(1200, 2024);
    addExamples(project, dataset, rows);
    // The pictures live in the project, so the project can be copied or moved whole.
    writeSampleShapes(folder / "sample-images", 200, 2024);
    ImportOptions images;
    images.file = folder / "sample-images";
    images.datasetName = "shapes";
    const ImportResult imported = importDataset(project, images);
    if (imported.errorCount > 0)
        throw Error(ErrorKind::Internal, "the sample's pictures did not import: " + imported.errors.front().describe());
    writeModels();
    return true;
}

} // namespace ft
