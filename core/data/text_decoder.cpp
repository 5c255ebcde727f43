// text_decoder.cpp: ICU's converters, with undecodable bytes escaped rather
// than substituted.
#include "data/text_decoder.h"

#include "common/error.h"

#include <unicode/ucnv.h>
#include <unicode/ucnv_cb.h>

#include <array>
#include <vector>

namespace ft {

namespace {

const char *icuName(TextEncoding encoding)
{
    switch (encoding) {
    case TextEncoding::Utf16Le: return "UTF-16LE";
    case TextEncoding::Utf16Be: return "UTF-16BE";
    // ICU's "GBK" is Windows code page 936, which maps bytes GBK leaves
    // undefined (0xFF, ...) to private-use characters; GB18030, a superset of
    // GBK, rejects them.
    case TextEncoding::Gbk:
    case TextEncoding::Gb18030: return "GB18030";
    case TextEncoding::Latin1: return "ISO-8859-1";
    case TextEncoding::Utf8:
    case TextEncoding::Utf16: break;
    }
    throw Error(ErrorKind::Internal, std::string("TextDecoder: no converter for ") + encodingName(encoding));
}

// Called by ICU for each illegal, irregular or unassigned sequence: writes
// one escape unit (U+DC00 + byte) per byte instead of U+FFFD.
void escapeBytes(const void *, UConverterToUnicodeArgs *args, const char *units, int32_t length,
                 UConverterCallbackReason reason, UErrorCode *error)
{
    if (reason > UCNV_IRREGULAR)
        return; // reset, close or clone: nothing to convert
    std::array<UChar, 32> escapes{};
    const auto count = static_cast<std::size_t>(std::min<int32_t>(length, escapes.size()));
    for (std::size_t i = 0; i < count; ++i)
        escapes[i] = static_cast<UChar>(0xDC00 | static_cast<unsigned char>(units[i]));
    *error = U_ZERO_ERROR;
    ucnv_cbToUWriteUChars(args, escapes.data(), static_cast<int32_t>(count), 0, error);
}

void appendUtf8(std::string &out, std::uint32_t cp)
{
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

} // namespace

struct TextDecoder::Converter {
    UConverter *converter = nullptr;
    std::vector<UChar> units = std::vector<UChar>(16 * 1024);
    bool pendingHigh = false; // a high surrogate whose low half is in the next batch
    UChar high = 0;

    ~Converter()
    {
        if (converter)
            ucnv_close(converter);
    }

    // UTF-16 from ICU to UTF-8. ICU only emits a high surrogate directly
    // before its low half, so a low surrogate on its own is an escape and goes
    // out as such (invalid UTF-8 on purpose).
    void emit(const UChar *begin, const UChar *end, bool flush, std::string &out)
    {
        for (const UChar *p = begin; p < end; ++p) {
            const UChar unit = *p;
            if (pendingHigh) {
                pendingHigh = false;
                if (unit >= 0xDC00 && unit <= 0xDFFF) {
                    appendUtf8(out, 0x10000 + ((std::uint32_t(high) - 0xD800) << 10) + (unit - 0xDC00));
                    continue;
                }
                appendUtf8(out, high);
            }
            if (unit >= 0xD800 && unit <= 0xDBFF) {
                pendingHigh = true;
                high = unit;
                continue;
            }
            appendUtf8(out, unit);
        }
        if (flush && pendingHigh) {
            pendingHigh = false;
            appendUtf8(out, high);
        }
    }
};

TextDecoder::TextDecoder(TextEncoding encoding) : mConverter(std::make_unique<Converter>())
{
    UErrorCode status = U_ZERO_ERROR;
    mConverter->converter = ucnv_open(icuName(encoding), &status);
    if (U_FAILURE(status))
        throw Error(ErrorKind::Internal, std::string("cannot open the ICU converter for ") + encodingName(encoding)
                                             + ": " + u_errorName(status));
    ucnv_setToUCallBack(mConverter->converter, escapeBytes, nullptr, nullptr, nullptr, &status);
    if (U_FAILURE(status))
        throw Error(ErrorKind::Internal, std::string("cannot set up the ICU converter: ") + u_errorName(status));
}

TextDecoder::~TextDecoder() = default;

void TextDecoder::decode(const char *bytes, std::size_t size, bool flush, std::string &out)
{
    Converter &c = *mConverter;
    const char *source = bytes;
    const char *const sourceEnd = bytes + size;
    for (;;) {
        UChar *target = c.units.data();
        UErrorCode status = U_ZERO_ERROR;
        ucnv_toUnicode(c.converter, &target, c.units.data() + c.units.size(), &source, sourceEnd, nullptr, flush,
                       &status);
        const bool more = status == U_BUFFER_OVERFLOW_ERROR;
        if (U_FAILURE(status) && !more)
            throw Error(ErrorKind::Internal, std::string("text conversion failed: ") + u_errorName(status));
        c.emit(c.units.data(), target, flush && !more, out);
        if (!more)
            break;
    }
    if (flush)
        reset();
}

void TextDecoder::reset()
{
    ucnv_resetToUnicode(mConverter->converter);
    mConverter->pendingHigh = false;
}

} // namespace ft
