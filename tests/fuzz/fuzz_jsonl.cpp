// fuzz_jsonl.cpp: JSON Lines and JSON arrays as the importer opens them
// (openRowSource), every row read. By default the format is JSON, as for a
// .json file: an array when the text starts with '[', else JSON Lines; one
// bit of the last byte forces JSON Lines, as for a .jsonl file.
#include "common/error.h"
#include "fuzz_targets.h"

namespace ft::fuzz {

void fuzzJsonl(Bytes bytes)
{
    try {
        readEveryRow(writeScratchFile("data.jsonl", bytes), readOptionsFor(bytes, FileFormat::JsonLines));
    } catch (const Error &) {
        // Bad input, reported cleanly.
    }
}

} // namespace ft::fuzz

FT_FUZZ_ENTRY_POINT(ft::fuzz::fuzzJsonl)
