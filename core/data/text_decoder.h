// text_decoder.h: text in UTF-16, GBK, GB18030 or Latin-1 to UTF-8, a chunk
// at a time (ICU converters). A byte sequence the encoding does not allow is
// never replaced by U+FFFD: it comes out escaped (see text_encoding.h), so the
// reader turns it into a row error with its line. ICU stays out of this
// header; only text_decoder.cpp includes it.
#pragma once

#include "data/text_encoding.h"

#include <memory>
#include <string>

namespace ft {

class TextDecoder {
public:
    // `encoding` must name the byte order for UTF-16 (Utf16Le or Utf16Be).
    explicit TextDecoder(TextEncoding encoding);
    ~TextDecoder();
    TextDecoder(const TextDecoder &) = delete;
    TextDecoder &operator=(const TextDecoder &) = delete;

    // Appends the UTF-8 of `bytes` to `out`. A character cut at the end is
    // kept for the next call unless `flush`, which ends the text (a cut
    // character is then undecodable) and readies the decoder for new text.
    void decode(const char *bytes, std::size_t size, bool flush, std::string &out);
    // Forgets a cut character, as after a seek.
    void reset();

private:
    struct Converter;
    std::unique_ptr<Converter> mConverter;
};

} // namespace ft
