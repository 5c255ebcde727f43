// causal_lm.cpp
#include "models/causal_lm.h"

#include "common/error.h"
#include "models/encoder_checkpoint.h"
#include "models/gpt2_model.h"
#include "models/llama_model.h"
#include "models/model_family.h"
#include "models/module_state.h"

#include <ATen/ATen.h>

namespace fs = std::filesystem;

namespace ft {

namespace {

struct LlamaLm {
    using Holder = LlamaForCausalLM;
    using Config = LlamaConfig;
    static Config load(const fs::path &file) { return loadLlamaConfig(file); }
    static const EncoderLayout &layout()
    {
        static const EncoderLayout layout{"model.", {"embed_tokens.", "layers.", "norm."}, {"lm_head."}};
        return layout;
    }
    static constexpr const char *architecture = "LlamaForCausalLM";
    static constexpr const char *embeddings = "model.embed_tokens.";
    static constexpr const char *layers = "model.layers.";
};

struct Gpt2Lm {
    using Holder = Gpt2LmHeadModel;
    using Config = Gpt2Config;
    static Config load(const fs::path &file) { return loadGpt2Config(file); }
    static const EncoderLayout &layout()
    {
        static const EncoderLayout layout{"transformer.", {"wte.", "wpe.", "h.", "ln_f."}, {}};
        return layout;
    }
    static constexpr const char *architecture = "GPT2LMHeadModel";
    static constexpr const char *embeddings = "transformer.w"; // wte and wpe
    static constexpr const char *layers = "transformer.h.";
};

template <typename Family>
class CausalLm : public Classifier {
public:
    explicit CausalLm(typename Family::Holder model) : mModel(std::move(model)) {}

    InputKind inputKind() const override { return InputKind::Text; }
    std::string architecture() const override { return Family::architecture; }
    std::vector<std::string> labels() const override { return {}; }
    nlohmann::json configJson() const override
    {
        nlohmann::json config = mModel->config().toJson();
        config.erase("id2label"); // a language model has no classes
        config.erase("label2id");
        config["architectures"] = {architecture()};
        return config;
    }
    torch::nn::Module &module() override { return *mModel; }
    at::Tensor logits(const TensorBatch &batch) override
    {
        if (!batch.inputIds.defined())
            throw Error(ErrorKind::Incompatible, architecture() + " reads text, not images");
        return mModel->forward(batch.inputIds, batch.attentionMask);
    }
    TensorMap state() const override { return moduleState(*mModel); }
    void loadState(const TensorMap &tensors, const std::string &source) override
    {
        loadWholeModuleState(*mModel, tensors, source, architecture());
    }
    void save(const fs::path &folder) const override { saveModuleFolder(*mModel, configJson(), folder); }
    // The embeddings and the lowest `layers` blocks; "all but the head" has no
    // meaning for a head that is (or reads like) the embedding, so -1 is refused.
    void freeze(std::int64_t layers) override
    {
        if (layers < 0)
            throw Error(ErrorKind::InvalidInput, "freeze_layers -1 (all but the classification head) does not apply "
                                                 "to " + architecture() + "; name the number of blocks to freeze");
        freezeLowerLayers(*mModel, Family::embeddings, Family::layers, layers);
    }
    std::string peftTaskType() const override { return "CAUSAL_LM"; }

    typename Family::Holder &holder() { return mModel; }

private:
    typename Family::Holder mModel;
};

template <typename Family>
ClassifierPtr build(const fs::path &configFile, const ClassifierOptions &options)
{
    typename Family::Holder model(Family::load(configFile));
    model->initWeights(options.seed);
    model->to(options.device);
    return std::make_unique<CausalLm<Family>>(model);
}

} // namespace

bool hasCausalLm(const std::string &modelType)
{
    return isLlamaModelType(modelType) || isGpt2ModelType(modelType);
}

ClassifierPtr makeScratchCausalLm(const fs::path &configFile, const ClassifierOptions &options)
{
    const std::string modelType = configModelType(configFile);
    if (isLlamaModelType(modelType))
        return build<LlamaLm>(configFile, options);
    if (isGpt2ModelType(modelType))
        return build<Gpt2Lm>(configFile, options);
    throw Error(ErrorKind::Incompatible, configFile.string() + ": model_type \"" + modelType
                                             + "\" has no causal language model here (llama and gpt2 have)");
}

LoadedCausalLm loadCausalLm(const fs::path &folder, const ClassifierOptions &options)
{
    LoadedCausalLm loaded;
    ClassifierOptions onCpu = options;
    onCpu.device = c10::Device(c10::kCPU); // loaded on the CPU, then moved
    loaded.model = makeScratchCausalLm(folder / "config.json", onCpu);
    const EncoderLayout &layout = llamaCausalLmOf(*loaded.model) ? LlamaLm::layout() : Gpt2Lm::layout();
    loaded.report = loadEncoderCheckpoint(loaded.model->module(), folder, layout);
    loaded.model->module().to(options.device);
    loaded.model->module().eval();
    return loaded;
}

LlamaForCausalLMImpl *llamaCausalLmOf(Classifier &model)
{
    auto *family = dynamic_cast<CausalLm<LlamaLm> *>(&model);
    return family ? family->holder().get() : nullptr;
}

Gpt2LmHeadModelImpl *gpt2LmOf(Classifier &model)
{
    auto *family = dynamic_cast<CausalLm<Gpt2Lm> *>(&model);
    return family ? family->holder().get() : nullptr;
}

} // namespace ft
