// causal_lm_data.h: a dataset of prompt/response pairs (an example's text and
// pair text) as a causal language model's training data: each example is
// the prompt with the tokenizer's special tokens, then the response and the
// end-of-text token, and the loss counts the response tokens only. An example
// without a pair text is plain text, every token of it a target.
#pragma once

#include "store/datasets.h"
#include "train/encoded_split.h"
#include "train/run_data.h"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

namespace ft {

class Classifier;
class Project;
class Tokenizer;
struct RunConfig;

// The ids the model sees for a prompt before its response: what generation starts from too.
std::vector<std::int64_t> promptIds(const Tokenizer &tokenizer, std::string_view prompt);

// Encodes `examples` to at most `maxLength` tokens: a long prompt keeps its
// last maxLength / 2 tokens (its leading special token kept), the response
// fills the rest and is cut at its end. `eosId` ends each response (-1: none).
EncodedSplit encodeCausalLmSplit(const Tokenizer &tokenizer, std::span<const Example> examples, std::int64_t maxLength,
                                 std::int64_t eosId);

// The token that ends a response: the tokenizer's end of text, else the
// model config's eos_token_id (the first of a list), else -1.
std::int64_t endOfTextId(const Tokenizer &tokenizer, const nlohmann::json &modelConfig);

// The run's train, validation and test splits, tokenised by the tokenizer in
// `tokenizerFolder`. Throws ft::Error when the dataset holds images or its
// train split has no text.
RunData prepareCausalLmData(Project &project, std::int64_t datasetId, const std::string &datasetName,
                            const Classifier &model, const std::filesystem::path &tokenizerFolder,
                            const RunConfig &config);

} // namespace ft
