// fuzz_support.cpp: scratch files and option decoding for the fuzz targets.
#include "fuzz_support.h"

#include "common/error.h"
#include "text/tokenizer.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <set>

#include <unistd.h>

namespace fs = std::filesystem;

namespace ft::fuzz {

namespace {

fs::path makeScratchFolder()
{
    std::string pattern = (fs::temp_directory_path() / "ft-fuzz-XXXXXX").string();
    if (!::mkdtemp(pattern.data()))
        throw std::runtime_error("cannot create a scratch folder from " + pattern);
    return pattern;
}

void checkEncoding(const Tokenizer &tokenizer, const Encoding &encoding, std::string_view text,
                   std::string_view pair)
{
    const std::size_t size = encoding.ids.size();
    require(encoding.typeIds.size() == size && encoding.attentionMask.size() == size && encoding.offsets.size() == size,
            "encoding arrays of different lengths");
    require(encoding.untruncatedLength >= size, "untruncated length below the length");
    for (std::size_t i = 0; i < size; ++i) {
        if (encoding.ids[i] < 0 || encoding.ids[i] >= tokenizer.vocabSize())
            broken("id " + std::to_string(encoding.ids[i]) + " outside the vocabulary of "
                   + std::to_string(tokenizer.vocabSize()));
        const TokenSpan &span = encoding.offsets[i];
        const std::size_t length = span.sequence == 1 ? pair.size() : text.size();
        require(span.sequence >= -1 && span.sequence <= 1 && span.begin <= span.end && span.end <= length,
                "offsets outside the text");
    }
}

} // namespace

const fs::path &scratchFolder()
{
    static const fs::path folder = makeScratchFolder();
    // Registered once `folder` is built, so it runs before its destructor.
    [[maybe_unused]] static const bool removedAtExit = [] {
        return std::atexit([] {
                   std::error_code ec;
                   fs::remove_all(scratchFolder(), ec);
               })
               == 0;
    }();
    return folder;
}

fs::path writeScratchFile(const std::string &name, Bytes bytes)
{
    const fs::path file = scratchFolder() / name;
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char *>(bytes.data()), std::streamsize(bytes.size()));
    out.close();
    if (!out)
        throw std::runtime_error("cannot write " + file.string());
    return file;
}

ReadOptions readOptionsFor(Bytes bytes, FileFormat format)
{
    const unsigned bits = bytes.empty() ? 0u : unsigned(bytes.back() ^ '\n');
    ReadOptions options;
    options.format = format;
    // Tiny chunks split records, quotes, CRLFs and multi-byte characters
    // across reads; the 7-byte one also caps records to reach the
    // over-long-record paths.
    switch (bits & 3u) {
    case 0: break;
    case 1: options.chunkBytes = 1; break;
    case 2: options.chunkBytes = 7; options.maxRecordBytes = 64; break;
    case 3: options.chunkBytes = 4096; break;
    }
    constexpr TextEncoding kEncodings[] = {TextEncoding::Utf8, TextEncoding::Gbk, TextEncoding::Utf16Le,
                                           TextEncoding::Latin1};
    options.encoding = kEncodings[(bits >> 2) & 3u];
    options.hasHeader = !(bits & 16u);
    options.quoting = !(bits & 32u);
    constexpr char kDelimiters[] = {0, ',', '\t', ';'};
    options.delimiter = kDelimiters[(bits >> 6) & 3u];
    // JSON as a .json file reads (a JSON array when the text starts with
    // '[', else JSON Lines), or as a .jsonl file: JSON Lines whatever it holds.
    if (format == FileFormat::JsonLines && !(bits & 64u))
        options.format = FileFormat::Json;
    return options;
}

void readEveryRow(const fs::path &file, const ReadOptions &options)
{
    const std::unique_ptr<RowSource> source = openRowSource(file, options);
    const std::vector<std::string> &columns = source->columns();
    require(!columns.empty(), "a source without columns");
    require(std::set<std::string>(columns.begin(), columns.end()).size() == columns.size(),
            "repeated column names");
    SourceRow row;
    std::int64_t lastLine = 0;
    while (source->next(row)) {
        if (row.line < 1 || row.line < lastLine)
            broken("row line " + std::to_string(row.line) + " after line " + std::to_string(lastLine));
        lastLine = row.line;
        if (row.error.empty() && row.values.size() != columns.size())
            broken("a good row with " + std::to_string(row.values.size()) + " values for "
                   + std::to_string(columns.size()) + " columns");
        require(source->bytesRead() <= source->totalBytes(), "progress past the end of the file");
    }
    require(source->bytesRead() <= source->totalBytes(), "progress past the end of the file");
}

void encodeSamples(const Tokenizer &tokenizer, Bytes bytes)
{
    // Accents, capitals, CJK, punctuation, control and invalid bytes, an
    // emoji, special tokens and a word longer than WordPiece's limit.
    const std::string_view sample = "H\xC3\xA9llo, WORLD! unaffable [CLS] [MASK] \xE4\xBD\xA0\xE5\xA5\xBD "
                                    "na\xC3\xAFve\t\x01\xFF caf\xC3\xA9 \xF0\x9F\x98\x80 ##ing [UNK][SEP]"
                                    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                                    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const std::string_view own(reinterpret_cast<const char *>(bytes.data()), std::min<std::size_t>(bytes.size(), 512));
    for (const std::string_view text : {sample, own}) {
        const Encoding single = tokenizer.encode(text);
        checkEncoding(tokenizer, single, text, {});
        const std::vector<std::string> tokens = tokenizer.idsToTokens(single.ids);
        require(tokens.size() == single.ids.size(), "idsToTokens lost ids");
    }
    EncodeOptions truncated;
    truncated.maxLength = 16;
    try {
        checkEncoding(tokenizer, tokenizer.encode(sample, own, truncated), sample, own);
    } catch (const Error &) {
        // More special tokens than max_length: refused cleanly.
    }
    const std::string_view texts[] = {sample, own};
    try {
        const BatchEncoding batch = tokenizer.encodeBatch(texts);
        require(batch.rows == 2 && std::size_t(batch.rows * batch.cols) == batch.inputIds.size(),
                "batch shape does not match its ids");
        for (const std::int64_t id : batch.inputIds)
            require(id >= 0 && id < tokenizer.vocabSize(), "batch id outside the vocabulary");
    } catch (const Error &) {
        // No pad token to pad with: refused cleanly.
    }
}

} // namespace ft::fuzz
