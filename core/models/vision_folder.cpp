// vision_folder.cpp: the files of a vision checkpoint folder.
#include "models/vision_folder.h"

#include "common/error.h"
#include "models/atomic_file.h"
#include "models/checkpoint.h"
#include "models/model_family.h"
#include "models/module_state.h"
#include "models/safetensors.h"
#include "text/json_file.h"

namespace fs = std::filesystem;

namespace ft {

namespace {

template <typename Loaded, typename Config, typename Model>
Loaded load(const fs::path &folder, Config (*parse)(const nlohmann::json &, const std::string &))
{
    const fs::path configFile = folder / "config.json";
    const Config config = parse(JsonFile::read(configFile).root(), configFile.string());
    Loaded loaded;
    loaded.model = Model(config);
    const CheckpointTensors weights = readCheckpointTensors(folder);
    loaded.unusedTensors = loadModuleState(*loaded.model, weights.tensors, weights.source);
    loaded.model->eval();
    loaded.processor = loadImageProcessorConfig(folder / "preprocessor_config.json");
    return loaded;
}

void save(const torch::nn::Module &model, nlohmann::json config, const char *architecture,
          const ImageProcessorConfig &processor, const fs::path &folder)
{
    fs::create_directories(folder);
    config["architectures"] = {architecture};
    config["torch_dtype"] = "float32";
    saveSafetensors(folder / "model.safetensors", moduleState(model));
    writeFileAtomically(folder / "config.json", config.dump(2) + "\n");
    saveImageProcessorConfig(processor, folder / "preprocessor_config.json");
}

} // namespace

std::string modelTypeOf(const fs::path &folder)
{
    return configModelType(folder / "config.json");
}

LoadedVit loadVit(const fs::path &folder)
{
    return load<LoadedVit, VitConfig, VitForImageClassification>(folder, vitConfigFromJson);
}

LoadedResNet loadResNet(const fs::path &folder)
{
    return load<LoadedResNet, ResNetConfig, ResNetForImageClassification>(folder, resNetConfigFromJson);
}

void saveVit(const VitForImageClassificationImpl &model, const ImageProcessorConfig &processor, const fs::path &folder)
{
    save(model, toJson(model.config()), "ViTForImageClassification", processor, folder);
}

void saveResNet(const ResNetForImageClassificationImpl &model, const ImageProcessorConfig &processor, const fs::path &folder)
{
    save(model, toJson(model.config()), "ResNetForImageClassification", processor, folder);
}

} // namespace ft
