// tokenizer_export.h: the tokenizer files an exported BERT model ships with,
// complete: transformers loads a model folder's tokenizer from vocab.txt +
// tokenizer_config.json, but ONNX Runtime and LibTorch users and the fast
// tokenizers want tokenizer.json, and pipelines look for special_tokens_map.json.
// A base model may lack some (the sample's scratch model has only the first
// two); the missing ones are written from the vocabulary and the settings,
// as transformers' BertTokenizerFast conversion writes them. Torch-free.
#pragma once

#include <filesystem>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

namespace ft {

// tokenizer.json for the WordPiece tokenizer of `folder` (vocab.txt and
// tokenizer_config.json / special_tokens_map.json): BertNormalizer,
// BertPreTokenizer, WordPiece, [CLS] A [SEP] (B [SEP]) and the special
// tokens as added tokens. Throws ft::Error naming the file when vocab.txt is
// missing or lacks a special token the template needs.
nlohmann::ordered_json bertTokenizerJson(const std::filesystem::path &folder);

// Writes whichever of tokenizer.json, special_tokens_map.json and
// tokenizer_config.json `folder` lacks (the last also gains tokenizer_class
// and the special tokens when it lacks them; keys it has are kept). A
// byte-level BPE folder (GPT-2, RoBERTa) keeps its files and gains only
// special_tokens_map.json and the pad token its model pads with; an XLM-R
// folder keeps sentencepiece.bpe.model and gains the tokenizer.json
// transformers converts it to (export/sentencepiece_tokenizer_json.h),
// special_tokens_map.json and tokenizer_class XLMRobertaTokenizer. Returns
// the names of the files written or completed.
std::vector<std::string> completeTokenizerFiles(const std::filesystem::path &folder);

} // namespace ft
