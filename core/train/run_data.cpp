// run_data.cpp
#include "train/run_data.h"

#include "common/error.h"
#include "models/classifier.h"
#include "models/model_family.h"
#include "store/datasets.h"
#include "text/tokenizer.h"
#include "train/image_split_batches.h"
#include "train/run_config.h"
#include "train/run_inputs.h"
#include "train/token_batches.h"

#include <algorithm>
#include <limits>
#include <map>
#include <thread>
#include <unordered_map>

namespace fs = std::filesystem;

namespace ft {

namespace {

RunData textData(Project &project, std::int64_t datasetId, const std::string &datasetName,
                 const fs::path &tokenizerFolder, const Classifier &model, const RunConfig &config)
{
    const Tokenizer tokenizer = withModelPadding(Tokenizer::fromFolder(tokenizerFolder), model.configJson());
    PreparedData prepared = prepareData(project, datasetId, datasetName, tokenizer, tokenizerFolder, config.maxLength);
    const std::int64_t padTo = config.padding == Padding::MaxLength ? config.maxLength : 0;
    RunData data;
    data.padId = tokenizer.padId();
    data.fromCache = prepared.fromCache;
    data.train = std::make_unique<TokenBatches>(std::move(prepared.train), data.padId, padTo);
    data.validation = std::make_unique<TokenBatches>(std::move(prepared.validation), data.padId, padTo);
    data.test = std::make_unique<TokenBatches>(std::move(prepared.test), data.padId, padTo);
    return data;
}

RunData imageData(Project &project, std::int64_t datasetId, const std::string &datasetName,
                  const std::vector<std::string> &labels, const ImageProcessorConfig &processor,
                  const RunConfig &config)
{
    std::map<std::string, ImageFiles> splits = imageFilesBySplit(project, datasetId, datasetName, labels);
    if (splits["train"].files.empty())
        throw Error(ErrorKind::InvalidInput, "dataset '" + datasetName + "' has no labelled images in its train split");

    // The pipeline takes the cores the computation leaves (at least one, at most four).
    const int hardware = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    const int threads = std::clamp(hardware - resolvedThreads(config, unsigned(hardware)), 1, 4);
    const auto make = [&](const std::string &name, bool training) {
        ImageSplitOptions options;
        options.processor = processor;
        options.seed = static_cast<std::uint64_t>(config.seed);
        options.threads = threads;
        if (training) {
            AugmentOptions augment;
            augment.randomResizedCrop = config.imageRandomResizedCrop;
            augment.horizontalFlip = config.imageHorizontalFlip;
            augment.colourJitter = config.imageColorJitter;
            augment.resample = processor.resample;
            options.augment = augment;
        } else {
            options.cacheBytes = 512ull << 20;
        }
        ImageFiles &split = splits[name];
        return std::make_unique<ImageSplitBatches>(std::move(split.files), std::move(split.labels), options);
    };
    RunData data;
    data.train = make("train", true);
    data.validation = make("validation", false);
    data.test = make("test", false);
    return data;
}

} // namespace

std::map<std::string, ImageFiles> imageFilesBySplit(Project &project, std::int64_t datasetId,
                                                    const std::string &datasetName,
                                                    const std::vector<std::string> &labels)
{
    std::unordered_map<std::string, std::int64_t> labelIds;
    for (const std::string &label : labels)
        labelIds.emplace(label, static_cast<std::int64_t>(labelIds.size()));
    const fs::path folder = datasetImageFolder(project, datasetId);
    std::map<std::string, ImageFiles> splits;
    for (const Example &example : examples(project, datasetId, 0, std::numeric_limits<std::int64_t>::max())) {
        if (!example.label || (example.split != "train" && example.split != "validation" && example.split != "test"))
            continue;
        if (!example.imagePath)
            throw Error(ErrorKind::Incompatible, "dataset '" + datasetName + "' holds text (example "
                                                     + std::to_string(example.id) + "), and the model classifies images");
        ImageFiles &split = splits[example.split];
        const auto label = labelIds.find(*example.label);
        if (label == labelIds.end()) {
            ++split.skipped;
            continue;
        }
        split.files.push_back(folder / *example.imagePath);
        split.labels.push_back(label->second);
    }
    return splits;
}

RunData prepareRunData(Project &project, std::int64_t datasetId, const std::string &datasetName,
                       const std::vector<std::string> &labels, const Classifier &model,
                       const fs::path &tokenizerFolder, const RunConfig &config)
{
    if (const ImageProcessorConfig *processor = model.imageProcessor())
        return imageData(project, datasetId, datasetName, labels, *processor, config);
    const std::vector<Example> first = examples(project, datasetId, 0, 1);
    if (!first.empty() && first.front().imagePath)
        throw Error(ErrorKind::Incompatible, "dataset '" + datasetName + "' holds images, and "
                                                 + model.architecture() + " classifies text");
    return textData(project, datasetId, datasetName, tokenizerFolder, model, config);
}

} // namespace ft
