// model_validation.cpp: inspectModelFolder plus the loads that catch what
// headers alone cannot (a tokenizer that does not parse, a tensor of the
// wrong shape).
#include "models/model_validation.h"

#include "common/error.h"
#include "models/checkpoint.h"
#include "models/pickle_checkpoint.h"
#include "text/tokenizer.h"

namespace ft {

ModelValidation validateModelFolder(const std::filesystem::path &folder, std::uintmax_t fullLoadLimitBytes)
{
    // Before inspectModelFolder, which would read the pickle's tensor list.
    if (hasOnlyPickleWeights(folder))
        throw Error(ErrorKind::Incompatible, pickleRefusal(folder));
    ModelValidation result;
    result.info = inspectModelFolder(folder);
    const ModelInfo &info = result.info;
    if (info.modelType != "bert") // model info describes image classifiers; a project trains text ones for now
        throw Error(ErrorKind::Incompatible,
                    folder.string() + ": a " + info.modelType + " image classifier cannot be added to a project yet "
                                                                 "(training supports text models: bert); `finetune "
                                                                 "predict` and `finetune model info` take it as it is");
    if (info.weightsFormat.empty())
        throw Error(ErrorKind::NotFound, folder.string() + ": no weights found (looked for model.safetensors, "
                                                          "model.safetensors.index.json or pytorch_model.bin)");
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

    std::uintmax_t weightBytes = 0;
    for (const ModelFileInfo &file : info.files) // a .bin beside them is never read
        if (file.name.ends_with(".safetensors"))
            weightBytes += file.bytes;
    if (weightBytes <= fullLoadLimitBytes) {
        result.report = loadBert(folder).report;
        result.weightsLoaded = true;
    }
    return result;
}

} // namespace ft
