// model_validation.cpp: inspectModelFolder plus the loads that catch what
// headers alone cannot (a tokenizer that does not parse, a tensor of the
// wrong shape).
#include "models/model_validation.h"

#include "common/error.h"
#include "models/checkpoint.h"
#include "models/model_family.h"
#include "models/text_classifier.h"
#include "models/pickle_checkpoint.h"
#include "models/vision_classifier.h"
#include "models/vision_config.h"
#include "text/tokenizer.h"

namespace ft {

namespace {

std::uintmax_t safetensorsBytes(const ModelInfo &info)
{
    std::uintmax_t bytes = 0;
    for (const ModelFileInfo &file : info.files) // a .bin beside them is never read
        if (file.name.ends_with(".safetensors"))
            bytes += file.bytes;
    return bytes;
}

// The image processor must give every image one size (what training batches
// need); the weights are loaded onto the model when small enough.
ModelValidation validateImageClassifier(const std::filesystem::path &folder, ModelValidation result,
                                        std::uintmax_t fullLoadLimitBytes)
{
    const std::filesystem::path processorFile = folder / "preprocessor_config.json";
    if (std::filesystem::exists(processorFile))
        processorOutputSize(loadImageProcessorConfig(processorFile), processorFile.string());
    if (safetensorsBytes(result.info) <= fullLoadLimitBytes) {
        loadVisionClassifier(folder, {});
        result.weightsLoaded = true;
    }
    return result;
}

} // namespace

ModelValidation validateModelFolder(const std::filesystem::path &folder, std::uintmax_t fullLoadLimitBytes)
{
    // Before inspectModelFolder, which would read the pickle's tensor list.
    if (hasOnlyPickleWeights(folder))
        throw Error(ErrorKind::Incompatible, pickleRefusal(folder));
    ModelValidation result;
    result.info = inspectModelFolder(folder);
    const ModelInfo &info = result.info;
    if (info.weightsFormat.empty())
        throw Error(ErrorKind::NotFound, folder.string() + ": no weights found (looked for model.safetensors, "
                                                          "model.safetensors.index.json or pytorch_model.bin)");
    if (isImageModelType(info.modelType))
        return validateImageClassifier(folder, std::move(result), fullLoadLimitBytes);
    if (!info.hasTokenizer)
        throw Error(ErrorKind::NotFound, folder.string() + ": no tokenizer.json or vocab.txt");
    const Tokenizer tokenizer = Tokenizer::fromFolder(folder);
    result.tokenizerVocabSize = tokenizer.vocabSize();
    result.tokenizerMaxLength = tokenizer.modelMaxLength();
    // Ids past the embedding table would fail only on the first text that uses them.
    if (result.tokenizerVocabSize > info.vocabSize)
        throw Error(ErrorKind::InvalidInput, tokenizer.source().string() + ": the tokenizer has " +
                                                 std::to_string(result.tokenizerVocabSize) + " ids but config.json's "
                                                 "vocab_size is " + std::to_string(info.vocabSize));

    if (safetensorsBytes(info) <= fullLoadLimitBytes) {
        result.report =
            hasTextClassifier(configModelType(folder / "config.json")) ? loadTextClassifier(folder, {}).report
                                                                        : loadBert(folder).report;
        result.weightsLoaded = true;
    }
    return result;
}

} // namespace ft
