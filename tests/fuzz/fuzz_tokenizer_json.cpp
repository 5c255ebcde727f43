// fuzz_tokenizer_json.cpp: a checkpoint's tokenizer.json as the app loads it
// (Tokenizer::fromTokenizerJson; no tokenizer_config.json beside it), then
// texts encoded with the tokenizer it built.
#include "common/error.h"
#include "fuzz_targets.h"
#include "text/tokenizer.h"

namespace ft::fuzz {

void fuzzTokenizerJson(Bytes bytes)
{
    try {
        const Tokenizer tokenizer = Tokenizer::fromTokenizerJson(writeScratchFile("tokenizer.json", bytes));
        encodeSamples(tokenizer, bytes);
    } catch (const Error &) {
        // Bad input, reported cleanly.
    }
}

} // namespace ft::fuzz

FT_FUZZ_ENTRY_POINT(ft::fuzz::fuzzTokenizerJson)
