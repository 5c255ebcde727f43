// tokenizer_config.h: the settings transformers keeps beside the vocabulary:
// tokenizer_config.json (do_lower_case, strip_accents, tokenize_chinese_chars,
// model_max_length, special tokens, added_tokens_decoder) and
// special_tokens_map.json, which wins where both name a special token.
#pragma once

#include "text/added_vocabulary.h"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace ft {

struct TokenizerConfig {
    std::optional<bool> doLowerCase;          // unset: the file does not say
    bool hasStripAccents = false;             // the key is present (null included)
    std::optional<bool> stripAccents;         // null: follow lower-casing
    std::optional<bool> tokenizeChineseChars;
    std::size_t modelMaxLength = 0;           // 0: absent, or transformers' "no limit" placeholder
    // Special tokens, with BertTokenizer's defaults; `special` is set, `id` is not.
    AddedToken unk{"[UNK]", -1, true};
    AddedToken sep{"[SEP]", -1, true};
    AddedToken pad{"[PAD]", -1, true};
    AddedToken cls{"[CLS]", -1, true};
    AddedToken mask{"[MASK]", -1, true};
    std::vector<AddedToken> additionalSpecial;
    std::vector<AddedToken> addedTokensDecoder; // with ids, from transformers >= 4.34 configs
};

// Reads the two files in `folder` where present; a folder with neither gives
// the defaults. Errors name the file and the JSON pointer.
TokenizerConfig readTokenizerConfig(const std::filesystem::path &folder);

} // namespace ft
