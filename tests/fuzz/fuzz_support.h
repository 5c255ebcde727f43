// fuzz_support.h: what the fuzz targets share: the input written to a
// private scratch folder (for entry points that read a path), reader options
// chosen by the input's last byte, and the invariant check that turns a
// parser accepting something it must not into a finding.
#pragma once

#include "data/row_source.h"

#include <cstdint>
#include <filesystem>
#include <span>
#include <stdexcept>
#include <string>

namespace ft {
class Tokenizer;
}

namespace ft::fuzz {

using Bytes = std::span<const std::uint8_t>;

// A parser broke a promise its callers rely on. Never caught by a target:
// libFuzzer reports it as a crash, FuzzRegressionsTest as a failure.
class InvariantBroken : public std::logic_error {
public:
    using std::logic_error::logic_error;
};

[[noreturn]] inline void broken(const std::string &what)
{
    throw InvariantBroken("fuzz invariant broken: " + what);
}

// Takes a plain string so a passing check costs no formatting; failures
// that need details call broken() themselves.
inline void require(bool condition, const char *what)
{
    if (!condition)
        broken(what);
}

// A folder of this process under the temporary folder ($TMPDIR), made on
// first use and removed at exit.
const std::filesystem::path &scratchFolder();

// Writes `bytes` to scratchFolder()/`name`, replacing what was there.
std::filesystem::path writeScratchFile(const std::string &name, Bytes bytes);

// Reader options from the input's last byte, so the fuzzer varies chunk
// size, encoding, header, quoting and delimiter along with the text. The
// byte is XORed with '\n' first: a file that ends with a line break, as
// every seed does, reads with the defaults.
ReadOptions readOptionsFor(Bytes bytes, FileFormat format);

// Opens `file` as the importer does (openRowSource) and reads every row,
// checking what the importer relies on: distinct column names, one value per
// column in every good row, lines that never go back, and progress that
// never passes the file's size.
void readEveryRow(const std::filesystem::path &file, const ReadOptions &options);

// Encodes texts, a truncated pair and a padded batch with a tokenizer just
// loaded from fuzzed files, checking that every id is below vocabSize() and
// every offset inside its text: the model indexes its embeddings with them.
// Some of the text is the fuzz input itself.
void encodeSamples(const Tokenizer &tokenizer, Bytes bytes);

} // namespace ft::fuzz
