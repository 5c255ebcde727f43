// fuzz_vocab.cpp: a checkpoint's vocab.txt as the app loads it
// (Tokenizer::fromVocabFile, BERT's default special tokens), then texts
// encoded with the tokenizer it built.
#include "common/error.h"
#include "fuzz_targets.h"
#include "text/tokenizer.h"

namespace ft::fuzz {

void fuzzVocab(Bytes bytes)
{
    try {
        const Tokenizer tokenizer = Tokenizer::fromVocabFile(writeScratchFile("vocab.txt", bytes));
        encodeSamples(tokenizer, bytes);
    } catch (const Error &) {
        // Bad input, reported cleanly.
    }
}

} // namespace ft::fuzz

FT_FUZZ_ENTRY_POINT(ft::fuzz::fuzzVocab)
