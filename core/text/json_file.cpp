// json_file.cpp: reading JSON files and their fields with errors that point
// at the file and the field.
#include "text/json_file.h"

#include "common/error.h"
#include "common/json_depth.h"

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <iterator>

namespace ft {

namespace {

const char *typeName(const nlohmann::json &value)
{
    return value.type_name();
}

} // namespace

std::string readFileBytes(const std::filesystem::path &file)
{
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file, ec))
        throw Error(ErrorKind::NotFound, file.string() + ": no such file");
    std::ifstream in(file, std::ios::binary);
    if (!in)
        throw Error(ErrorKind::Io, file.string() + ": cannot open the file");
    std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    if (in.bad())
        throw Error(ErrorKind::Io, file.string() + ": cannot read the file");
    return bytes;
}

JsonFile JsonFile::read(const std::filesystem::path &file)
{
    const std::string text = readFileBytes(file);
    if (const auto deep = jsonTooDeep(text))
        throw Error(ErrorKind::InvalidInput, file.string() + ": invalid JSON: " + jsonTooDeepMessage(text, *deep));

    JsonFile result;
    result.mPath = file;
    try {
        result.mRoot = nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error &e) {
        // e.byte is the 1-based position where parsing stopped.
        const std::size_t at = std::min<std::size_t>(e.byte > 0 ? e.byte - 1 : 0, text.size());
        std::size_t line = 1;
        std::size_t column = 1;
        for (std::size_t i = 0; i < at; ++i) {
            if (text[i] == '\n') {
                ++line;
                column = 1;
            } else {
                ++column;
            }
        }
        throw Error(ErrorKind::InvalidInput, file.string() + ": invalid JSON at line " + std::to_string(line)
                                                 + ", column " + std::to_string(column) + ": " + e.what());
    } catch (const nlohmann::json::exception &e) {
        // A number too large for a double (1e400) is out_of_range, which
        // carries no position; the message quotes the number.
        throw Error(ErrorKind::InvalidInput, file.string() + ": invalid JSON: " + e.what());
    }
    return result;
}

void JsonFile::fail(const std::string &pointer, const std::string &what) const
{
    throw Error(ErrorKind::InvalidInput, mPath.string() + ": " + (pointer.empty() ? "/" : pointer) + ": " + what);
}

bool JsonFile::boolean(const nlohmann::json &object, const std::string &pointer, const char *key,
                       bool fallback) const
{
    const auto it = object.find(key);
    if (it == object.end())
        return fallback;
    if (!it->is_boolean())
        fail(jsonPointer(pointer, key), std::string("expected true or false, found ") + typeName(*it));
    return it->get<bool>();
}

std::optional<bool> JsonFile::optionalBoolean(const nlohmann::json &object, const std::string &pointer,
                                              const char *key) const
{
    const auto it = object.find(key);
    if (it == object.end() || it->is_null())
        return std::nullopt;
    if (!it->is_boolean())
        fail(jsonPointer(pointer, key), std::string("expected true, false or null, found ") + typeName(*it));
    return it->get<bool>();
}

std::string JsonFile::string(const nlohmann::json &object, const std::string &pointer, const char *key,
                             const std::string &fallback) const
{
    const auto it = object.find(key);
    if (it == object.end())
        return fallback;
    if (!it->is_string())
        fail(jsonPointer(pointer, key), std::string("expected a string, found ") + typeName(*it));
    return it->get<std::string>();
}

std::int64_t JsonFile::integer(const nlohmann::json &object, const std::string &pointer, const char *key,
                               std::int64_t fallback) const
{
    const auto it = object.find(key);
    if (it == object.end())
        return fallback;
    if (!it->is_number_integer())
        fail(jsonPointer(pointer, key), std::string("expected an integer, found ") + typeName(*it));
    if (it->is_number_unsigned() && it->get<std::uint64_t>() > std::uint64_t(INT64_MAX))
        fail(jsonPointer(pointer, key), "integer out of range");
    return it->get<std::int64_t>();
}

const nlohmann::json &JsonFile::object(const nlohmann::json &object, const std::string &pointer,
                                       const char *key) const
{
    const auto it = object.find(key);
    if (it == object.end())
        fail(pointer, std::string("missing \"") + key + "\"");
    if (!it->is_object())
        fail(jsonPointer(pointer, key), std::string("expected an object, found ") + typeName(*it));
    return *it;
}

std::string jsonPointer(const std::string &parent, const std::string &key)
{
    std::string result = parent + "/";
    for (char c : key) {
        if (c == '~')
            result += "~0";
        else if (c == '/')
            result += "~1";
        else
            result += c;
    }
    return result;
}

std::string jsonPointer(const std::string &parent, std::size_t index)
{
    return parent + "/" + std::to_string(index);
}

} // namespace ft
