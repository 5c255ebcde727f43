// sentencepiece_tokenizer_json.h: the tokenizer.json transformers' XLMRobertaConverter makes of an XLM-R
// sentencepiece.bpe.model, so an exported XLM-R folder carries the file Hugging Face's tokenizers (and the
// libraries built on them) load without the sentencepiece package:
//   model           Unigram over <s> <pad> </s> <unk> (ids 0-3, score 0), the model's pieces from its fourth
//                   on (spm id + 1, fairseq's offset) with their scores, <mask> last; unk_id 3
//   normalizer      Precompiled (the model's charsmap, base64), Strip (right), Replace(/ {2,}/, "▁")
//   pre_tokenizer,  Metaspace, "▁", prepend_scheme "always", split
//   decoder
//   post_processor  TemplateProcessing "<s> $A </s>" and "<s> $A </s> </s> $B </s>", token type 0
//   added_tokens    the model's control (special) and user-defined pieces, then <s> <pad> </s> <unk> and
//                   <mask> (lstrip), none normalized
// Read from the ModelProto with the project's own protobuf reader (text/proto_fields.h). Torch-free.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>

namespace ft {

// ft::Error naming the file: NotFound or Io when it cannot be read, InvalidInput when it is not a
// SentencePiece model, Incompatible when its model type is not Unigram (XLM-R's).
nlohmann::ordered_json xlmRobertaTokenizerJson(const std::filesystem::path &modelFile);

} // namespace ft
