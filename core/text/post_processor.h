// post_processor.h: the template that wraps the word pieces of one text, or
// a pair, in special tokens ([CLS] A [SEP] / [CLS] A [SEP] B [SEP]) and gives
// each part its token type (HF's TemplateProcessing, BertProcessing,
// RobertaProcessing and ByteLevel), and whether it trims byte-level spans.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ft {

struct TemplateItem {
    int sequence = -1;              // 0 for $A, 1 for $B; -1 for special tokens
    std::string name;               // the special token's name in the template, e.g. "[CLS]"
    std::vector<std::int32_t> ids;  // the special token's ids
    std::int32_t typeId = 0;        // token_type_id of everything this item adds
};

struct PostProcessor {
    std::vector<TemplateItem> single;
    std::vector<TemplateItem> pair;
    // Byte-level BPE: leading and trailing spaces ("Ġ") of a token leave
    // its span (HF's trim_offsets), except, with addPrefixSpace, the one
    // space the pre-tokenizer added before a text's first token.
    bool trimOffsets = false;
    bool addPrefixSpace = false;

    // What a WordPiece tokenizer.json without a post_processor does here: no
    // special tokens, both texts with type 0.
    static PostProcessor plain();
    // BERT's template: [CLS] $A [SEP] and [CLS] $A [SEP] $B:1 [SEP]:1.
    static PostProcessor bert(const std::string &cls, std::int32_t clsId, const std::string &sep, std::int32_t sepId);
    // HF's ByteLevel post-processor, which is also what a byte-level BPE
    // tokenizer.json without one does: no special tokens, the pair text of
    // token type 1.
    static PostProcessor byteLevel(bool trimOffsets, bool addPrefixSpace);
    // RoBERTa's: <s> $A </s> and <s> $A </s> </s> $B </s>, all of type 0.
    static PostProcessor roberta(const std::string &cls, std::int32_t clsId, const std::string &sep,
                                 std::int32_t sepId, bool trimOffsets, bool addPrefixSpace);

    // How many special tokens the template adds to one text or to a pair.
    std::size_t addedTokens(bool isPair) const;
};

} // namespace ft
