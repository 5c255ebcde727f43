// peft_methods.cpp: adding adapters and virtual tokens to the text encoders, and the model folder's
// record of them.
#include "models/peft_methods.h"

#include "common/error.h"
#include "models/atomic_file.h"
#include "models/bert_config.h"
#include "models/checkpoint.h"
#include "models/classifier.h"
#include "models/distilbert_model.h"
#include "models/gpt2_model.h"
#include "models/llama_model.h"
#include "models/lora.h"
#include "models/model_family.h"
#include "text/json_file.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Functions.h>
#include <c10/core/GradMode.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <functional>
#include <cstdio>

namespace fs = std::filesystem;

namespace ft {

namespace {

// The transformer that takes virtual tokens: BERT's (BERT, RoBERTa, XLM-R), DistilBERT's, GPT-2's or
// Llama's, whichever the model holds.
struct Encoder {
    std::shared_ptr<BertModelImpl> bert;
    std::shared_ptr<DistilBertModelImpl> distilBert;
    std::shared_ptr<Gpt2ModelImpl> gpt2;
    std::shared_ptr<LlamaModelImpl> llama;
};

template <typename Impl>
void findFirst(std::shared_ptr<Impl> &found, const std::shared_ptr<torch::nn::Module> &module)
{
    if (!found)
        found = std::dynamic_pointer_cast<Impl>(module);
}

Encoder encoderOf(torch::nn::Module &module)
{
    Encoder encoder;
    for (const auto &item : module.named_modules("", /*include_self=*/false)) {
        findFirst(encoder.bert, item.value());
        findFirst(encoder.distilBert, item.value());
        findFirst(encoder.gpt2, item.value());
        findFirst(encoder.llama, item.value());
    }
    return encoder;
}

// A decoder block (GPT-2's, Llama's) gets adapters on its attention's and its MLP's outputs.
template <typename Block>
bool addDecoderAdapters(const std::shared_ptr<torch::nn::Module> &module, const std::string &name, bool houlsby,
                        const std::function<BottleneckAdapter()> &adapter, std::vector<std::string> &added)
{
    const auto block = std::dynamic_pointer_cast<Block>(module);
    if (!block)
        return false;
    if (houlsby) {
        block->addAttentionAdapter(adapter());
        added.push_back(name + ".attention_adapter");
    }
    block->addOutputAdapter(adapter());
    added.push_back(name + ".output_adapter");
    return true;
}

bool endsWith(const std::string &text, const std::string &suffix)
{
    return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// 1234567 -> "1,234,567", as Python's "{:,d}".
std::string withThousands(std::int64_t value)
{
    const std::string digits = std::to_string(value);
    std::string text;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0)
            text += ',';
        text += digits[i];
    }
    return text;
}

std::string methodTitle(PeftMethod method)
{
    switch (method) {
    case PeftMethod::Adapter: return "bottleneck adapters";
    case PeftMethod::Prefix: return "prefix tuning";
    case PeftMethod::Prompt: return "prompt tuning";
    }
    return {};
}

void requireFamily(const Classifier &model, PeftMethod method)
{
    const std::string modelType = model.configJson().value("model_type", "");
    const ModelFamily *family = findModelFamily(modelType);
    const std::string name = toString(method);
    if (family && std::find(family->methods.begin(), family->methods.end(), name) != family->methods.end())
        return;
    std::string has;
    if (family)
        for (const std::string &other : family->methods)
            has += (has.empty() ? "" : ", ") + other;
    throw Error(ErrorKind::Incompatible,
                "method " + name + " (" + methodTitle(method) + ") is not available for "
                    + (family ? family->displayName : model.architecture()) + " (model_type " + modelType + ")"
                    + (has.empty() ? "" : ", which trains with " + has) + "; " + name + " is built for "
                    + familiesWithMethod(method)
                    + (method == PeftMethod::Prefix && modelType == "distilbert"
                           ? " (PEFT's prefix tuning passes past keys and values, which DistilBERT does not take)"
                           : ""));
}

// PEFT's TEXT init: the text's ids repeated, then cut, to `count`.
std::vector<std::int64_t> repeatedTo(const std::vector<std::int64_t> &ids, std::int64_t count)
{
    std::vector<std::int64_t> out;
    while (std::int64_t(out.size()) < count)
        for (std::size_t i = 0; i < ids.size() && std::int64_t(out.size()) < count; ++i)
            out.push_back(ids[i]);
    return out;
}

void initPromptFromText(torch::nn::Module &module, VirtualTokens &tokens, const std::vector<std::int64_t> &ids,
                        std::int64_t vocab)
{
    for (std::int64_t id : ids)
        if (id < 0 || id >= vocab)
            throw Error(ErrorKind::InvalidInput, "prompt_tuning_init_text: token id " + std::to_string(id)
                                                     + " is outside the model's vocabulary of " + std::to_string(vocab));
    at::Tensor words;
    for (const auto &item : module.named_parameters())
        if (endsWith(item.key(), "embeddings.word_embeddings.weight") || endsWith(item.key(), "transformer.wte.weight")
            || endsWith(item.key(), "model.embed_tokens.weight"))
            words = item.value();
    if (!words.defined())
        throw Error(ErrorKind::Internal, "the model has no word embeddings to start the prompt from");
    const at::Tensor index = at::tensor(repeatedTo(ids, tokens->count()), at::kLong).to(words.device());
    c10::NoGradGuard noGrad;
    tokens->named_parameters()["embedding.weight"].copy_(words.index_select(0, index).to(at::kFloat));
}

std::int64_t countParameters(const torch::nn::Module &module, bool trainableOnly)
{
    std::int64_t count = 0;
    for (const auto &item : module.named_parameters())
        if (!trainableOnly || item.value().requires_grad())
            count += item.value().numel();
    return count;
}

} // namespace

std::string toString(PeftMethod method)
{
    switch (method) {
    case PeftMethod::Adapter: return "adapter";
    case PeftMethod::Prefix: return "prefix";
    case PeftMethod::Prompt: return "prompt";
    }
    return {};
}

std::string toString(AdapterType type)
{
    return type == AdapterType::Houlsby ? "houlsby" : "pfeiffer";
}

std::string PeftMethodSummary::describe() const
{
    char percent[32];
    std::snprintf(percent, sizeof percent, "%.4f",
                  allParameters > 0 ? 100.0 * double(trainableParameters) / double(allParameters) : 0.0);
    std::string what = methodTitle(config.method);
    if (config.method == PeftMethod::Adapter)
        what += " (" + toString(config.adapterType) + ", bottleneck " + std::to_string(config.adapterBottleneckSize) + ")";
    else
        what += " (" + std::to_string(config.numVirtualTokens) + " virtual tokens)";
    return what + ": trainable params: " + withThousands(trainableParameters) + " || all params: "
           + withThousands(allParameters) + " || trainable%: " + percent;
}

std::string familiesWithMethod(PeftMethod method)
{
    std::string names;
    for (const ModelFamily &family : modelFamilies())
        if (std::find(family.methods.begin(), family.methods.end(), toString(method)) != family.methods.end())
            names += (names.empty() ? "" : ", ") + family.displayName;
    return names.empty() ? "no model family" : names;
}

EncoderSizes encoderSizesOf(const Classifier &model)
{
    const nlohmann::json &json = model.configJson();
    const std::string source = model.architecture() + "'s config";
    const std::string modelType = json.value("model_type", "");
    if (isGpt2ModelType(modelType)) {
        const Gpt2Config config = Gpt2Config::fromJson(json, source);
        return {modelType, config.nEmbd, config.nLayer, config.nHead, config.nHead, config.vocabSize, config.nPositions};
    }
    if (isLlamaModelType(modelType)) {
        const LlamaConfig config = LlamaConfig::fromJson(json, source);
        return {modelType,           config.hiddenSize, config.numHiddenLayers,      config.numAttentionHeads,
                config.numKeyValueHeads, config.vocabSize, config.maxPositionEmbeddings};
    }
    const BertConfig config = BertConfig::fromJson(json, source);
    return {config.modelType,        config.hiddenSize, config.numHiddenLayers,    config.numAttentionHeads,
            config.numAttentionHeads, config.vocabSize, config.maxSequenceLength()};
}

VirtualTokenShape virtualTokenShape(const EncoderSizes &sizes, bool prefix)
{
    if (!prefix || sizes.kvHeads == sizes.heads)
        return {sizes.hidden, sizes.heads};
    return {sizes.hidden / sizes.heads * sizes.kvHeads, sizes.kvHeads};
}

PeftMethodConfig resolvePeftMethod(const Classifier &model, PeftMethodConfig config)
{
    const EncoderSizes sizes = encoderSizesOf(model);
    if (config.method == PeftMethod::Adapter && config.adapterBottleneckSize <= 0) {
        if (config.adapterReductionFactor < 1 || config.adapterReductionFactor > sizes.hidden)
            throw Error(ErrorKind::InvalidInput, "adapter_reduction_factor " + std::to_string(config.adapterReductionFactor)
                                                     + " does not fit the hidden size " + std::to_string(sizes.hidden)
                                                     + " (the bottleneck is hidden / factor, at least 1)");
        config.adapterBottleneckSize = sizes.hidden / config.adapterReductionFactor;
    }
    if (config.method == PeftMethod::Prefix && config.encoderHiddenSize <= 0)
        config.encoderHiddenSize = virtualTokenShape(sizes, true).tokenDim; // PEFT's default: token_dim
    if (config.method != PeftMethod::Adapter && config.maxInputLength > 0
        && config.maxInputLength + config.numVirtualTokens > sizes.maxLength)
        throw Error(ErrorKind::InvalidInput,
                    "max_length " + std::to_string(config.maxInputLength) + " and num_virtual_tokens "
                        + std::to_string(config.numVirtualTokens) + " exceed the " + std::to_string(sizes.maxLength)
                        + " positions of the model's max_position_embeddings; lower max_length to at most "
                        + std::to_string(std::max<std::int64_t>(0, sizes.maxLength - config.numVirtualTokens)));
    return config;
}

bool isPeftMethodParameter(const std::string &name)
{
    std::size_t begin = 0;
    while (begin <= name.size()) {
        const std::size_t end = std::min(name.find('.', begin), name.size());
        const std::string part = name.substr(begin, end - begin);
        if (part == "prompt_encoder" || part == "adapter" || part == "attention_adapter" || part == "output_adapter")
            return true;
        begin = end + 1;
    }
    return false;
}

bool hasPeftMethod(const Classifier &model)
{
    for (const auto &item : model.module().named_parameters())
        if (isPeftMethodParameter(item.key()))
            return true;
    return false;
}

VirtualTokens virtualTokensOf(Classifier &model)
{
    const Encoder encoder = encoderOf(model.module());
    if (encoder.bert)
        return encoder.bert->virtualTokens();
    if (encoder.distilBert)
        return encoder.distilBert->virtualTokens();
    if (encoder.gpt2)
        return encoder.gpt2->virtualTokens();
    return encoder.llama ? encoder.llama->virtualTokens() : VirtualTokens(nullptr);
}

void addVirtualTokens(Classifier &model, VirtualTokens tokens)
{
    const Encoder encoder = encoderOf(model.module());
    if (encoder.bert)
        return encoder.bert->addVirtualTokens(std::move(tokens));
    if (encoder.distilBert)
        return encoder.distilBert->addVirtualTokens(std::move(tokens));
    if (encoder.gpt2)
        return encoder.gpt2->addVirtualTokens(std::move(tokens));
    if (encoder.llama)
        return encoder.llama->addVirtualTokens(std::move(tokens));
    throw Error(ErrorKind::Incompatible, model.architecture() + " has no encoder that takes virtual tokens");
}

PeftMethodSummary applyPeftMethod(Classifier &model, const PeftMethodConfig &requested)
{
    requireFamily(model, requested.method);
    if (hasPeftMethod(model))
        throw Error(ErrorKind::Incompatible, "the model already has adapters or virtual tokens (it was trained with "
                                             "such a method); start from its base model instead");
    PeftMethodSummary summary;
    summary.config = resolvePeftMethod(model, requested);
    const PeftMethodConfig &config = summary.config;
    const EncoderSizes sizes = encoderSizesOf(model);
    torch::nn::Module &module = model.module();
    const at::Tensor anyParameter = module.parameters().front();
    at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(config.seed);

    for (auto &item : module.named_parameters())
        item.value().set_requires_grad(false);
    if (config.method == PeftMethod::Adapter) {
        const bool houlsby = config.adapterType == AdapterType::Houlsby;
        const AdapterActivation activation = houlsby ? AdapterActivation::Swish : AdapterActivation::Relu;
        const std::function<BottleneckAdapter()> adapter = [&] {
            BottleneckAdapter made(sizes.hidden, config.adapterBottleneckSize, activation, generator);
            made->to(anyParameter.device(), anyParameter.scalar_type());
            return made;
        };
        for (const auto &item : module.named_modules("", /*include_self=*/false)) {
            const std::string &name = item.key();
            if (auto output = std::dynamic_pointer_cast<BertResidualOutputImpl>(item.value())) {
                if (!houlsby && endsWith(name, ".attention.output"))
                    continue;
                output->addAdapter(adapter());
                summary.modules.push_back(name + ".adapter");
            } else if (auto block = std::dynamic_pointer_cast<DistilBertBlockImpl>(item.value())) {
                if (houlsby) {
                    block->addAttentionAdapter(adapter());
                    summary.modules.push_back(name + ".attention_adapter");
                }
                block->addOutputAdapter(adapter());
                summary.modules.push_back(name + ".output_adapter");
            } else if (!addDecoderAdapters<Gpt2BlockImpl>(item.value(), name, houlsby, adapter, summary.modules)) {
                addDecoderAdapters<LlamaDecoderLayerImpl>(item.value(), name, houlsby, adapter, summary.modules);
            }
        }
    } else {
        VirtualTokensOptions options;
        options.kind = config.method == PeftMethod::Prefix ? VirtualTokenKind::Prefix : VirtualTokenKind::Prompt;
        options.numVirtualTokens = config.numVirtualTokens;
        const VirtualTokenShape shape = virtualTokenShape(sizes, config.method == PeftMethod::Prefix);
        options.tokenDim = shape.tokenDim;
        options.numLayers = sizes.layers;
        options.numHeads = shape.heads;
        options.projection = config.method == PeftMethod::Prefix && config.prefixProjection;
        options.encoderHiddenSize = config.encoderHiddenSize;
        VirtualTokens tokens(options, generator);
        if (config.method == PeftMethod::Prompt && !config.promptInitTokenIds.empty())
            initPromptFromText(module, tokens, config.promptInitTokenIds, sizes.vocab);
        tokens->to(anyParameter.device(), anyParameter.scalar_type());
        addVirtualTokens(model, tokens);
        for (const auto &item : module.named_modules("", /*include_self=*/false))
            if (item.value().get() == tokens.get())
                summary.modules.push_back(item.key());
    }

    std::int64_t head = 0;
    for (auto &item : module.named_parameters()) {
        const bool inHead = inModulesToSave(item.key());
        if (inHead || isPeftMethodParameter(item.key()))
            item.value().set_requires_grad(true);
        if (inHead)
            head += item.value().numel();
    }
    summary.trainableParameters = countParameters(module, true);
    summary.allParameters = countParameters(module, false) + (config.method == PeftMethod::Adapter ? 0 : head);
    return summary;
}

nlohmann::json peftMethodRecord(const PeftMethodConfig &config)
{
    nlohmann::json record = {{"method", toString(config.method)}};
    switch (config.method) {
    case PeftMethod::Adapter:
        record["adapter_type"] = toString(config.adapterType);
        record["adapter_reduction_factor"] = config.adapterReductionFactor;
        record["adapter_bottleneck_size"] = config.adapterBottleneckSize;
        record["adapter_non_linearity"] =
            toString(config.adapterType == AdapterType::Houlsby ? AdapterActivation::Swish : AdapterActivation::Relu);
        break;
    case PeftMethod::Prefix:
        record["num_virtual_tokens"] = config.numVirtualTokens;
        record["prefix_projection"] = config.prefixProjection;
        record["encoder_hidden_size"] = config.encoderHiddenSize;
        break;
    case PeftMethod::Prompt:
        record["num_virtual_tokens"] = config.numVirtualTokens;
        record["prompt_tuning_init_text"] = config.promptInitText;
        break;
    }
    return record;
}

std::optional<PeftMethodConfig> peftMethodFromRecord(const nlohmann::json &modelConfig, const std::string &source)
{
    if (!modelConfig.is_object() || !modelConfig.contains(kPeftMethodKey))
        return std::nullopt;
    const nlohmann::json &record = modelConfig.at(kPeftMethodKey);
    PeftMethodConfig config;
    try {
        const std::string method = record.at("method").get<std::string>();
        if (method == "adapter") {
            config.method = PeftMethod::Adapter;
            const std::string type = record.at("adapter_type").get<std::string>();
            if (type != "houlsby" && type != "pfeiffer")
                throw Error(ErrorKind::InvalidInput, "adapter_type " + type + " is neither houlsby nor pfeiffer");
            config.adapterType = type == "houlsby" ? AdapterType::Houlsby : AdapterType::Pfeiffer;
            config.adapterReductionFactor = record.at("adapter_reduction_factor").get<std::int64_t>();
            config.adapterBottleneckSize = record.at("adapter_bottleneck_size").get<std::int64_t>();
            if (config.adapterBottleneckSize < 1)
                throw Error(ErrorKind::InvalidInput, "adapter_bottleneck_size must be at least 1");
        } else if (method == "prefix" || method == "prompt") {
            config.method = method == "prefix" ? PeftMethod::Prefix : PeftMethod::Prompt;
            config.numVirtualTokens = record.at("num_virtual_tokens").get<std::int64_t>();
            if (config.numVirtualTokens < 1)
                throw Error(ErrorKind::InvalidInput, "num_virtual_tokens must be at least 1");
            config.prefixProjection = record.value("prefix_projection", false);
            config.encoderHiddenSize = record.value("encoder_hidden_size", std::int64_t{0});
            config.promptInitText = record.value("prompt_tuning_init_text", "");
        } else {
            throw Error(ErrorKind::InvalidInput, "method '" + method + "' is not adapter, prefix or prompt");
        }
    } catch (const nlohmann::json::exception &e) {
        throw Error(ErrorKind::InvalidInput, source + ": " + kPeftMethodKey + ": " + e.what());
    } catch (const Error &e) {
        throw Error(ErrorKind::InvalidInput, source + ": " + kPeftMethodKey + ": " + e.what());
    }
    return config;
}

void recordPeftMethod(const fs::path &modelFolder, const PeftMethodConfig &config)
{
    const fs::path file = modelFolder / "config.json";
    nlohmann::ordered_json json = nlohmann::ordered_json::parse(JsonFile::read(file).root().dump());
    json[kPeftMethodKey] = peftMethodRecord(config);
    writeFileAtomically(file, json.dump(2) + "\n");
}

std::optional<LoadedClassifier> loadPeftMethodClassifier(const fs::path &folder, const ClassifierOptions &options)
{
    const fs::path configFile = folder / "config.json";
    const std::optional<PeftMethodConfig> method = peftMethodFromRecord(JsonFile::read(configFile).root(),
                                                                        configFile.string());
    if (!method)
        return std::nullopt;
    ClassifierOptions onCpu = options;
    onCpu.device = c10::Device(c10::kCPU); // built and loaded on the CPU, then moved
    LoadedClassifier loaded;
    loaded.model = makeScratchClassifier(configFile, onCpu);
    applyPeftMethod(*loaded.model, *method);
    const CheckpointTensors checkpoint = readCheckpointTensors(folder);
    loaded.model->loadState(checkpoint.tensors, checkpoint.source);
    // Trainable again, as any loaded model is: a run on top of this one decides what it trains.
    for (auto &item : loaded.model->module().named_parameters())
        item.value().set_requires_grad(true);
    loaded.model->module().to(options.device);
    loaded.model->module().eval();
    return loaded;
}

} // namespace ft
