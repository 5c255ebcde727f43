// csv_fields.h: fields of the CSV files the CLI writes: quoted only when
// needed (RFC 4180), numbers with enough digits to read back exactly.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

namespace ft::cli {

inline void appendField(std::string &line, std::string_view field)
{
    if (field.find_first_of(",\"\r\n") == std::string_view::npos) {
        line += field;
        return;
    }
    line += '"';
    for (const char c : field) {
        if (c == '"')
            line += '"';
        line += c;
    }
    line += '"';
}

// %.9g: enough digits that a float reads back exactly, to compare numerics.
inline void appendNumber(std::string &line, float value)
{
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.9g", double(value));
    line += buffer;
}

} // namespace ft::cli
