// vision_classifier.cpp
#include "models/vision_classifier.h"

#include "common/error.h"
#include "models/checkpoint.h"
#include "models/module_state.h"
#include "models/safetensors.h"
#include "models/vision_folder.h"
#include "text/json_file.h"

#include <ATen/ATen.h>

namespace fs = std::filesystem;

namespace ft {

namespace {

// What each family differs in; the rest is VisionClassifier's.
struct VitFamily {
    using Holder = VitForImageClassification;
    using Config = VitConfig;
    static constexpr const char *architecture = "ViTForImageClassification";
    static constexpr const char *embeddings = "vit.embeddings.";
    static constexpr const char *layers = "vit.encoder.layer.";
    static Config parse(const nlohmann::json &json, const std::string &source) { return vitConfigFromJson(json, source); }
    static int defaultSize(const Config &config) { return int(config.imageSize); }
};

struct ResNetFamily {
    using Holder = ResNetForImageClassification;
    using Config = ResNetConfig;
    static constexpr const char *architecture = "ResNetForImageClassification";
    static constexpr const char *embeddings = "resnet.embedder.";
    static constexpr const char *layers = "resnet.encoder.stages.";
    static Config parse(const nlohmann::json &json, const std::string &source)
    {
        return resNetConfigFromJson(json, source);
    }
    static int defaultSize(const Config &) { return 224; }
};

template <typename Family>
class VisionClassifier : public Classifier {
public:
    VisionClassifier(typename Family::Holder model, ImageProcessorConfig processor)
        : mModel(std::move(model)), mProcessor(std::move(processor))
    {
    }

    InputKind inputKind() const override { return InputKind::Image; }
    std::string architecture() const override { return Family::architecture; }
    std::vector<std::string> labels() const override { return mModel->config().id2label; }
    nlohmann::json configJson() const override
    {
        nlohmann::json config = toJson(mModel->config());
        config["architectures"] = {Family::architecture};
        return config;
    }
    torch::nn::Module &module() override { return *mModel; }
    at::Tensor logits(const TensorBatch &batch) override
    {
        if (!batch.pixelValues.defined())
            throw Error(ErrorKind::Incompatible, std::string(Family::architecture) + " classifies images, not text");
        return mModel->forward(batch.pixelValues).logits;
    }
    TensorMap state() const override { return moduleState(*mModel); }
    void loadState(const TensorMap &tensors, const std::string &source) override
    {
        const std::vector<std::string> unused = loadModuleState(*mModel, tensors, source);
        if (!unused.empty())
            throw Error(ErrorKind::Incompatible, source + ": tensor " + unused.front() + " is not part of this "
                                                     + Family::architecture + " (LoRA on a model without it?)");
    }
    void save(const fs::path &folder) const override
    {
        if constexpr (std::is_same_v<Family, VitFamily>)
            saveVit(*mModel, mProcessor, folder);
        else
            saveResNet(*mModel, mProcessor, folder);
    }
    void freeze(std::int64_t layers) override
    {
        freezeLowerLayers(*mModel, Family::embeddings, Family::layers, layers);
    }
    std::string peftTaskType() const override { return ""; }
    const ImageProcessorConfig *imageProcessor() const override { return &mProcessor; }
    const typename Family::Holder &holder() const { return mModel; }

private:
    typename Family::Holder mModel;
    ImageProcessorConfig mProcessor;
};

ImageProcessorConfig defaultProcessor(int size)
{
    ImageProcessorConfig processor;
    processor.type = "ViTImageProcessor";
    processor.height = processor.width = size;
    return processor;
}

ImageProcessorConfig processorIn(const fs::path &folder, int defaultSize)
{
    const fs::path file = folder / "preprocessor_config.json";
    return fs::exists(file) ? loadImageProcessorConfig(file) : defaultProcessor(defaultSize);
}

template <typename Family>
ClassifierPtr build(const nlohmann::json &document, const fs::path &configFile, const fs::path &weightsFolder,
                    const ClassifierOptions &options, std::vector<std::string> *initialised)
{
    typename Family::Config config = Family::parse(document, configFile.string());
    if (!options.labels.empty())
        config.id2label = options.labels;
    typename Family::Holder model(config);
    model->initWeights(options.seed);
    if (!weightsFolder.empty()) {
        CheckpointTensors weights = readCheckpointTensors(weightsFolder);
        // A head of another number of classes starts afresh, as transformers'
        // ignore_mismatched_sizes does: the fresh tensors go in place of the
        // checkpoint's.
        for (const auto &item : model->named_parameters()) {
            if (item.key().rfind("classifier.", 0) != 0)
                continue;
            const auto found = weights.tensors.find(item.key());
            if (found != weights.tensors.end() && found->second.sizes() == item.value().sizes())
                continue;
            weights.tensors[item.key()] = item.value().detach().clone();
            if (initialised)
                initialised->push_back(item.key());
        }
        loadModuleState(*model, weights.tensors, weights.source);
    }
    model->to(options.device);
    model->eval();
    return std::make_unique<VisionClassifier<Family>>(
        model, processorIn(weightsFolder.empty() ? configFile.parent_path() : weightsFolder,
                           Family::defaultSize(config)));
}

ClassifierPtr buildFor(const fs::path &configFile, const fs::path &weightsFolder,
                       const ClassifierOptions &options, std::vector<std::string> *initialised)
{
    const JsonFile file = JsonFile::read(configFile);
    const std::string type = file.string(file.root(), "", "model_type", "");
    if (type == "vit")
        return build<VitFamily>(file.root(), configFile, weightsFolder, options, initialised);
    if (type == "resnet")
        return build<ResNetFamily>(file.root(), configFile, weightsFolder, options, initialised);
    throw Error(ErrorKind::Incompatible, configFile.string() + ": model_type \"" + type
                                             + "\" is not an image classifier (vit or resnet)");
}

} // namespace

ClassifierPtr makeVitClassifier(VitForImageClassification model, ImageProcessorConfig processor)
{
    return std::make_unique<VisionClassifier<VitFamily>>(std::move(model), std::move(processor));
}

ClassifierPtr makeResNetClassifier(ResNetForImageClassification model, ImageProcessorConfig processor)
{
    return std::make_unique<VisionClassifier<ResNetFamily>>(std::move(model), std::move(processor));
}

const VitForImageClassificationImpl *vitOf(const Classifier &model)
{
    const auto *vit = dynamic_cast<const VisionClassifier<VitFamily> *>(&model);
    return vit ? vit->holder().get() : nullptr;
}

const ResNetForImageClassificationImpl *resNetOf(const Classifier &model)
{
    const auto *resnet = dynamic_cast<const VisionClassifier<ResNetFamily> *>(&model);
    return resnet ? resnet->holder().get() : nullptr;
}

ClassifierPtr loadVisionClassifier(const fs::path &folder, const ClassifierOptions &options,
                                   std::vector<std::string> *initialised)
{
    return buildFor(folder / "config.json", folder, options, initialised);
}

ClassifierPtr makeScratchVisionClassifier(const fs::path &configFile, const ClassifierOptions &options)
{
    return buildFor(configFile, {}, options, nullptr);
}

std::pair<int, int> processorOutputSize(const ImageProcessorConfig &p, const std::string &source)
{
    if (p.doCenterCrop)
        return {p.cropHeight, p.cropWidth};
    if (p.doResize && p.cropPct > 0)
        return {p.shortestEdge, p.shortestEdge};
    if (p.doResize && !p.shortestEdge)
        return {p.height, p.width};
    throw Error(ErrorKind::Incompatible, source + ": the image processor keeps each image's aspect ratio "
                                              "(size.shortest_edge without a crop), so images of a batch differ "
                                              "in size; training needs a fixed size (set do_center_crop and crop_size)");
}

} // namespace ft
