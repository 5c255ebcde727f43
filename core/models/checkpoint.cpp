// checkpoint.cpp: finding a folder's weights, mapping their names onto the
// model's as from_pretrained does, and writing a folder back.
#include "models/checkpoint.h"

#include "common/error.h"
#include "models/module_state.h"
#include "models/pickle_checkpoint.h"
#include "models/pytorch_bin.h"
#include "models/safetensors.h"

#include <ATen/Functions.h>
#include <c10/core/GradMode.h>

#include <set>
#include <sstream>

namespace ft {

namespace {

namespace fs = std::filesystem;

bool startsWith(std::string_view text, std::string_view prefix)
{
    return text.substr(0, prefix.size()) == prefix;
}

bool endsWith(std::string_view text, std::string_view suffix)
{
    return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

std::string listText(const std::vector<std::string> &names)
{
    std::string text = "'" + names.front() + "'";
    if (names.size() > 1)
        text += " (and " + std::to_string(names.size() - 1) + " more)";
    return text;
}

// Heads HF initialises when a checkpoint lacks them; anything else missing is an error.
bool isHead(std::string_view name)
{
    return startsWith(name, "classifier.") || startsWith(name, "bert.pooler.");
}

// The layer number of "bert.encoder.layer.<n>.…", or -1.
long layerIndex(std::string_view name)
{
    constexpr std::string_view prefix = "bert.encoder.layer.";
    if (!startsWith(name, prefix))
        return -1;
    try {
        return std::stol(std::string(name.substr(prefix.size())));
    } catch (const std::exception &) {
        return -1;
    }
}

// HF's key fixes: legacy TF names, base checkpoints without "bert.", pretraining
// heads and the position_ids / token_type_ids buffers dropped.
TensorMap normalizeKeys(const TensorMap &raw, const std::string &source, LoadReport &report)
{
    bool prefixed = false;
    for (const auto &[key, tensor] : raw)
        prefixed |= startsWith(key, "bert.");
    TensorMap out;
    std::map<std::string, std::string> origin;
    for (const auto &[key, tensor] : raw) {
        std::string name = key;
        if (endsWith(name, ".gamma"))
            name = name.substr(0, name.size() - 6) + ".weight";
        else if (endsWith(name, ".beta"))
            name = name.substr(0, name.size() - 5) + ".bias";
        if (!prefixed && !startsWith(name, "classifier.") && !startsWith(name, "cls."))
            name = "bert." + name;
        if (startsWith(name, "cls.")) {
            report.unexpected.push_back(key);
            continue;
        }
        if (endsWith(name, "embeddings.position_ids") || endsWith(name, "embeddings.token_type_ids")) {
            report.ignored.push_back(key);
            continue;
        }
        if (const auto other = origin.find(name); other != origin.end())
            throw Error(ErrorKind::InvalidInput, source + ": tensors '" + other->second + "' and '" + key +
                                                     "' both name '" + name + "'");
        if (name != key && (endsWith(key, ".gamma") || endsWith(key, ".beta")))
            report.renamed.push_back(key + " -> " + name);
        origin.emplace(name, key);
        out.emplace(std::move(name), tensor);
    }
    return out;
}

at::ScalarType checkModelDtype(at::ScalarType dtype)
{
    if (dtype != at::kFloat && dtype != at::kBFloat16 && dtype != at::kHalf && dtype != at::kDouble)
        throw Error(ErrorKind::InvalidInput, std::string("a model's parameters must be floating point, not ") +
                                                 c10::toString(dtype));
    return dtype;
}

std::string torchDtypeName(at::ScalarType dtype)
{
    switch (dtype) {
    case at::kBFloat16: return "bfloat16";
    case at::kHalf: return "float16";
    case at::kDouble: return "float64";
    default: return "float32";
    }
}

} // namespace

CheckpointTensors readCheckpointTensors(const fs::path &folder, WeightsFormat format, at::ScalarType floatType)
{
    CheckpointTensors result;
    const bool safetensors = format != WeightsFormat::PytorchBin;
    // Only an explicit PytorchBin reads a pickle; see WeightsFormat::Auto.
    const bool bin = format == WeightsFormat::PytorchBin;
    if (const fs::path file = folder / "model.safetensors"; safetensors && fs::exists(file)) {
        result.tensors = loadSafetensors(file, floatType);
        result.files = {file};
        result.source = file.string();
    } else if (const fs::path index = folder / "model.safetensors.index.json"; safetensors && fs::exists(index)) {
        result.tensors = loadShardedSafetensors(index, floatType, &result.files);
        result.source = index.string();
    } else if (const fs::path file = folder / "pytorch_model.bin"; bin && fs::exists(file)) {
        result.tensors = loadPytorchBin(file, floatType);
        result.files = {file};
        result.source = file.string();
    } else if (format == WeightsFormat::Auto && hasOnlyPickleWeights(folder)) {
        throw Error(ErrorKind::Incompatible, pickleRefusal(folder));
    } else {
        const char *wanted = format == WeightsFormat::PytorchBin ? "pytorch_model.bin"
                                                                 : "model.safetensors or model.safetensors.index.json";
        throw Error(ErrorKind::NotFound, folder.string() + ": no weights found (looked for " + wanted + ")");
    }
    return result;
}

LoadReport applyCheckpoint(BertForSequenceClassificationImpl &model, const TensorMap &raw, const std::string &source,
                           const LoadOptions &options)
{
    LoadReport report;
    const TensorMap tensors = normalizeKeys(raw, source, report);
    const BertConfig &config = model.config();

    std::vector<std::pair<at::Tensor, at::Tensor>> copies; // parameter, value
    std::set<std::string> used;
    std::set<std::string> freshPrefixes;
    std::vector<std::string> missingEncoder;
    for (const auto &item : model.named_parameters(/*recurse=*/true)) {
        const std::string &name = item.key();
        const at::Tensor &parameter = item.value();
        const auto found = tensors.find(name);
        const std::string head = startsWith(name, "classifier.") ? "classifier" : "bert.pooler";
        if (found == tensors.end()) {
            if (!isHead(name)) {
                missingEncoder.push_back(name);
                continue;
            }
            report.missing.push_back(name);
            freshPrefixes.insert(head);
            continue;
        }
        used.insert(name);
        const at::Tensor &value = found->second;
        if (!c10::isFloatingType(value.scalar_type()))
            throw Error(ErrorKind::InvalidInput, source + ": tensor '" + name + "' has the dtype " +
                                                     c10::toString(value.scalar_type()) + ", not floating point");
        if (value.sizes() != parameter.sizes()) {
            const std::string mismatch =
                name + ": checkpoint " + shapeText(value.sizes()) + ", model " + shapeText(parameter.sizes());
            if (startsWith(name, "classifier.") && options.ignoreMismatchedSizes) {
                report.shapeMismatches.push_back(mismatch);
                freshPrefixes.insert(head);
                continue;
            }
            std::string why = "config.json";
            if (startsWith(name, "classifier."))
                why += " (" + std::to_string(config.numLabels()) + " labels; ignoreMismatchedSizes starts a new head)";
            throw Error(ErrorKind::InvalidInput, source + ": tensor '" + name + "' has shape " +
                                                     shapeText(value.sizes()) + " but the model built from " + why +
                                                     " expects " + shapeText(parameter.sizes()));
        }
        copies.emplace_back(parameter, value);
        report.loaded.push_back(name);
    }
    if (!missingEncoder.empty())
        throw Error(ErrorKind::InvalidInput, source + ": missing tensor " + listText(missingEncoder));
    for (const auto &[name, tensor] : tensors) {
        if (used.count(name))
            continue;
        if (const long layer = layerIndex(name); layer >= config.numHiddenLayers)
            throw Error(ErrorKind::InvalidInput, source + ": tensor '" + name + "' belongs to layer " +
                                                     std::to_string(layer) + ", but config.json has num_hidden_layers " +
                                                     std::to_string(config.numHiddenLayers));
        if (name.find(".lora_A.") != std::string::npos || name.find(".lora_B.") != std::string::npos)
            throw Error(ErrorKind::Incompatible, source + ": tensor '" + name + "' belongs to a LoRA layer the model "
                                                     "does not have; apply the run's LoRA config first (applyLora), "
                                                     "or load its merged model");
        report.unexpected.push_back(name);
    }

    // Everything checked: now write.
    c10::NoGradGuard noGrad;
    for (auto &[parameter, value] : copies)
        parameter.copy_(value);
    for (const std::string &prefix : freshPrefixes) {
        model.initWeights(options.seed, prefix);
        for (const auto &item : model.named_parameters(/*recurse=*/true))
            if (startsWith(item.key(), prefix + "."))
                report.initialized.push_back(item.key());
    }
    return report;
}

LoadedBert loadBert(const fs::path &folder, const LoadOptions &options)
{
    checkModelDtype(options.dtype);
    LoadedBert loaded;
    loaded.config = loadBertConfig(folder / "config.json");
    if (!options.labels.empty())
        loaded.config.setLabels(options.labels);
    CheckpointTensors checkpoint = readCheckpointTensors(folder, options.format, at::kFloat);

    BertForSequenceClassification model(loaded.config);
    loaded.report = applyCheckpoint(*model, checkpoint.tensors, checkpoint.source, options);
    for (const fs::path &file : checkpoint.files)
        loaded.report.files.push_back(file.string());
    checkpoint.tensors.clear(); // release the mappings before a device copy doubles memory
    model->to(options.device, options.dtype);
    model->eval();
    loaded.model = model;
    return loaded;
}

TensorMap bertStateDict(const BertForSequenceClassificationImpl &model, at::ScalarType dtype)
{
    TensorMap state;
    for (const auto &item : model.named_parameters(/*recurse=*/true))
        state.emplace(item.key(), item.value().detach().to(at::kCPU, dtype).contiguous());
    return state;
}

void saveBert(const BertForSequenceClassificationImpl &model, const fs::path &folder, at::ScalarType dtype)
{
    checkModelDtype(dtype);
    std::error_code error;
    fs::create_directories(folder, error);
    if (error)
        throw Error(ErrorKind::Io, "cannot create " + folder.string() + ": " + error.message());
    saveSafetensors(folder / "model.safetensors", bertStateDict(model, dtype));
    BertConfig config = model.config();
    config.architectures = {"BertForSequenceClassification"};
    config.original["torch_dtype"] = torchDtypeName(dtype);
    saveBertConfig(config, folder / "config.json");
}

} // namespace ft
