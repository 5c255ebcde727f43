// model_family.cpp
#include "models/model_family.h"

#include "models/bert_config.h"
#include "models/gpt2_config.h"
#include "models/llama_config.h"
#include "models/peft_method_config.h"
#include "text/json_file.h"

#include <algorithm>

namespace ft {

std::string configModelType(const std::filesystem::path &configFile)
{
    const JsonFile file = JsonFile::read(configFile);
    return file.string(file.root(), "", "model_type", "");
}

std::int64_t configLayerCount(const nlohmann::json &config)
{
    for (const char *key : {"num_hidden_layers", "n_layers", "n_layer"})
        if (config.contains(key) && config[key].is_number_integer())
            return config[key].get<std::int64_t>();
    return 0;
}

TextModelShape readTextModelShape(const std::filesystem::path &configFile)
{
    TextModelShape shape;
    const JsonFile file = JsonFile::read(configFile);
    const std::string modelType = file.string(file.root(), "", "model_type", "");
    if (isGpt2ModelType(modelType)) {
        Gpt2Config config = loadGpt2Config(configFile);
        shape = {"gpt2", config.vocabSize, config.nPositions, config.id2label, config.problemType};
    } else if (isLlamaModelType(modelType)) {
        const LlamaConfig config = loadLlamaConfig(configFile);
        shape = {"llama", config.vocabSize, config.maxPositionEmbeddings, config.id2label, config.problemType};
    } else {
        const BertConfig config = loadBertConfig(configFile);
        shape = {config.modelType, config.vocabSize, config.maxSequenceLength(), config.id2label, config.problemType};
    }
    // A run trained with virtual tokens (models/peft_methods.h) leaves them fewer positions for the input.
    const auto method = file.root().find(kPeftMethodKey);
    if (method != file.root().end() && method->is_object())
        shape.maxLength -= std::max<std::int64_t>(0, method->value("num_virtual_tokens", std::int64_t{0}));
    return shape;
}

Tokenizer withModelPadding(const Tokenizer &tokenizer, const nlohmann::json &modelConfig)
{
    if (tokenizer.padId() >= 0 || !modelConfig.is_object())
        return tokenizer;
    const auto pad = modelConfig.find("pad_token_id");
    if (pad == modelConfig.end() || !pad->is_number_integer() || pad->get<std::int64_t>() < 0)
        return tokenizer;
    return tokenizer.withPadId(pad->get<std::int64_t>());
}

Tokenizer modelTokenizer(const std::filesystem::path &folder)
{
    const Tokenizer tokenizer = Tokenizer::fromFolder(folder);
    std::error_code error;
    if (tokenizer.padId() >= 0 || !std::filesystem::exists(folder / "config.json", error))
        return tokenizer;
    return withModelPadding(tokenizer, JsonFile::read(folder / "config.json").root());
}

const std::vector<ModelFamily> &modelFamilies()
{
    // modelType, displayName, images, methods, loraTargets, languageModel, distils
    static const std::vector<ModelFamily> families = {
        {"bert", "BERT", false, {"full", "freeze", "lora", "adapter", "prefix", "prompt"}, {"query", "value"}, false,
         true},
        // No prefix: PEFT passes prefix tuning's past keys and values, which DistilBERT does not take.
        {"distilbert", "DistilBERT", false, {"full", "freeze", "lora", "adapter", "prompt"}, {"q_lin", "v_lin"}, false,
         true},
        {"roberta", "RoBERTa", false, {"full", "freeze", "lora", "adapter", "prefix", "prompt"}, {"query", "value"},
         false, true},
        {"xlm-roberta", "XLM-RoBERTa", false, {"full", "freeze", "lora", "adapter", "prefix", "prompt"},
         {"query", "value"}, false, true},
        {"gpt2", "GPT-2", false, {"full", "freeze", "lora", "adapter", "prefix", "prompt"}, {"c_attn"}, true, true},
        {"llama", "Llama", false, {"full", "freeze", "lora", "adapter", "prefix", "prompt"}, {"q_proj", "v_proj"}, true,
         true},
        {"vit", "ViT", true, {"full", "freeze", "lora"}, {"query", "value"}},
        {"resnet", "ResNet", true, {"full", "freeze"}, {}},
    };
    return families;
}

const ModelFamily *findModelFamily(const std::string &modelType)
{
    for (const ModelFamily &family : modelFamilies())
        if (family.modelType == modelType)
            return &family;
    return nullptr;
}

std::vector<std::string> resolvedLoraTargets(const std::vector<std::string> &configured, const std::string &modelType)
{
    if (!configured.empty())
        return configured;
    const ModelFamily *family = findModelFamily(modelType);
    return family && !family->loraTargets.empty() ? family->loraTargets : std::vector<std::string>{"query", "value"};
}

} // namespace ft
