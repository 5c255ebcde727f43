// distilbert_classifier.cpp
#include "models/distilbert_classifier.h"

#include "common/error.h"
#include "models/atomic_file.h"
#include "models/checkpoint.h"
#include "models/module_state.h"
#include "models/safetensors.h"

#include <ATen/ATen.h>

#include <algorithm>

namespace fs = std::filesystem;

namespace ft {

namespace {

bool startsWith(const std::string &text, const char *prefix)
{
    return text.rfind(prefix, 0) == 0;
}

bool isHead(const std::string &name)
{
    return startsWith(name, "pre_classifier.") || startsWith(name, "classifier.");
}

} // namespace

DistilBertClassifier::DistilBertClassifier(DistilBertForSequenceClassification model) : mModel(std::move(model)) {}

std::vector<std::string> DistilBertClassifier::labels() const
{
    return mModel->config().id2label;
}

nlohmann::json DistilBertClassifier::configJson() const
{
    nlohmann::json config = mModel->config().toJson();
    config["architectures"] = {architecture()};
    return config;
}

torch::nn::Module &DistilBertClassifier::module()
{
    return *mModel;
}

at::Tensor DistilBertClassifier::logits(const TensorBatch &batch)
{
    if (!batch.inputIds.defined())
        throw Error(ErrorKind::Incompatible, "DistilBertForSequenceClassification classifies text, not images");
    return mModel->forward(batch.inputIds, batch.attentionMask).logits;
}

TensorMap DistilBertClassifier::state() const
{
    return moduleState(*mModel);
}

void DistilBertClassifier::loadState(const TensorMap &tensors, const std::string &source)
{
    const std::vector<std::string> unused = loadModuleState(*mModel, tensors, source);
    if (!unused.empty())
        throw Error(ErrorKind::Incompatible, source + ": tensor " + unused.front()
                                                 + " is not part of this DistilBertForSequenceClassification "
                                                   "(LoRA on a model without it?)");
}

void DistilBertClassifier::save(const fs::path &folder) const
{
    fs::create_directories(folder);
    nlohmann::json config = configJson();
    config["torch_dtype"] = "float32";
    saveSafetensors(folder / "model.safetensors", moduleState(*mModel));
    writeFileAtomically(folder / "config.json", config.dump(2) + "\n");
}

void DistilBertClassifier::freeze(std::int64_t layers)
{
    freezeLowerLayers(*mModel, "distilbert.embeddings.", "distilbert.transformer.layer.", layers);
}

LoadedDistilBert loadDistilBert(const fs::path &folder, const ClassifierOptions &options)
{
    const fs::path configFile = folder / "config.json";
    BertConfig config = loadBertConfig(configFile);
    if (!config.isDistilBert())
        throw Error(ErrorKind::Incompatible, configFile.string() + ": model_type \"" + config.modelType
                                                 + "\" is not distilbert");
    if (!options.labels.empty())
        config.setLabels(options.labels);
    LoadedDistilBert loaded;
    loaded.model = DistilBertForSequenceClassification(config);
    loaded.model->initWeights(options.seed);

    CheckpointTensors weights = readCheckpointTensors(folder);
    for (const fs::path &file : weights.files)
        loaded.report.files.push_back(file.string());
    TensorMap named;
    for (auto &[name, tensor] : weights.tensors) {
        if (startsWith(name, "distilbert.") || isHead(name))
            named[name] = std::move(tensor);
        else if (startsWith(name, "embeddings.") || startsWith(name, "transformer.")) // DistilBertModel's keys
            named["distilbert." + name] = std::move(tensor);
        else
            loaded.report.unexpected.push_back(name); // vocab_transform, vocab_projector, qa_outputs, ...
    }
    // A head the checkpoint lacks, or one for another number of classes,
    // starts afresh (transformers' ignore_mismatched_sizes).
    for (const auto &item : loaded.model->named_parameters()) {
        if (!isHead(item.key()))
            continue;
        const auto found = named.find(item.key());
        if (found != named.end() && found->second.sizes() == item.value().sizes())
            continue;
        if (found == named.end())
            loaded.report.missing.push_back(item.key());
        else
            loaded.report.shapeMismatches.push_back(item.key() + ": checkpoint " + shapeText(found->second.sizes())
                                                    + ", model " + shapeText(item.value().sizes()));
        named[item.key()] = item.value().detach().clone();
        loaded.report.initialized.push_back(item.key());
    }
    for (const std::string &unused : loadModuleState(*loaded.model, named, weights.source))
        loaded.report.unexpected.push_back(unused);
    for (const auto &item : loaded.model->named_parameters())
        if (std::find(loaded.report.initialized.begin(), loaded.report.initialized.end(), item.key())
            == loaded.report.initialized.end())
            loaded.report.loaded.push_back(item.key());
    loaded.model->to(options.device);
    loaded.model->eval();
    return loaded;
}

} // namespace ft
