// text_classifier.cpp
#include "models/text_classifier.h"

#include "common/error.h"
#include "models/encoder_checkpoint.h"
#include "models/module_state.h"
#include "models/model_family.h"
#include "text/json_file.h"

#include <ATen/ATen.h>

namespace fs = std::filesystem;

namespace ft {

namespace {

// What each family differs in; the rest is TextClassifier's.
struct DistilBertFamily {
    using Holder = DistilBertForSequenceClassification;
    static const EncoderLayout &layout()
    {
        static const EncoderLayout layout{"distilbert.", {"embeddings.", "transformer."}, {"pre_classifier.", "classifier."}};
        return layout;
    }
    static constexpr const char *embeddings = "distilbert.embeddings.";
    static constexpr const char *layers = "distilbert.transformer.layer.";
    static std::string architecture(const Holder &) { return "DistilBertForSequenceClassification"; }
    static at::Tensor logits(Holder &model, const TensorBatch &batch)
    {
        return model->forward(batch.inputIds, batch.attentionMask).logits;
    }
};

struct Gpt2Family {
    using Holder = Gpt2ForSequenceClassification;
    static const EncoderLayout &layout()
    {
        static const EncoderLayout layout{"transformer.", {"wte.", "wpe.", "h.", "ln_f."}, {"score."}};
        return layout;
    }
    static constexpr const char *embeddings = "transformer.w"; // wte and wpe
    static constexpr const char *layers = "transformer.h.";
    static std::string architecture(const Holder &) { return "GPT2ForSequenceClassification"; }
    static at::Tensor logits(Holder &model, const TensorBatch &batch)
    {
        return model->forward(batch.inputIds, batch.attentionMask).logits;
    }
};

struct LlamaFamily {
    using Holder = LlamaForSequenceClassification;
    static const EncoderLayout &layout()
    {
        static const EncoderLayout layout{"model.", {"embed_tokens.", "layers.", "norm."}, {"score."}};
        return layout;
    }
    static constexpr const char *embeddings = "model.embed_tokens.";
    static constexpr const char *layers = "model.layers.";
    static std::string architecture(const Holder &) { return "LlamaForSequenceClassification"; }
    static at::Tensor logits(Holder &model, const TensorBatch &batch)
    {
        return model->forward(batch.inputIds, batch.attentionMask).logits;
    }
};

struct RobertaFamily {
    using Holder = RobertaForSequenceClassification;
    static const EncoderLayout &layout()
    {
        static const EncoderLayout layout{"roberta.", {"embeddings.", "encoder."}, {"classifier."}};
        return layout;
    }
    static constexpr const char *embeddings = "roberta.embeddings.";
    static constexpr const char *layers = "roberta.encoder.layer.";
    static std::string architecture(const Holder &model) { return model->architecture(); }
    static at::Tensor logits(Holder &model, const TensorBatch &batch)
    {
        return model->forward(batch.inputIds, batch.attentionMask, batch.tokenTypeIds).logits;
    }
};

template <typename Family>
class TextClassifier : public Classifier {
public:
    explicit TextClassifier(typename Family::Holder model) : mModel(std::move(model)) {}

    InputKind inputKind() const override { return InputKind::Text; }
    std::string architecture() const override { return Family::architecture(mModel); }
    std::vector<std::string> labels() const override { return mModel->config().id2label; }
    nlohmann::json configJson() const override
    {
        nlohmann::json config = mModel->config().toJson();
        config["architectures"] = {architecture()};
        return config;
    }
    torch::nn::Module &module() override { return *mModel; }
    at::Tensor logits(const TensorBatch &batch) override
    {
        if (!batch.inputIds.defined())
            throw Error(ErrorKind::Incompatible, architecture() + " classifies text, not images");
        return Family::logits(mModel, batch);
    }
    TensorMap state() const override { return moduleState(*mModel); }
    void loadState(const TensorMap &tensors, const std::string &source) override
    {
        loadWholeModuleState(*mModel, tensors, source, architecture());
    }
    void save(const fs::path &folder) const override { saveModuleFolder(*mModel, configJson(), folder); }
    void freeze(std::int64_t layers) override
    {
        freezeLowerLayers(*mModel, Family::embeddings, Family::layers, layers);
    }
    std::string peftTaskType() const override { return "SEQ_CLS"; }

    typename Family::Holder &holder() { return mModel; }

private:
    typename Family::Holder mModel;
};

template <typename Family, typename Config>
ClassifierPtr build(const Config &config, const ClassifierOptions &options)
{
    typename Family::Holder model(config);
    model->initWeights(options.seed);
    model->to(options.device);
    return std::make_unique<TextClassifier<Family>>(model);
}

} // namespace

bool hasTextClassifier(const std::string &modelType)
{
    return modelType == "distilbert" || modelType == "roberta" || modelType == "xlm-roberta"
           || isGpt2ModelType(modelType) || isLlamaModelType(modelType);
}

ClassifierPtr makeScratchTextClassifier(const nlohmann::json &json, const std::string &source,
                                       const ClassifierOptions &options)
{
    const std::string modelType = json.is_object() ? json.value("model_type", "") : "";
    if (isLlamaModelType(modelType)) {
        LlamaConfig config = LlamaConfig::fromJson(json, source);
        if (!options.labels.empty())
            config.id2label = options.labels;
        if (!config.padTokenId && !config.eosTokenIds.empty()) // as for GPT-2: pad with the end of text
            config.padTokenId = config.eosTokenIds.front();
        return build<LlamaFamily>(config, options);
    }
    if (isGpt2ModelType(modelType)) {
        Gpt2Config config = Gpt2Config::fromJson(json, source);
        if (!options.labels.empty())
            config.id2label = options.labels;
        if (!config.padTokenId) // transformers' recipe for classifying with GPT-2
            config.padTokenId = config.eosTokenId;
        return build<Gpt2Family>(config, options);
    }
    BertConfig config = BertConfig::fromJson(json, source);
    if (!options.labels.empty())
        config.setLabels(options.labels);
    return makeTextClassifier(config, options);
}

ClassifierPtr makeScratchTextClassifier(const fs::path &configFile, const ClassifierOptions &options)
{
    return makeScratchTextClassifier(JsonFile::read(configFile).root(), configFile.string(), options);
}

ClassifierPtr makeTextClassifier(const BertConfig &config, const ClassifierOptions &options)
{
    if (config.isDistilBert())
        return build<DistilBertFamily>(config, options);
    if (config.isRoberta())
        return build<RobertaFamily>(config, options);
    throw Error(ErrorKind::Internal, "model_type " + config.modelType + " has no text classifier here");
}

LoadedTextClassifier loadTextClassifier(const fs::path &folder, const ClassifierOptions &options)
{
    LoadedTextClassifier loaded;
    ClassifierOptions onCpu = options;
    onCpu.device = c10::Device(c10::kCPU); // loaded on the CPU, then moved
    loaded.model = makeScratchTextClassifier(folder / "config.json", onCpu);
    const EncoderLayout &layout = distilBertOf(*loaded.model) ? DistilBertFamily::layout()
                                  : robertaOf(*loaded.model)  ? RobertaFamily::layout()
                                  : llamaOf(*loaded.model)    ? LlamaFamily::layout()
                                                              : Gpt2Family::layout();
    loaded.report = loadEncoderCheckpoint(loaded.model->module(), folder, layout);
    loaded.model->module().to(options.device);
    loaded.model->module().eval();
    return loaded;
}

DistilBertForSequenceClassificationImpl *distilBertOf(Classifier &model)
{
    auto *family = dynamic_cast<TextClassifier<DistilBertFamily> *>(&model);
    return family ? family->holder().get() : nullptr;
}

RobertaForSequenceClassificationImpl *robertaOf(Classifier &model)
{
    auto *family = dynamic_cast<TextClassifier<RobertaFamily> *>(&model);
    return family ? family->holder().get() : nullptr;
}

Gpt2ForSequenceClassificationImpl *gpt2Of(Classifier &model)
{
    auto *family = dynamic_cast<TextClassifier<Gpt2Family> *>(&model);
    return family ? family->holder().get() : nullptr;
}

LlamaForSequenceClassificationImpl *llamaOf(Classifier &model)
{
    auto *family = dynamic_cast<TextClassifier<LlamaFamily> *>(&model);
    return family ? family->holder().get() : nullptr;
}

} // namespace ft
