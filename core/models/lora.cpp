// lora.cpp: applying, merging and saving LoRA adapters on the classifiers, as PEFT does.
#include "models/lora.h"

#include "common/error.h"
#include "models/atomic_file.h"
#include "models/classifier.h"
#include "models/safetensors.h"
#include "text/json_file.h"

#include <ATen/CPUGeneratorImpl.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <set>
#include <utility>

namespace ft {

namespace {

namespace fs = std::filesystem;

constexpr const char *kPeftPrefix = "base_model.model.";

std::vector<std::pair<std::string, LoraLinearImpl *>> loraLinears(const torch::nn::Module &model)
{
    std::vector<std::pair<std::string, LoraLinearImpl *>> layers;
    for (const auto &item : model.named_modules("", /*include_self=*/false))
        if (auto *layer = item.value()->as<LoraLinear>())
            layers.emplace_back(item.key(), layer);
    return layers;
}

std::string joined(const std::vector<std::string> &names)
{
    std::string text;
    for (const std::string &name : names)
        text += (text.empty() ? "" : ", ") + name;
    return text;
}

// 1234567 -> "1,234,567", as Python's "{:,d}".
std::string withThousands(std::int64_t value)
{
    const std::string digits = std::to_string(value);
    std::string text;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && digits[i - 1] != '-' && (digits.size() - i) % 3 == 0)
            text += ',';
        text += digits[i];
    }
    return text;
}

std::int64_t classifierParameters(const torch::nn::Module &model)
{
    std::int64_t count = 0;
    for (const auto &item : model.named_parameters())
        if (inModulesToSave(item.key()))
            count += item.value().numel();
    return count;
}

void checkConfig(const LoraConfig &config)
{
    if (config.r < 1)
        throw Error(ErrorKind::InvalidInput, "lora_r must be at least 1, not " + std::to_string(config.r));
    if (!(config.alpha > 0))
        throw Error(ErrorKind::InvalidInput, "lora_alpha must be above 0, not " + std::to_string(config.alpha));
    if (!(config.dropout >= 0 && config.dropout < 1))
        throw Error(ErrorKind::InvalidInput, "lora_dropout must be in [0, 1), not " + std::to_string(config.dropout));
    if (config.targetModules.empty())
        throw Error(ErrorKind::InvalidInput, "lora_target_modules must name at least one module");
}

bool allLinear(const std::vector<std::string> &targets)
{
    return targets.size() == 1 && targets.front() == kLoraAllLinear;
}

} // namespace

double LoraSummary::trainablePercent() const
{
    return allParameters > 0 ? 100.0 * double(trainableParameters) / double(allParameters) : 0.0;
}

std::string LoraSummary::describe() const
{
    char percent[32];
    std::snprintf(percent, sizeof percent, "%.4f", trainablePercent());
    return "trainable params: " + withThousands(trainableParameters) + " || all params: " +
           withThousands(allParameters) + " || trainable%: " + percent;
}

std::vector<std::string> loraModulesToSave()
{
    return {"classifier", "score"};
}

bool inModulesToSave(const std::string &name)
{
    static const std::vector<std::string> heads = loraModulesToSave();
    for (std::size_t end = 0; end <= name.size(); ++end) {
        if (end < name.size() && name[end] != '.')
            continue;
        const std::string_view prefix(name.data(), end);
        for (const std::string &head : heads)
            if (prefix.ends_with(head))
                return true;
    }
    return false;
}

bool matchesLoraTarget(const std::string &moduleName, const std::vector<std::string> &targets)
{
    for (const std::string &target : targets) {
        const std::string suffix = "." + target;
        if (moduleName == target ||
            (moduleName.size() > suffix.size() && moduleName.ends_with(suffix)))
            return true;
    }
    return false;
}

LoraSummary applyLora(torch::nn::Module &model, const LoraConfig &config)
{
    checkConfig(config);
    if (hasLora(model))
        throw Error(ErrorKind::InvalidInput, "the model already has LoRA layers");

    // Resolve every target before changing anything. The classifier is a modules_to_save: trained
    // whole, never adapted. Anything else a target names must be a linear layer, as in PEFT.
    const bool everyLinear = allLinear(config.targetModules);
    std::vector<std::pair<std::string, LoraLinearImpl *>> targets;
    for (const auto &item : model.named_modules("", /*include_self=*/false)) {
        const std::string &name = item.key();
        if (inModulesToSave(name))
            continue;
        auto *layer = item.value()->as<LoraLinear>();
        if (everyLinear ? layer == nullptr : !matchesLoraTarget(name, config.targetModules))
            continue;
        if (layer == nullptr)
            throw Error(ErrorKind::InvalidInput, "lora_target_modules matches '" + name + "', a " +
                                                     item.value()->name() +
                                                     "; LoRA adapts linear layers only (query, key, value, dense)");
        targets.emplace_back(name, layer);
    }
    if (targets.empty()) {
        std::set<std::string> names;
        for (const auto &[name, layer] : loraLinears(model))
            names.insert(name.substr(name.rfind('.') + 1));
        if (names.empty())
            throw Error(ErrorKind::InvalidInput, "the model has no linear layer LoRA can adapt (a convolutional "
                                                 "network); use method full or freeze");
        throw Error(ErrorKind::InvalidInput, "lora_target_modules [" + joined(config.targetModules) +
                                                 "] match no linear layer of the model (it has " +
                                                 joined({names.begin(), names.end()}) + ")");
    }

    for (auto &item : model.named_parameters())
        item.value().set_requires_grad(false);
    at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(config.seed);
    LoraSummary summary;
    for (auto &[name, layer] : targets) {
        layer->addLora(config.r, config.alpha, config.dropout, generator);
        summary.adaptedModules.push_back(name);
    }
    for (auto &item : model.named_parameters())
        if (inModulesToSave(item.key()))
            item.value().set_requires_grad(true);

    for (const auto &item : model.named_parameters()) {
        summary.allParameters += item.value().numel();
        if (item.value().requires_grad())
            summary.trainableParameters += item.value().numel();
    }
    summary.allParameters += classifierParameters(model); // PEFT's copy of the head
    return summary;
}

bool hasLora(const torch::nn::Module &model)
{
    for (const auto &[name, layer] : loraLinears(model))
        if (layer->hasLora())
            return true;
    return false;
}

std::int64_t mergeLora(torch::nn::Module &model)
{
    std::int64_t merged = 0;
    for (auto &[name, layer] : loraLinears(model)) {
        if (!layer->hasLora())
            continue;
        layer->mergeLora();
        ++merged;
    }
    return merged;
}

TensorMap loraAdapterTensors(const torch::nn::Module &model, at::ScalarType dtype)
{
    const auto exported = [dtype](const at::Tensor &t) { return t.detach().to(at::kCPU, dtype).contiguous(); };
    TensorMap tensors;
    for (const auto &[name, layer] : loraLinears(model)) {
        if (!layer->hasLora())
            continue;
        tensors.emplace(kPeftPrefix + name + ".lora_A.weight", exported(layer->loraA()));
        tensors.emplace(kPeftPrefix + name + ".lora_B.weight", exported(layer->loraB()));
    }
    if (tensors.empty())
        throw Error(ErrorKind::InvalidInput, "the model has no LoRA layers, so no adapter to export");
    for (const auto &item : model.named_parameters())
        if (inModulesToSave(item.key()))
            tensors.emplace(kPeftPrefix + item.key(), exported(item.value()));
    return tensors;
}

nlohmann::ordered_json loraAdapterConfig(const torch::nn::Module &model, const LoraConfig &config,
                                         const std::string &baseModel, const std::string &taskType)
{
    checkConfig(config);
    std::vector<std::string> targets;
    if (allLinear(config.targetModules)) {
        std::set<std::string> names;
        for (const auto &[name, layer] : loraLinears(model))
            if (layer->hasLora())
                names.insert(name.substr(name.rfind('.') + 1));
        targets.assign(names.begin(), names.end());
    } else {
        for (const std::string &target : config.targetModules)
            if (std::find(targets.begin(), targets.end(), target) == targets.end())
                targets.push_back(target);
    }
    // PEFT writes the keys sorted.
    nlohmann::ordered_json json;
    json["base_model_name_or_path"] = baseModel;
    json["bias"] = "none";
    // GPT-2's Conv1D layers store their weights [in, out].
    bool fanInFanOut = false;
    for (const auto &[name, layer] : loraLinears(model))
        fanInFanOut = fanInFanOut || (layer->hasLora() && layer->layout() == WeightLayout::InOut);
    json["fan_in_fan_out"] = fanInFanOut;
    json["inference_mode"] = true;
    json["init_lora_weights"] = true;
    json["layers_pattern"] = nullptr;
    json["layers_to_transform"] = nullptr;
    if (config.alpha == double(std::int64_t(config.alpha)))
        json["lora_alpha"] = std::int64_t(config.alpha);
    else
        json["lora_alpha"] = config.alpha;
    json["lora_dropout"] = config.dropout;
    json["modules_to_save"] = loraModulesToSave();
    json["peft_type"] = "LORA";
    json["r"] = config.r;
    json["revision"] = nullptr;
    json["target_modules"] = targets;
    if (taskType.empty())
        json["task_type"] = nullptr;
    else
        json["task_type"] = taskType;
    return json;
}

void writePeftAdapterFolder(const fs::path &folder, const TensorMap &tensors, const nlohmann::ordered_json &config)
{
    std::error_code error;
    fs::create_directories(folder, error);
    if (error)
        throw Error(ErrorKind::Io, "cannot create " + folder.string() + ": " + error.message());
    saveSafetensors(folder / "adapter_model.safetensors", tensors);
    writeFileAtomically(folder / "adapter_config.json", config.dump(2) + "\n");
}

void saveLoraAdapter(const torch::nn::Module &model, const LoraConfig &config,
                     const std::string &baseModel, const fs::path &folder, const std::string &taskType)
{
    writePeftAdapterFolder(folder, loraAdapterTensors(model), loraAdapterConfig(model, config, baseModel, taskType));
}

void mergeLoraAdapterFolder(Classifier &model, const fs::path &folder)
{
    const fs::path configFile = folder / "adapter_config.json";
    const fs::path weightsFile = folder / "adapter_model.safetensors";
    double scale = 0;
    bool fanInFanOut = false; // weights stored [in, out] (GPT-2's Conv1D): the update goes in transposed
    try {
        const JsonFile file = JsonFile::read(configFile);
        const nlohmann::json &config = file.root();
        if (config.value("peft_type", "") != "LORA")
            throw Error(ErrorKind::Incompatible, configFile.string() + ": peft_type is not LORA");
        scale = config.at("lora_alpha").get<double>() / config.at("r").get<double>();
        fanInFanOut = config.value("fan_in_fan_out", false);
    } catch (const nlohmann::json::exception &e) {
        throw Error(ErrorKind::InvalidInput, configFile.string() + ": " + e.what());
    }
    const TensorMap adapter = loadSafetensors(weightsFile);

    TensorMap state = model.state();
    const std::string aSuffix = ".lora_A.weight";
    for (const auto &[key, tensor] : adapter) {
        if (key.rfind(kPeftPrefix, 0) != 0)
            throw Error(ErrorKind::InvalidInput, weightsFile.string() + ": tensor " + key + " lacks the prefix " + kPeftPrefix);
        const std::string name = key.substr(std::string(kPeftPrefix).size());
        if (name.find(".lora_B.") != std::string::npos)
            continue; // taken with its lora_A
        if (name.size() > aSuffix.size() && name.compare(name.size() - aSuffix.size(), aSuffix.size(), aSuffix) == 0) {
            const std::string module = name.substr(0, name.size() - aSuffix.size());
            const auto b = adapter.find(kPeftPrefix + module + ".lora_B.weight");
            const auto weight = state.find(module + ".weight");
            if (b == adapter.end() || weight == state.end())
                throw Error(ErrorKind::InvalidInput, weightsFile.string() + ": " + key
                                                         + (b == adapter.end() ? " has no lora_B" : " adapts no layer of the model"));
            at::Tensor delta = b->second.matmul(tensor) * scale;
            if (fanInFanOut)
                delta = delta.t();
            if (delta.sizes() != weight->second.sizes())
                throw Error(ErrorKind::InvalidInput, weightsFile.string() + ": " + key + " does not fit " + module);
            weight->second = weight->second + delta.to(weight->second.scalar_type());
        } else {
            state[name] = tensor; // a module the adapter saves whole (the classifier)
        }
    }
    model.loadState(state, weightsFile.string());
}

} // namespace ft
