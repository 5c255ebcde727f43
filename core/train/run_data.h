// run_data.h: the train, validation and test splits of a run as
// SplitBatches for its model's input kind: text tokenised once (from the
// project's tokenized cache when it can), images through the image pipeline
// with the run's augmentations on the train split.
#pragma once

#include "train/split_batches.h"

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace ft {

class Classifier;
class Project;
struct RunConfig;

struct RunData {
    std::unique_ptr<SplitBatches> train, validation, test;
    std::int64_t padId = 0;
    bool fromCache = false; // text: tokenised earlier
};

// `labels` are the dataset's (datasetLabels); `tokenizerFolder` holds the
// text model's tokenizer files. Throws ft::Error when the dataset's kind
// (text or images) is not the model's, naming an example at fault, or when
// the train split has no labelled example.
RunData prepareRunData(Project &project, std::int64_t datasetId, const std::string &datasetName,
                       const std::vector<std::string> &labels, const Classifier &model,
                       const std::filesystem::path &tokenizerFolder, const RunConfig &config);

struct ImageFiles {
    std::vector<std::filesystem::path> files;
    std::vector<std::int64_t> labels; // ids in the `labels` given
    std::int64_t skipped = 0;         // labelled with a class not among them
};

// The labelled images of an image dataset by split (train, validation, test),
// the files resolved against the dataset's folder. Throws ft::Error
// (Incompatible) for a text example, naming it.
std::map<std::string, ImageFiles> imageFilesBySplit(Project &project, std::int64_t datasetId,
                                                    const std::string &datasetName,
                                                    const std::vector<std::string> &labels);

} // namespace ft
