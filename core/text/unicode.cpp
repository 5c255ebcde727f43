// unicode.cpp: character classes, decomposition and lower-casing over libutf8proc.
#include "text/unicode.h"

#include <utf8proc.h>

namespace ft::unicode {

namespace {

utf8proc_category_t category(char32_t cp)
{
    return utf8proc_category(static_cast<utf8proc_int32_t>(cp));
}

} // namespace

bool isNonAsciiWhitespace(char32_t cp)
{
    switch (cp) {
    case 0x0085: case 0x00A0: case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000:
        return true;
    default:
        return cp >= 0x2000 && cp <= 0x200A;
    }
}

bool isControl(char32_t cp)
{
    if (cp == '\t' || cp == '\n' || cp == '\r')
        return false;
    if (cp < 0x80)
        return cp < 0x20 || cp == 0x7F;
    switch (category(cp)) {
    case UTF8PROC_CATEGORY_CC:
    case UTF8PROC_CATEGORY_CF:
    case UTF8PROC_CATEGORY_CN:
    case UTF8PROC_CATEGORY_CO:
    case UTF8PROC_CATEGORY_CS:
        return true;
    default:
        return false;
    }
}

bool isNonAsciiPunctuation(char32_t cp)
{
    const auto c = category(cp);
    return c >= UTF8PROC_CATEGORY_PC && c <= UTF8PROC_CATEGORY_PO;
}

bool isNonAsciiLetter(char32_t cp)
{
    const auto c = category(cp);
    return c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_LO;
}

bool isNonAsciiNumber(char32_t cp)
{
    const auto c = category(cp);
    return c >= UTF8PROC_CATEGORY_ND && c <= UTF8PROC_CATEGORY_NO;
}

bool isChineseChar(char32_t cp)
{
    return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF)
        || (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B920 && cp <= 0x2CEAF)
        || (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

bool isNonspacingMark(char32_t cp)
{
    return cp >= 0x300 && category(cp) == UTF8PROC_CATEGORY_MN;
}

int combiningClass(char32_t cp)
{
    if (cp < 0x300)
        return 0;
    return utf8proc_get_property(static_cast<utf8proc_int32_t>(cp))->combining_class;
}

bool isWordChar(char32_t cp)
{
    if (cp < 0x80)
        return (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || cp == '_';
    if (cp == 0x200C || cp == 0x200D)
        return true;
    switch (category(cp)) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT: case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME:
    case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_PC:
        return true;
    default:
        return false;
    }
}

std::size_t decompose(char32_t cp, char32_t *out)
{
    if (cp < 0xC0) {
        out[0] = cp;
        return 1;
    }
    utf8proc_int32_t buffer[kMaxDecomposition];
    const utf8proc_ssize_t n = utf8proc_decompose_char(static_cast<utf8proc_int32_t>(cp), buffer, kMaxDecomposition,
                                                       UTF8PROC_DECOMPOSE, nullptr);
    // Canonical decompositions have at most 4 code points; anything else
    // (an error, which DECOMPOSE alone never reports) keeps the character.
    if (n <= 0 || n > static_cast<utf8proc_ssize_t>(kMaxDecomposition)) {
        out[0] = cp;
        return 1;
    }
    for (utf8proc_ssize_t i = 0; i < n; ++i)
        out[i] = static_cast<char32_t>(buffer[i]);
    return static_cast<std::size_t>(n);
}

std::size_t toLower(char32_t cp, char32_t *out)
{
    if (cp < 0x80) {
        out[0] = (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp;
        return 1;
    }
    // The one unconditional multi-character lower-case mapping of
    // SpecialCasing.txt; utf8proc gives only the simple mapping (i).
    if (cp == 0x0130) {
        out[0] = 'i';
        out[1] = 0x0307;
        return 2;
    }
    out[0] = static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(cp)));
    return 1;
}

} // namespace ft::unicode
