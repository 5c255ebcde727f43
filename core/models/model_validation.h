// model_validation.h: the checks a model folder passes before a project
// registers it (`finetune model import`, the studio's import page): config,
// weight headers, the tokenizer (text) or image processor (images) really
// loaded, and for checkpoints small enough the weights themselves mapped onto
// the model. Torch-free.
#pragma once

#include "models/load_report.h"
#include "models/model_info.h"

#include <cstdint>
#include <filesystem>

namespace ft {

struct ModelValidation {
    ModelInfo info;
    std::int64_t tokenizerVocabSize = 0;    // text classifiers
    std::size_t tokenizerMaxLength = 0; // model_max_length; 0 when tokenizer_config.json does not say
    bool weightsLoaded = false;         // every tensor was read and checked against the config
    LoadReport report;                  // when weightsLoaded: what loading did (missing heads, unused tensors)
};

// Weight files up to this size are loaded in full to check every tensor's
// name and shape; larger ones only have their headers checked.
inline constexpr std::uintmax_t kFullLoadLimitBytes = 512ull * 1024 * 1024;

// Throws ft::Error naming the file at fault: NotFound for a missing folder,
// config, weights or tokenizer; InvalidInput for malformed files or tensors
// that do not fit the config; Incompatible for unsupported model types and
// for a folder whose only weights are a pickle (models/pickle_checkpoint.h:
// convert it first, with the user's consent).
ModelValidation validateModelFolder(const std::filesystem::path &folder,
                                    std::uintmax_t fullLoadLimitBytes = kFullLoadLimitBytes);

} // namespace ft
