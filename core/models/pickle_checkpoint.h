// pickle_checkpoint.h: the one way a pytorch_model.bin reaches a model.
// The file is a Python pickle, a format that can carry code (Python's
// torch.load runs it). models/pytorch_bin.h reads only tensors from it and
// runs nothing, yet a pickle is still read only with the user's consent, and
// once: it is converted into a new safetensors checkpoint folder, and every
// later load reads that. Loading a folder whose only weights are a pickle
// (WeightsFormat::Auto) is refused with pickleRefusal's message. Torch-free.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace ft {

inline constexpr const char *kPickleWeightsName = "pytorch_model.bin";
// Written into a converted folder: where its weights came from.
inline constexpr const char *kConversionRecordName = "finetune_conversion.json";
// What a refusal tells the user to do when no caller-specific advice fits.
inline constexpr const char *kPickleImportAdvice =
    "import it once with `finetune model import FOLDER --project PROJECT --allow-pickle`, which converts it to "
    "model.safetensors inside the project, and use the imported model";

// Whether the folder's only weights are pytorch_model.bin: it has no
// model.safetensors and no model.safetensors.index.json. Reads no file.
bool hasOnlyPickleWeights(const std::filesystem::path &folder);

// Why `folder`'s pickle is not read without consent, and `howToAllow`.
std::string pickleRefusal(const std::filesystem::path &folder, const std::string &howToAllow = kPickleImportAdvice);

struct PickleConversion {
    std::filesystem::path folder;    // the new checkpoint folder
    std::filesystem::path source;    // the pytorch_model.bin read
    std::string sourceSha256;        // of that file
    std::size_t tensors = 0;
    std::vector<std::string> copied; // files copied beside model.safetensors (config.json, tokenizer files)
};

// Reads `from`/pytorch_model.bin once (models/pytorch_bin.h: tensors only,
// nothing executed) and makes `to`, which must not exist, a complete
// safetensors checkpoint: model.safetensors (every tensor under its stored
// name and dtype), config.json, the tokenizer files, and the conversion
// record. The folder is built under a temporary name beside `to` and renamed
// into place only after `check` (when given) accepted it, so `to` is either
// complete or absent. `from` is only read. Errors name the files of `from`,
// also those `check` throws about the staged copy (ft::Error, same kind).
PickleConversion convertPickleCheckpoint(const std::filesystem::path &from, const std::filesystem::path &to,
                                         const std::function<void(const std::filesystem::path &staged)> &check = {});

struct ConversionRecord {
    std::filesystem::path sourceFolder; // empty: the folder was not converted by us
    std::string sourceSha256;
};

// The conversion record of `folder` (empty when it has none or it is unreadable).
ConversionRecord conversionRecord(const std::filesystem::path &folder);

} // namespace ft
