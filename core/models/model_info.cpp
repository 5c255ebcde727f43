// model_info.cpp: a model folder summarised from config.json and the weight
// files' headers (safetensors JSON, the .bin's pickle); no tensor is read.
#include "models/model_info.h"

#include "common/error.h"
#include "models/bert_config.h"
#include "models/gpt2_config.h"
#include "models/pytorch_bin.h"
#include "models/safetensors_format.h"
#include "models/vision_config.h"
#include "text/json_file.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <set>

namespace ft {

namespace {

namespace fs = std::filesystem;

struct WeightSummary {
    std::int64_t values = 0;
    std::set<std::string> dtypes;
    bool classifier = false;

    void add(const std::string &name, const std::string &dtype, bool floating, std::int64_t numel)
    {
        classifier |= name.rfind("classifier.", 0) == 0;
        if (!floating)
            return; // buffers such as position_ids are not parameters
        values += numel;
        dtypes.insert(dtype);
    }
};

void addSafetensors(const fs::path &file, WeightSummary &summary)
{
    for (const safetensors::TensorInfo &info : safetensors::readHeader(file).tensors)
        summary.add(info.name, std::string(safetensors::dtypeName(info.dtype)), safetensors::isFloating(info.dtype),
                    info.numel());
}

std::string binDtypeName(at::ScalarType type)
{
    switch (type) {
    case at::kFloat: return "F32";
    case at::kHalf: return "F16";
    case at::kBFloat16: return "BF16";
    case at::kDouble: return "F64";
    default: return c10::toString(type);
    }
}

std::vector<fs::path> shardFiles(const fs::path &index)
{
    const JsonFile indexJson = JsonFile::read(index);
    const nlohmann::json &document = indexJson.root();
    std::set<std::string> names;
    if (document.is_object() && document.contains("weight_map") && document["weight_map"].is_object())
        for (const auto &[tensor, shard] : document["weight_map"].items())
            if (shard.is_string() && shard.get<std::string>().find('/') == std::string::npos)
                names.insert(shard.get<std::string>());
    if (names.empty())
        throw Error(ErrorKind::InvalidInput, index.string() + ": missing key 'weight_map' (tensor -> shard file)");
    std::vector<fs::path> files;
    for (const std::string &name : names)
        files.push_back(index.parent_path() / name);
    return files;
}

// The config's family, shape, size and labels: a text model (BERT's family, GPT-2) or an image classifier.
void describeConfig(const fs::path &file, ModelInfo &info)
{
    const JsonFile json = JsonFile::read(file);
    const std::string type = json.root().is_object() ? json.string(json.root(), "", "model_type", "") : "";
    const auto architectures = json.root().is_object() ? json.root().find("architectures") : json.root().end();
    if (isImageModelType(type)) {
        if (architectures != json.root().end() && architectures->is_array() && !architectures->empty()
            && architectures->front().is_string())
            info.architecture = architectures->front().get<std::string>();
        info.modelType = type;
        if (type == "vit") {
            const VitConfig config = vitConfigFromJson(json.root(), file.string());
            info.numParameters = parameterCount(config);
            info.hiddenSize = config.hiddenSize;
            info.numLayers = config.numHiddenLayers;
            info.numHeads = config.numAttentionHeads;
            info.imageSize = config.imageSize;
            info.labels = config.id2label;
        } else {
            const ResNetConfig config = resNetConfigFromJson(json.root(), file.string());
            info.numParameters = parameterCount(config);
            info.hiddenSize = config.hiddenSizes.back();
            for (const std::int64_t depth : config.depths)
                info.numLayers += depth;
            info.labels = config.id2label;
        }
        return;
    }
    if (isGpt2ModelType(type)) {
        const Gpt2Config config = Gpt2Config::fromJson(json.root(), file.string());
        info.modelType = type;
        info.architecture = config.architectures.empty() ? std::string() : config.architectures.front();
        info.numParameters = gpt2ParameterCount(config);
        info.vocabSize = config.vocabSize;
        info.hiddenSize = config.nEmbd;
        info.numLayers = config.nLayer;
        info.numHeads = config.nHead;
        info.maxPositions = config.nPositions;
        info.labels = config.id2label;
        return;
    }
    const BertConfig config = loadBertConfig(file);
    info.modelType = config.modelType;
    info.architecture = config.architectures.empty() ? std::string() : config.architectures.front();
    info.numParameters = bertParameterCount(config);
    info.vocabSize = config.vocabSize;
    info.hiddenSize = config.hiddenSize;
    info.numLayers = config.numHiddenLayers;
    info.numHeads = config.numAttentionHeads;
    info.maxPositions = config.maxSequenceLength();
    info.labels = config.id2label;
}

} // namespace

ModelInfo inspectModelFolder(const fs::path &folder)
{
    if (!fs::is_directory(folder))
        throw Error(ErrorKind::NotFound, folder.string() + " is not a folder");
    ModelInfo info;
    info.folder = folder;
    describeConfig(folder / "config.json", info);

    std::set<std::string> names;
    for (const auto &entry : fs::directory_iterator(folder))
        if (entry.is_regular_file())
            info.files.push_back({entry.path().filename().string(), entry.file_size()});
    std::sort(info.files.begin(), info.files.end(),
              [](const ModelFileInfo &a, const ModelFileInfo &b) { return a.name < b.name; });
    for (const ModelFileInfo &file : info.files)
        names.insert(file.name);
    info.hasTokenizer = names.count("vocab.txt") > 0 || names.count("tokenizer.json") > 0
        || names.count("sentencepiece.bpe.model") > 0;
    info.hasImageProcessor = names.count("preprocessor_config.json") > 0;

    WeightSummary summary;
    if (names.count("model.safetensors")) {
        info.weightsFormat = "safetensors";
        addSafetensors(folder / "model.safetensors", summary);
    } else if (names.count("model.safetensors.index.json")) {
        const std::vector<fs::path> shards = shardFiles(folder / "model.safetensors.index.json");
        info.weightsFormat = "safetensors (" + std::to_string(shards.size()) + " shards)";
        for (const fs::path &shard : shards)
            addSafetensors(shard, summary);
    } else if (names.count("pytorch_model.bin")) {
        info.weightsFormat = "pytorch_model.bin";
        for (const PytorchBinEntry &entry : readPytorchBinEntries(folder / "pytorch_model.bin")) {
            std::int64_t numel = 1;
            for (const std::int64_t dim : entry.shape)
                numel *= dim;
            summary.add(entry.name, binDtypeName(entry.dtype), c10::isFloatingType(entry.dtype), numel);
        }
    }
    info.checkpointParameters = summary.values;
    info.hasClassifier = summary.classifier;
    if (summary.dtypes.size() == 1) {
        info.dtype = *summary.dtypes.begin();
    } else if (!summary.dtypes.empty()) {
        info.dtype = "mixed (";
        for (const std::string &dtype : summary.dtypes)
            info.dtype += (info.dtype.back() == '(' ? "" : ", ") + dtype;
        info.dtype += ")";
    }
    return info;
}

} // namespace ft
