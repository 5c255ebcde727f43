// tokenizer_files.h: building a TokenizerModel from a checkpoint's files:
// tokenizer.json (the fast tokenizer's definition) or vocab.txt, each with
// the tokenizer_config.json and special_tokens_map.json beside it.
#pragma once

#include "text/tokenizer_model.h"

#include <filesystem>
#include <memory>

namespace ft {

struct TokenizerConfig;

// Both throw ft::Error naming the file and the line (vocab.txt) or JSON
// pointer (tokenizer.json) at fault: NotFound for a missing file,
// InvalidInput for content we cannot use, Incompatible for a tokenizer type
// other than BERT WordPiece.
std::shared_ptr<const TokenizerModel> loadTokenizerJson(const std::filesystem::path &file);
std::shared_ptr<const TokenizerModel> loadVocabFile(const std::filesystem::path &file);

// Sets the pad/cls/sep/mask ids and model_max_length from the config.
void applyTokenizerConfig(const TokenizerConfig &config, TokenizerModel &model);

} // namespace ft
