// model_family.cpp
#include "models/model_family.h"

namespace ft {

const std::vector<ModelFamily> &modelFamilies()
{
    static const std::vector<ModelFamily> families = {
        {"bert", "BERT", false, {"full", "freeze", "lora"}, {"query", "value"}},
        {"distilbert", "DistilBERT", false, {"full", "freeze", "lora"}, {"q_lin", "v_lin"}},
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
