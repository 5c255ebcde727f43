// prompt_adapter.cpp: PEFT's prompt learning adapter files, written and read.
#include "models/prompt_adapter.h"

#include "common/error.h"
#include "models/classifier.h"
#include "models/lora.h"
#include "models/module_state.h"
#include "models/peft_methods.h"
#include "models/safetensors.h"
#include "text/json_file.h"

#include <ATen/CPUGeneratorImpl.h>
#include <c10/core/GradMode.h>
#include <nlohmann/json.hpp>

namespace fs = std::filesystem;

namespace ft {

namespace {

constexpr const char *kBasePrefix = "base_model.";       // prompt learning: PeftModel.base_model is the model
constexpr const char *kLoraBasePrefix = "base_model.model."; // LoRA's, accepted when it names a head tensor

std::string peftTypeOf(PeftMethod method)
{
    return method == PeftMethod::Prefix ? "PREFIX_TUNING" : "PROMPT_TUNING";
}

std::int64_t positiveField(const nlohmann::json &config, const char *key, const std::string &source)
{
    const auto value = config.find(key);
    if (value == config.end() || !value->is_number_integer() || value->get<std::int64_t>() < 1)
        throw Error(ErrorKind::InvalidInput, source + ": " + key + " must be a whole number of at least 1");
    return value->get<std::int64_t>();
}

// A size the config may leave null; when given it must be the model's.
void requireSize(const nlohmann::json &config, const char *key, std::int64_t expected, const std::string &source)
{
    const auto value = config.find(key);
    if (value == config.end() || value->is_null())
        return;
    if (!value->is_number_integer() || value->get<std::int64_t>() != expected)
        throw Error(ErrorKind::Incompatible, source + ": " + key + " is " + value->dump() + ", but the base model has "
                                                 + std::to_string(expected));
}

} // namespace

TensorMap promptAdapterTensors(Classifier &model)
{
    VirtualTokens tokens = virtualTokensOf(model);
    if (tokens.is_empty())
        throw Error(ErrorKind::InvalidInput, "the model has no virtual tokens, so no prefix or prompt adapter to export");
    TensorMap tensors;
    {
        c10::NoGradGuard noGrad;
        tensors.emplace("prompt_embeddings", tokens->table().detach().to(at::kCPU, at::kFloat).contiguous());
    }
    for (const auto &item : model.module().named_parameters())
        if (inModulesToSave(item.key()))
            tensors.emplace(kBasePrefix + item.key(), item.value().detach().to(at::kCPU, at::kFloat).contiguous());
    return tensors;
}

nlohmann::ordered_json promptAdapterConfig(Classifier &model, const PeftMethodConfig &config,
                                           const std::string &baseModel, const std::string &taskType)
{
    if (config.method == PeftMethod::Adapter)
        throw Error(ErrorKind::Internal, "bottleneck adapters have no PEFT adapter_config.json");
    const EncoderSizes sizes = encoderSizesOf(model);
    const bool prefix = config.method == PeftMethod::Prefix;
    const VirtualTokenShape shape = virtualTokenShape(sizes, prefix);
    const bool fromText = !prefix && !config.promptInitText.empty();
    // PEFT writes the keys sorted.
    nlohmann::ordered_json json;
    json["auto_mapping"] = nullptr;
    json["base_model_name_or_path"] = baseModel;
    if (prefix)
        json["encoder_hidden_size"] = config.encoderHiddenSize > 0 ? config.encoderHiddenSize : sizes.hidden;
    json["inference_mode"] = true;
    json["modules_to_save"] = loraModulesToSave();
    json["num_attention_heads"] = shape.heads;
    json["num_layers"] = sizes.layers;
    json["num_transformer_submodules"] = 1;
    json["num_virtual_tokens"] = config.numVirtualTokens;
    json["peft_type"] = peftTypeOf(config.method);
    if (prefix) {
        json["prefix_projection"] = config.prefixProjection;
    } else {
        json["prompt_tuning_init"] = fromText ? "TEXT" : "RANDOM";
        json["prompt_tuning_init_text"] = fromText ? nlohmann::ordered_json(config.promptInitText) : nullptr;
    }
    json["revision"] = nullptr;
    json["task_type"] = taskType.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(taskType);
    json["token_dim"] = shape.tokenDim;
    if (!prefix) {
        json["tokenizer_kwargs"] = nullptr;
        // PromptTuningConfig refuses TEXT without a tokenizer, even in inference mode.
        json["tokenizer_name_or_path"] = fromText ? nlohmann::ordered_json(baseModel) : nullptr;
    }
    return json;
}

void savePromptAdapter(Classifier &model, const PeftMethodConfig &config, const std::string &baseModel,
                       const fs::path &folder, const std::string &taskType)
{
    writePeftAdapterFolder(folder, promptAdapterTensors(model),
                           promptAdapterConfig(model, config, baseModel, taskType));
}

void applyPeftAdapterFolder(Classifier &model, const fs::path &folder)
{
    const fs::path configFile = folder / "adapter_config.json";
    const fs::path weightsFile = folder / "adapter_model.safetensors";
    const std::string source = configFile.string();
    const JsonFile file = JsonFile::read(configFile);
    const nlohmann::json &config = file.root();
    const std::string peftType = config.is_object() ? config.value("peft_type", "") : "";
    if (peftType == "LORA")
        return mergeLoraAdapterFolder(model, folder);
    if (peftType != "PREFIX_TUNING" && peftType != "PROMPT_TUNING")
        throw Error(ErrorKind::Incompatible, source + ": peft_type '" + peftType
                                                 + "' is not one this project applies (LORA, PREFIX_TUNING, PROMPT_TUNING)");
    const bool prefix = peftType == "PREFIX_TUNING";
    const EncoderSizes sizes = encoderSizesOf(model);
    const VirtualTokenShape shape = virtualTokenShape(sizes, prefix);
    requireSize(config, "token_dim", shape.tokenDim, source);
    requireSize(config, "num_layers", sizes.layers, source);
    requireSize(config, "num_attention_heads", shape.heads, source);
    requireSize(config, "num_transformer_submodules", 1, source);
    if (!virtualTokensOf(model).is_empty())
        throw Error(ErrorKind::Incompatible, source + ": the model has virtual tokens already");

    VirtualTokensOptions options;
    options.kind = prefix ? VirtualTokenKind::Prefix : VirtualTokenKind::Prompt;
    options.numVirtualTokens = positiveField(config, "num_virtual_tokens", source);
    options.tokenDim = shape.tokenDim;
    options.numLayers = sizes.layers;
    options.numHeads = shape.heads;
    options.projection = false; // PEFT's inference mode: the saved table is the embedding
    at::Generator unused = at::make_generator<at::CPUGeneratorImpl>(0);
    VirtualTokens tokens(options, unused);

    const TensorMap adapter = loadSafetensors(weightsFile);
    const auto table = adapter.find("prompt_embeddings");
    if (table == adapter.end())
        throw Error(ErrorKind::InvalidInput, weightsFile.string() + ": tensor prompt_embeddings is missing");
    const std::vector<std::int64_t> expected{options.numVirtualTokens, tokens->width()};
    if (table->second.sizes() != at::IntArrayRef(expected))
        throw Error(ErrorKind::InvalidInput, weightsFile.string() + ": tensor prompt_embeddings has the shape "
                                                 + shapeText(table->second.sizes()) + ", the model needs "
                                                 + shapeText(expected));
    {
        c10::NoGradGuard noGrad;
        tokens->named_parameters()["embedding.weight"].copy_(table->second);
    }
    const at::Tensor anyParameter = model.module().parameters().front();
    tokens->to(anyParameter.device(), anyParameter.scalar_type());
    addVirtualTokens(model, tokens); // Incompatible for a family that takes none (or no prefix)

    // The head: every other tensor replaces the model's of that name, checked before anything changes.
    TensorMap state = model.state();
    for (const auto &[key, tensor] : adapter) {
        if (key == "prompt_embeddings")
            continue;
        std::string name;
        if (key.rfind(kLoraBasePrefix, 0) == 0 && state.count(key.substr(std::string(kLoraBasePrefix).size())))
            name = key.substr(std::string(kLoraBasePrefix).size());
        else if (key.rfind(kBasePrefix, 0) == 0)
            name = key.substr(std::string(kBasePrefix).size());
        const auto target = state.find(name);
        if (name.empty() || target == state.end())
            throw Error(ErrorKind::InvalidInput, weightsFile.string() + ": tensor " + key + " is not part of the model");
        if (target->second.sizes() != tensor.sizes())
            throw Error(ErrorKind::InvalidInput, weightsFile.string() + ": tensor " + key + " has the shape "
                                                     + shapeText(tensor.sizes()) + ", the model needs "
                                                     + shapeText(target->second.sizes()));
        target->second = tensor;
    }
    model.loadState(state, weightsFile.string());
}

} // namespace ft
