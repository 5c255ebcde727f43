// text_encoding.h: the character encodings a data file can be read in, and
// how a row error names text that is not valid in its file's encoding.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace ft {

enum class TextEncoding {
    Utf8,    // the default; a UTF-16 byte-order mark still switches to UTF-16
    Utf16,   // endianness from the byte-order mark, which must be there
    Utf16Le,
    Utf16Be,
    Gbk,     // read as GB18030, its superset
    Gb18030,
    Latin1,  // ISO-8859-1: every byte is a character, so nothing is invalid
};

// utf-8, utf-16, utf-16le, utf-16be, gbk (or cp936), gb18030, latin1 (or
// latin-1, iso-8859-1); case and '-'/'_' are ignored. ft::Error
// (InvalidInput) for anything else.
TextEncoding parseEncoding(const std::string &name);
// The canonical name: "utf-8", "utf-16le", "gbk", ...
const char *encodingName(TextEncoding encoding);

// Text decoded from another encoding carries each byte the decoder could not
// convert as an escape (a lone UTF-16 surrogate, U+DC00 + the byte, which no
// valid text decodes to); the escape is invalid UTF-8, so one check finds
// both kinds of bad input. These write and recognise the escapes.
void appendUndecodableByte(std::string &out, unsigned char byte);

// Why `text` is not valid, given that its first invalid UTF-8 byte is at
// `offset`: names `where` (e.g. "column 'review'"), the offending bytes as
// they were in the file, and the encoding it was read in.
std::string invalidTextReason(std::string_view text, std::size_t offset, TextEncoding encoding,
                              const std::string &where);

} // namespace ft
