// model_family.cpp
#include "models/model_family.h"

#include "models/bert_config.h"
#include "models/gpt2_config.h"
#include "text/json_file.h"

namespace ft {

std::string configModelType(const std::filesystem::path &configFile)
{
    const JsonFile file = JsonFile::read(configFile);
    return file.string(file.root(), "", "model_type", "");
}

TextModelShape readTextModelShape(const std::filesystem::path &configFile)
{
    TextModelShape shape;
    if (isGpt2ModelType(configModelType(configFile))) {
        Gpt2Config config = loadGpt2Config(configFile);
        shape = {"gpt2", config.vocabSize, config.nPositions, config.id2label, config.problemType};
    } else {
        const BertConfig config = loadBertConfig(configFile);
        shape = {config.modelType, config.vocabSize, config.maxSequenceLength(), config.id2label, config.problemType};
    }
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
    static const std::vector<ModelFamily> families = {
        {"bert", "BERT", false, {"full", "freeze", "lora"}, {"query", "value"}},
        {"distilbert", "DistilBERT", false, {"full", "freeze", "lora"}, {"q_lin", "v_lin"}},
        {"roberta", "RoBERTa", false, {"full", "freeze", "lora"}, {"query", "value"}},
        {"xlm-roberta", "XLM-RoBERTa", false, {"full", "freeze", "lora"}, {"query", "value"}},
        {"gpt2", "GPT-2", false, {"full", "freeze", "lora"}, {"c_attn"}},
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
