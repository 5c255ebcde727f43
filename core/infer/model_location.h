// model_location.h: what `--model` may name where a fine-tuned classifier is
// expected: a Hugging Face model folder, or a project's run folder (runs/N)
// whose final model is in runs/N/model. Torch-free; reads only the folder listing.
#pragma once

#include <filesystem>

namespace ft {

// The model folder `given` names: `given` itself when it holds config.json,
// else `given`/model when that does (a run folder). Throws ft::Error:
// NotFound when the path does not exist, holds no config.json, or is a run
// without a final model yet; InvalidInput when it is a file. The message
// names the path and says what a model folder must hold.
std::filesystem::path resolveModelFolder(const std::filesystem::path &given);

} // namespace ft
