// run_inputs.cpp
#include "train/run_inputs.h"

#include "common/error.h"
#include "store/catalog.h"
#include "store/datasets.h"
#include "store/project.h"
#include "hub/sha256.h"
#include "train/tokenized_cache.h"

#include <limits>
#include <unordered_map>

namespace fs = std::filesystem;

namespace ft {

ModelSource parseModelSource(const std::string &model)
{
    ModelSource source;
    if (model.rfind(kScratchModelPrefix, 0) == 0) {
        source.scratch = true;
        source.configFile = model.substr(std::string(kScratchModelPrefix).size());
        source.folder = source.configFile.parent_path().empty() ? fs::path(".") : source.configFile.parent_path();
        if (!fs::is_regular_file(source.configFile))
            throw Error(ErrorKind::NotFound, source.configFile.string() + " does not exist (scratch model config)");
    } else {
        source.folder = model;
        if (!fs::is_directory(source.folder))
            throw Error(ErrorKind::NotFound, model + " is not a model folder");
    }
    return source;
}

PreparedData prepareData(Project &project, std::int64_t datasetId, const std::string &datasetName,
                         const Tokenizer &tokenizer, const fs::path &tokenizerFolder, std::int64_t maxLength)
{
    PreparedData data;
    std::unordered_map<std::string, std::int64_t> labelIds;
    Sha256 key;
    key.update("tokenized v1\x1e" + std::to_string(maxLength) + "\x1e");
    hashTokenizerFiles(key, tokenizerFolder);
    data.labels = datasetLabels(project, datasetId, datasetName);
    for (const std::string &label : data.labels) {
        labelIds.emplace(label, static_cast<std::int64_t>(labelIds.size()));
        key.update(label);
        key.update("\x1f");
    }
    std::vector<Example> train, validation, test;
    key.update("\x1e");
    for (Example &example : examples(project, datasetId, 0, std::numeric_limits<std::int64_t>::max())) {
        std::vector<Example> *split = example.split == "train"        ? &train
                                      : example.split == "validation" ? &validation
                                      : example.split == "test"       ? &test
                                                                      : nullptr;
        if (!split)
            continue;
        const auto field = [&key](std::string_view value) {
            key.update(value);
            key.update("\x1f");
        };
        field(example.split);
        field(example.text);
        field(example.textB ? "p" + *example.textB : "-");
        field(example.label ? "l" + *example.label : "-");
        split->push_back(std::move(example));
    }

    const TokenizedCache cache(project.folder() / "cache" / "tokenized");
    const std::string cacheKey = key.finish();
    if (auto cached = cache.load(cacheKey)) {
        data.train = std::move(cached->train);
        data.validation = std::move(cached->validation);
        data.test = std::move(cached->test);
        data.fromCache = true;
    } else {
        data.train = encodeSplit(tokenizer, train, labelIds, maxLength);
        data.validation = encodeSplit(tokenizer, validation, labelIds, maxLength);
        data.test = encodeSplit(tokenizer, test, labelIds, maxLength);
        try {
            cache.store(cacheKey, {data.train, data.validation, data.test});
        } catch (const std::exception &) {
            // Only a cache: a run does not fail because it could not be written.
        }
    }
    if (data.train.size() == 0)
        throw Error(ErrorKind::InvalidInput, "dataset '" + datasetName + "' has no labelled examples in its train split");
    return data;
}

std::vector<std::string> datasetLabels(Project &project, std::int64_t datasetId, const std::string &datasetName)
{
    std::vector<std::string> labels;
    for (const LabelCount &label : labelCounts(project, datasetId))
        labels.push_back(label.name);
    if (labels.size() < 2)
        throw Error(ErrorKind::InvalidInput, "dataset '" + datasetName + "' has " + std::to_string(labels.size())
                                                 + " label(s); a classifier needs at least 2");
    return labels;
}

std::int64_t findOrAddModel(Project &project, const std::string &source, const std::string &architecture,
                            std::int64_t parameters, const std::string &configJson)
{
    for (const ModelRecord &model : listModels(project))
        if (model.path == source)
            return model.id;
    ModelRecord record;
    record.name = source.rfind(kScratchModelPrefix, 0) == 0 ? source : fs::path(source).filename().string();
    record.architecture = architecture;
    record.path = source;
    record.numParameters = parameters;
    return addModel(project, record, configJson);
}

std::string datasetNameOf(Project &project, std::int64_t datasetId)
{
    try {
        return datasetName(project, datasetId);
    } catch (const Error &e) {
        if (e.kind() != ErrorKind::NotFound)
            throw;
        throw Error(ErrorKind::NotFound, "the dataset of this run no longer exists");
    }
}

std::string modelSourceOf(Project &project, std::int64_t modelId)
{
    for (const ModelRecord &model : listModels(project))
        if (model.id == modelId)
            return model.path;
    throw Error(ErrorKind::NotFound, "the base model of this run is no longer registered");
}

void copyTokenizerFiles(const fs::path &from, const fs::path &to)
{
    for (const char *name : {"vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                             "sentencepiece.bpe.model"}) {
        std::error_code ec;
        if (!fs::is_regular_file(from / name, ec))
            continue;
        // A model folder without its vocabulary cannot be used: a full disk here fails the run.
        // Removed first: a copy made earlier keeps the source's mode, read-only for a shared model.
        fs::remove(to / name, ec);
        fs::copy_file(from / name, to / name, ec);
        if (ec)
            throw Error(ErrorKind::Io, "cannot copy " + (from / name).string() + " to " + (to / name).string() + ": "
                                           + ec.message());
    }
}

} // namespace ft
