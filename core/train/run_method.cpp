// run_method.cpp
#include "train/run_method.h"

#include "models/classifier.h"
#include "models/lora.h"
#include "models/model_family.h"
#include "models/peft_methods.h"
#include "models/prompt_adapter.h"
#include "text/tokenizer.h"
#include "train/run_config.h"

namespace fs = std::filesystem;

namespace ft {

std::optional<PeftMethodConfig> peftMethodConfigOf(const RunConfig &config, const fs::path &tokenizerFolder)
{
    PeftMethodConfig method;
    switch (config.method) {
    case TrainMethod::Adapter: method.method = PeftMethod::Adapter; break;
    case TrainMethod::Prefix: method.method = PeftMethod::Prefix; break;
    case TrainMethod::Prompt: method.method = PeftMethod::Prompt; break;
    default: return std::nullopt;
    }
    method.adapterType = config.adapterType;
    method.adapterReductionFactor = config.adapterReductionFactor;
    method.numVirtualTokens = config.numVirtualTokens;
    method.prefixProjection = config.prefixProjection;
    method.encoderHiddenSize = config.encoderHiddenSize;
    method.maxInputLength = config.maxLength;
    method.seed = static_cast<std::uint64_t>(config.seed);
    if (method.method == PeftMethod::Prompt && !config.promptTuningInitText.empty()) {
        method.promptInitText = config.promptTuningInitText;
        if (!tokenizerFolder.empty())
            method.promptInitTokenIds = modelTokenizer(tokenizerFolder).encode(config.promptTuningInitText).ids;
    }
    return method;
}

LoraConfig loraConfigOf(const RunConfig &config, const Classifier &model)
{
    return {config.loraR, config.loraAlpha, config.loraDropout,
            resolvedLoraTargets(config.loraTargetModules, model.configJson().value("model_type", "")),
            static_cast<std::uint64_t>(config.seed)};
}

std::string applyRunMethod(Classifier &model, const RunConfig &config, const fs::path &tokenizerFolder)
{
    if (config.method == TrainMethod::Freeze) {
        model.freeze(config.freezeLayers);
        return {};
    }
    if (config.method == TrainMethod::Lora)
        return "LoRA: " + applyLora(model.module(), loraConfigOf(config, model)).describe();
    const std::optional<PeftMethodConfig> method = peftMethodConfigOf(config, tokenizerFolder);
    return method ? applyPeftMethod(model, *method).describe() : std::string();
}

fs::path saveRunMethodFiles(Classifier &model, const RunConfig &config, const std::string &baseModel,
                            const fs::path &modelFolder)
{
    const std::optional<PeftMethodConfig> method = peftMethodConfigOf(config);
    if (!method)
        return {};
    const PeftMethodConfig resolved = resolvePeftMethod(model, *method);
    recordPeftMethod(modelFolder, resolved);
    if (resolved.method == PeftMethod::Adapter)
        return {};
    // Beside the model folder, as LoRA's: transformers would take an adapter_config.json inside it for PEFT's.
    const fs::path adapter = modelFolder.parent_path() / "adapter";
    savePromptAdapter(model, resolved, baseModel, adapter, model.peftTaskType());
    return adapter;
}

} // namespace ft
