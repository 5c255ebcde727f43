// tokenizer_config.h: the settings transformers keeps beside the vocabulary:
// tokenizer_config.json (tokenizer_class, do_lower_case, strip_accents,
// tokenize_chinese_chars, add_prefix_space, model_max_length, special tokens,
// added_tokens_decoder) and special_tokens_map.json, which wins where both
// name a special token.
#pragma once

#include "text/added_vocabulary.h"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace ft {

// The tokenizer classes of transformers whose special-token defaults apply
// where the files name none: BertTokenizer, GPT2Tokenizer, RobertaTokenizer.
enum class TokenizerFamily { Bert, Gpt2, Roberta };

struct TokenizerConfig {
    TokenizerFamily family = TokenizerFamily::Bert; // whose defaults were filled in
    std::string tokenizerClass;               // e.g. "GPT2Tokenizer"; empty when absent
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
    AddedToken bos{"", -1, true}; // empty content: the tokenizer has none
    AddedToken eos{"", -1, true};
    std::vector<AddedToken> additionalSpecial;
    std::vector<AddedToken> addedTokensDecoder; // with ids, from transformers >= 4.34 configs
    // Byte-level BPE; unset where the file does not say.
    std::optional<bool> addPrefixSpace;
    std::optional<bool> trimOffsets;
    std::optional<bool> addBosToken; // GPT-2: start every text with bos_token

    // A family's defaults: BERT's [UNK] [SEP] [PAD] [CLS] [MASK]; GPT-2's
    // <|endoftext|> as unk, bos and eos and nothing else (no pad token);
    // RoBERTa's <s> (bos, cls), </s> (eos, sep), <unk>, <pad> and <mask>
    // (which takes the spaces before it, lstrip).
    static TokenizerConfig defaults(TokenizerFamily family);
};

// Reads the two files in `folder` where present, over `defaults` (BERT's
// unless given); a folder with neither gives the defaults. Errors name the
// file and the JSON pointer.
TokenizerConfig readTokenizerConfig(const std::filesystem::path &folder);
TokenizerConfig readTokenizerConfig(const std::filesystem::path &folder, const TokenizerConfig &defaults);

// The config of a byte-level BPE tokenizer: over RoBERTa's defaults when
// tokenizer_class is a RoBERTa-style class (Roberta*, Bart*, Longformer*),
// or when there is no class and the files name <s> as bos or cls token, or
// name no bos, eos, cls or sep token and `robertaLike` (the vocabulary or
// post-processor looks like RoBERTa's); over GPT-2's otherwise.
TokenizerConfig readByteLevelTokenizerConfig(const std::filesystem::path &folder, bool robertaLike);

} // namespace ft
