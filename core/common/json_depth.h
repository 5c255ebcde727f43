// json_depth.h: a nesting limit for JSON read from files. nlohmann parses
// any depth, but its dump() recurses once per level, and dump() runs on
// untrusted values (error messages, nested import cells, saved configs): a
// file of a few hundred KB of '[' would overflow the stack. Readers check the
// text with jsonTooDeep() before parsing it.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace ft {

// Far deeper than any checkpoint, config or dataset file nests.
inline constexpr std::size_t kMaxJsonDepth = 512;

// The offset of the first '[' or '{' (outside strings) that opens a level
// deeper than kMaxJsonDepth, or nullopt when the text nests no deeper.
inline std::optional<std::size_t> jsonTooDeep(std::string_view text)
{
    std::size_t depth = 0;
    bool inString = false;
    bool escaped = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (inString) {
            if (escaped)
                escaped = false;
            else if (c == '\\')
                escaped = true;
            else if (c == '"')
                inString = false;
        } else if (c == '"') {
            inString = true;
        } else if (c == '[' || c == '{') {
            if (++depth > kMaxJsonDepth)
                return i;
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
    return std::nullopt;
}

// "nested deeper than 512 levels at line 3, column 7", for the offset
// jsonTooDeep() returned.
inline std::string jsonTooDeepMessage(std::string_view text, std::size_t offset)
{
    std::size_t line = 1;
    std::size_t column = 1;
    for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
        if (text[i] == '\n') {
            ++line;
            column = 1;
        } else {
            ++column;
        }
    }
    return "nested deeper than " + std::to_string(kMaxJsonDepth) + " levels at line " + std::to_string(line)
           + ", column " + std::to_string(column);
}

} // namespace ft
