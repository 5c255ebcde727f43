// fuzz_targets.h: every fuzz target as a plain function, so the libFuzzer
// binaries (fuzz_<name>.cpp's entry point) and FuzzRegressionsTest run the
// same code. Each feeds the bytes to the entry point the app uses, swallows
// ft::Error (the clean answer to bad input) and lets anything else escape: a
// std exception, InvariantBroken, or a sanitizer report is a finding.
#pragma once

#include "fuzz_support.h"

namespace ft::fuzz {

void fuzzCsv(Bytes bytes);         // openRowSource as CSV, every row
void fuzzJsonl(Bytes bytes);       // openRowSource as JSON Lines (or a JSON array), every row
void fuzzSafetensors(Bytes bytes); // safetensors::parseHeader, and readHeader on the same bytes as a file
void fuzzTokenizerJson(Bytes bytes); // Tokenizer::fromTokenizerJson, then encodes
void fuzzVocab(Bytes bytes);       // Tokenizer::fromVocabFile, then encodes
void fuzzBertConfig(Bytes bytes);  // loadBertConfig, parameter count, save-and-reload round trip
void fuzzStateDictPickle(Bytes bytes); // parseStateDictPickle: data.pkl of a pytorch_model.bin

struct NamedTarget {
    const char *name; // fuzz_<name>, corpus/<name>, regressions/<name>
    void (*run)(Bytes bytes);
};

inline constexpr NamedTarget kTargets[] = {
    {"csv", fuzzCsv},     {"jsonl", fuzzJsonl}, {"safetensors", fuzzSafetensors}, {"tokenizer_json", fuzzTokenizerJson},
    {"vocab", fuzzVocab}, {"bert_config", fuzzBertConfig}, {"state_dict_pickle", fuzzStateDictPickle},
};

} // namespace ft::fuzz

// Each fuzz_<name>.cpp ends with this; core_tests defines
// FT_FUZZ_NO_ENTRY_POINT to leave it out.
#ifdef FT_FUZZ_NO_ENTRY_POINT
#define FT_FUZZ_ENTRY_POINT(function)
#else
#define FT_FUZZ_ENTRY_POINT(function)                                                                                  \
    extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)                                  \
    {                                                                                                                  \
        function(::ft::fuzz::Bytes(data, size));                                                                       \
        return 0;                                                                                                      \
    }
#endif
