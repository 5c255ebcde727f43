// text_encoding.cpp: encoding names and the row error for undecodable text.
#include "data/text_encoding.h"

#include "common/error.h"

#include <algorithm>
#include <cstdio>

namespace ft {

namespace {

std::string normalisedName(const std::string &name)
{
    std::string key;
    for (const char c : name) {
        if (c != '-' && c != '_')
            key += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return key;
}

std::string hexByte(unsigned char byte)
{
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02X", byte);
    return hex;
}

// The original byte of the escape at text[i], if there is one.
bool escapedByte(std::string_view text, std::size_t i, unsigned char &byte)
{
    if (i + 3 > text.size())
        return false;
    const auto b0 = static_cast<unsigned char>(text[i]);
    const auto b1 = static_cast<unsigned char>(text[i + 1]);
    const auto b2 = static_cast<unsigned char>(text[i + 2]);
    if (b0 != 0xED || b1 < 0xB0 || b1 > 0xB3 || (b2 & 0xC0) != 0x80)
        return false;
    byte = static_cast<unsigned char>(((b1 & 0x03) << 6) | (b2 & 0x3F));
    return true;
}

} // namespace

TextEncoding parseEncoding(const std::string &name)
{
    const std::string key = normalisedName(name);
    if (key == "utf8")
        return TextEncoding::Utf8;
    if (key == "utf16")
        return TextEncoding::Utf16;
    if (key == "utf16le")
        return TextEncoding::Utf16Le;
    if (key == "utf16be")
        return TextEncoding::Utf16Be;
    if (key == "gbk" || key == "cp936")
        return TextEncoding::Gbk;
    if (key == "gb18030")
        return TextEncoding::Gb18030;
    if (key == "latin1" || key == "iso88591")
        return TextEncoding::Latin1;
    throw Error(ErrorKind::InvalidInput,
                "unknown encoding '" + name + "' (expected utf-8, utf-16, utf-16le, utf-16be, gbk, gb18030 or latin1)");
}

const char *encodingName(TextEncoding encoding)
{
    switch (encoding) {
    case TextEncoding::Utf8: return "utf-8";
    case TextEncoding::Utf16: return "utf-16";
    case TextEncoding::Utf16Le: return "utf-16le";
    case TextEncoding::Utf16Be: return "utf-16be";
    case TextEncoding::Gbk: return "gbk";
    case TextEncoding::Gb18030: return "gb18030";
    case TextEncoding::Latin1: return "latin1";
    }
    return "utf-8";
}

void appendUndecodableByte(std::string &out, unsigned char byte)
{
    // U+DC00 + byte in UTF-8's three-byte form.
    out += static_cast<char>(0xED);
    out += static_cast<char>(0xB0 | (byte >> 6));
    out += static_cast<char>(0x80 | (byte & 0x3F));
}

std::string invalidTextReason(std::string_view text, std::size_t offset, TextEncoding encoding,
                              const std::string &where)
{
    unsigned char byte = 0;
    if (encoding == TextEncoding::Utf8 || !escapedByte(text, offset, byte)) {
        return "invalid UTF-8 in " + where + " (byte " + hexByte(static_cast<unsigned char>(text[offset]))
               + " at offset " + std::to_string(offset) + "); the file must be UTF-8";
    }
    // Consecutive escapes are one bad sequence; name its bytes (up to 4).
    std::string bytes;
    std::size_t count = 0;
    for (std::size_t i = offset; count < 4 && escapedByte(text, i, byte); i += 3, ++count)
        bytes += (bytes.empty() ? "" : " ") + hexByte(byte);
    const std::string name = encodingName(encoding);
    std::string upper = name;
    std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return std::toupper(c); });
    return "invalid " + upper + " in " + where + " (" + (count == 1 ? "byte " : "bytes ") + bytes + " at offset "
           + std::to_string(offset) + "); is the file really " + upper + "?";
}

} // namespace ft
