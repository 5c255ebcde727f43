// json_file.h: a JSON file read whole, with typed field access whose errors
// name the file and the JSON pointer (e.g. /model/type) at fault.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace ft {

class JsonFile {
public:
    // Throws ft::Error: NotFound when the file is missing, Io when it cannot
    // be read, InvalidInput (with line and column) when it is not JSON.
    static JsonFile read(const std::filesystem::path &file);

    const nlohmann::json &root() const { return mRoot; }
    const std::filesystem::path &path() const { return mPath; }

    // Throws ft::Error(InvalidInput) "<file>: <pointer>: <what>".
    [[noreturn]] void fail(const std::string &pointer, const std::string &what) const;

    // Fields of `object` (found at `pointer`): the fallback when the key is
    // absent (or null, for the optional ones), an error when it has another type.
    bool boolean(const nlohmann::json &object, const std::string &pointer, const char *key, bool fallback) const;
    std::optional<bool> optionalBoolean(const nlohmann::json &object, const std::string &pointer,
                                        const char *key) const;
    std::string string(const nlohmann::json &object, const std::string &pointer, const char *key,
                       const std::string &fallback) const;
    std::int64_t integer(const nlohmann::json &object, const std::string &pointer, const char *key,
                         std::int64_t fallback) const;
    // An object field that must be present and be an object.
    const nlohmann::json &object(const nlohmann::json &object, const std::string &pointer, const char *key) const;

private:
    std::filesystem::path mPath;
    nlohmann::json mRoot;
};

// The bytes of a file. Throws ft::Error naming it: NotFound when it is
// missing, Io when it cannot be read.
std::string readFileBytes(const std::filesystem::path &file);

// A JSON pointer with one more reference token (escaping ~ and /).
std::string jsonPointer(const std::string &parent, const std::string &key);
std::string jsonPointer(const std::string &parent, std::size_t index);

} // namespace ft
