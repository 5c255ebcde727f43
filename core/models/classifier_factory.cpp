// classifier_factory.cpp
#include "models/classifier_factory.h"

#include "models/bert_classifier.h"
#include "models/causal_lm.h"
#include "models/checkpoint.h"
#include "models/model_family.h"
#include "models/peft_methods.h"
#include "models/text_classifier.h"
#include "models/vision_classifier.h"
#include "models/vision_config.h"

namespace fs = std::filesystem;

namespace ft {

InputKind inputKindOf(const fs::path &configFile)
{
    return isImageModelType(configModelType(configFile)) ? InputKind::Image : InputKind::Text;
}

LoadedClassifier loadClassifier(const fs::path &folder, const ClassifierOptions &options)
{
    // A run's model trained with adapters or virtual tokens: built with them, then loaded whole.
    if (std::optional<LoadedClassifier> withMethod = loadPeftMethodClassifier(folder, options))
        return std::move(*withMethod);
    LoadedClassifier result;
    if (options.causalLm) {
        LoadedCausalLm loaded = loadCausalLm(folder, options);
        result.initialised = loaded.report.initialized;
        result.model = std::move(loaded.model);
        return result;
    }
    if (inputKindOf(folder / "config.json") == InputKind::Image) {
        result.model = loadVisionClassifier(folder, options, &result.initialised);
        return result;
    }
    if (hasTextClassifier(configModelType(folder / "config.json"))) {
        LoadedTextClassifier loaded = loadTextClassifier(folder, options);
        result.initialised = loaded.report.initialized;
        result.model = std::move(loaded.model);
        return result;
    }
    LoadOptions load;
    load.labels = options.labels;
    load.ignoreMismatchedSizes = !options.labels.empty();
    load.seed = options.seed;
    load.device = options.device;
    LoadedBert loaded = loadBert(folder, load);
    result.initialised = loaded.report.initialized;
    result.model = std::make_unique<BertClassifier>(loaded.model);
    return result;
}

ClassifierPtr makeScratchClassifier(const fs::path &configFile, const ClassifierOptions &options)
{
    if (options.causalLm)
        return makeScratchCausalLm(configFile, options);
    if (inputKindOf(configFile) == InputKind::Image)
        return makeScratchVisionClassifier(configFile, options);
    if (hasTextClassifier(configModelType(configFile)))
        return makeScratchTextClassifier(configFile, options);
    BertConfig config = loadBertConfig(configFile);
    if (!options.labels.empty())
        config.setLabels(options.labels);
    BertForSequenceClassification model = makeScratchBert(config, options.seed);
    model->to(options.device);
    return std::make_unique<BertClassifier>(model);
}

} // namespace ft
