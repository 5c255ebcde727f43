// fuzz_csv.cpp: delimited text as the importer opens it (openRowSource with
// the CSV format), every row read. The last byte varies the reader's options.
#include "common/error.h"
#include "fuzz_targets.h"

namespace ft::fuzz {

void fuzzCsv(Bytes bytes)
{
    try {
        readEveryRow(writeScratchFile("data.csv", bytes), readOptionsFor(bytes, FileFormat::Csv));
    } catch (const Error &) {
        // Bad input, reported cleanly.
    }
}

} // namespace ft::fuzz

FT_FUZZ_ENTRY_POINT(ft::fuzz::fuzzCsv)
