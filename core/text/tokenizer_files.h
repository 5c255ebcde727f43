// tokenizer_files.h: building a TokenizerModel from a checkpoint's files:
// tokenizer.json (the fast tokenizer's definition), vocab.txt (BERT),
// vocab.json + merges.txt (GPT-2, RoBERTa) or sentencepiece.bpe.model
// (XLM-R), each with the tokenizer_config.json and special_tokens_map.json
// beside it.
#pragma once

#include "text/tokenizer_model.h"

#include <nlohmann/json_fwd.hpp>

#include <filesystem>
#include <memory>
#include <string>

namespace ft {

class JsonFile;
struct TokenizerConfig;

// All throw ft::Error naming the file and the line (vocab.txt, merges.txt)
// or JSON pointer (tokenizer.json, vocab.json) at fault: NotFound for a
// missing file, InvalidInput for content we cannot use, Incompatible for a
// tokenizer other than BERT WordPiece or GPT-2-style byte-level BPE.
std::shared_ptr<const TokenizerModel> loadTokenizerJson(const std::filesystem::path &file);
std::shared_ptr<const TokenizerModel> loadVocabFile(const std::filesystem::path &file);
// As transformers' GPT2Tokenizer and RobertaTokenizer read them (then
// converted to their fast form): the RoBERTa template for a RoBERTa-style
// config (see readByteLevelTokenizerConfig), none for GPT-2.
std::shared_ptr<const TokenizerModel> loadBpeVocabFiles(const std::filesystem::path &vocabJson,
                                                        const std::filesystem::path &merges);
// As transformers' XLMRobertaTokenizer and XLMRobertaTokenizerFast read it
// (sentencepiece_tokenizer.cpp): fairseq's ids, <s> A </s> and
// <s> A </s></s> B </s>. Incompatible when tokenizer_config.json names a
// class other than XLM-R's (CamembertTokenizer numbers the same file apart).
std::shared_ptr<const TokenizerModel> loadSentencePieceModel(const std::filesystem::path &file);

// Sets the pad/cls/sep/mask/bos/eos ids and model_max_length from the config.
void applyTokenizerConfig(const TokenizerConfig &config, TokenizerModel &model);

// A vocabulary written as a JSON object of token -> id (tokenizer.json's
// /model/vocab, vocab.json), whose errors name `pointer`/token.
Vocab readJsonVocab(const JsonFile &file, const nlohmann::json &entries, const std::string &pointer);

} // namespace ft
