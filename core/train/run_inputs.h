// run_inputs.h: what a run is made of, resolved from the project and the
// command line: the model source (a checkpoint folder or scratch:CONFIG.json),
// the dataset's labels and splits tokenised once, and the records a run
// points to. Shared by training, evaluation, replay and diff. Torch-free.
#pragma once

#include "train/encoded_split.h"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace ft {

class Project;
class Tokenizer;

inline constexpr const char *kScratchModelPrefix = "scratch:";

struct ModelSource {
    bool scratch = false;
    std::filesystem::path configFile; // scratch only
    std::filesystem::path folder;     // checkpoint folder, or the scratch config's folder (tokenizer files)

    // The model's config.json: the scratch config, or the folder's.
    std::filesystem::path config() const { return scratch ? configFile : folder / "config.json"; }
};

// Throws NotFound when the folder or the scratch config does not exist.
ModelSource parseModelSource(const std::string &model);

struct PreparedData {
    std::vector<std::string> labels; // the dataset's labels in order: the class ids
    EncodedSplit train;
    EncodedSplit validation;
    EncodedSplit test;
    bool fromCache = false;          // the splits came from the project's tokenized cache
};

// The dataset's labelled examples, tokenised to max_length, per split; from
// the project's tokenized cache (train/tokenized_cache.h) when the same data,
// tokenizer files (in `tokenizerFolder`) and max_length were tokenised before.
// Throws when it has fewer than two labels or no labelled train example.
PreparedData prepareData(Project &project, std::int64_t datasetId, const std::string &datasetName,
                         const Tokenizer &tokenizer, const std::filesystem::path &tokenizerFolder,
                         std::int64_t maxLength);

// The project's record of a base model (registering it on first use with
// its architecture, parameter count and config.json).
std::int64_t findOrAddModel(Project &project, const std::string &source, const std::string &architecture,
                            std::int64_t parameters, const std::string &configJson);

// The dataset's labels in order (the class ids); throws when it has fewer than two.
std::vector<std::string> datasetLabels(Project &project, std::int64_t datasetId, const std::string &datasetName);
std::string datasetNameOf(Project &project, std::int64_t datasetId);
std::string modelSourceOf(Project &project, std::int64_t modelId);

// Copies the tokenizer files, so a model folder is complete on its own.
void copyTokenizerFiles(const std::filesystem::path &from, const std::filesystem::path &to);

} // namespace ft
