// json_reader.cpp: JSON Lines and JSON arrays, one object at a time.
#include "data/json_reader.h"

#include "common/error.h"
#include "common/json_depth.h"
#include "data/utf8_check.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>

namespace fs = std::filesystem;

namespace ft {

namespace {

bool isJsonSpace(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

std::string kindOf(const nlohmann::ordered_json &value)
{
    switch (value.type()) {
    case nlohmann::json::value_t::array: return "an array";
    case nlohmann::json::value_t::string: return "a string";
    case nlohmann::json::value_t::boolean: return "a boolean";
    case nlohmann::json::value_t::null: return "null";
    default: return "a number";
    }
}

// Numbers keep their JSON spelling ("1", "0.5"): labels stay strings.
std::string cellText(const nlohmann::ordered_json &value)
{
    if (value.is_string())
        return value.get<std::string>();
    if (value.is_null())
        return {};
    return value.dump();
}

// nlohmann's messages start with "[json.exception.parse_error.101] ".
std::string parseMessage(const char *what)
{
    const char *text = std::strstr(what, "] ");
    return text ? text + 2 : what;
}

} // namespace

JsonObjectSource::JsonObjectSource(const fs::path &file, const ReadOptions &options)
    : mFile(file, options.encoding), mOptions(options), mWindow{std::vector<char>(options.chunkBytes)}
{
    if (mOptions.chunkBytes == 0 || mOptions.maxRecordBytes == 0)
        throw Error(ErrorKind::Internal, "JSON reader: chunk and record limits must be positive");
    mWindow.offset = mFile.offset();
}

bool JsonObjectSource::fill()
{
    return mWindow.fill(mFile);
}

void JsonObjectSource::readColumns()
{
    std::int64_t line = 0;
    std::string error;
    while (mColumns.empty()) {
        if (!nextText(mText, line, error)) {
            if (mPending.empty())
                throw Error(ErrorKind::InvalidInput, mFile.path().string() + " has no rows");
            const auto empty = std::find_if(mPending.begin(), mPending.end(),
                                            [](const SourceRow &row) { return row.error.empty(); });
            if (empty != mPending.end())
                throw Error(ErrorKind::InvalidInput, mFile.path().string() + ":" + std::to_string(empty->line)
                                                         + ": no columns: every JSON object is empty");
            const SourceRow &first = mPending.front();
            throw Error(ErrorKind::InvalidInput, mFile.path().string() + " holds no JSON object (line "
                                                     + std::to_string(first.line) + ": " + first.error + ")");
        }
        SourceRow row;
        toRow(mText, line, error, row);
        mPending.push_back(std::move(row));
    }
    // Empty objects ({}) before the first one with keys had no columns to
    // fill: every column reads as "" for them, as a missing key does.
    for (SourceRow &row : mPending)
        if (row.error.empty())
            row.values.resize(mColumns.size());
}

bool JsonObjectSource::next(SourceRow &row)
{
    if (!mPending.empty()) {
        row = std::move(mPending.front());
        mPending.pop_front();
        return true;
    }
    std::int64_t line = 0;
    std::string error;
    if (!nextText(mText, line, error))
        return false;
    toRow(mText, line, std::move(error), row);
    return true;
}

void JsonObjectSource::toRow(const std::string &text, std::int64_t line, std::string error, SourceRow &row)
{
    row.line = line;
    row.values.clear();
    row.error = std::move(error);
    if (!row.error.empty())
        return;
    // Checked before parsing, so the reason names the bytes and the encoding.
    if (const auto bad = firstInvalidUtf8(text)) {
        row.error = invalidTextReason(text, *bad, mFile.encoding(), "the JSON text");
        return;
    }
    if (const auto deep = jsonTooDeep(text)) {
        row.error = "not valid JSON: " + jsonTooDeepMessage(text, *deep);
        return;
    }
    nlohmann::ordered_json value;
    try {
        value = nlohmann::ordered_json::parse(text);
    } catch (const nlohmann::json::exception &e) {
        // A syntax error (with its column), or a number too large for a
        // double (1e400), which nlohmann reports as out_of_range.
        row.error = "not valid JSON: " + parseMessage(e.what());
        return;
    }
    if (!value.is_object()) {
        row.error = "expected a JSON object, found " + kindOf(value);
        return;
    }
    if (mColumns.empty()) {
        for (const auto &item : value.items())
            mColumns.push_back(item.key());
    }
    row.values.resize(mColumns.size());
    for (std::size_t i = 0; i < mColumns.size(); ++i) {
        const auto found = value.find(mColumns[i]);
        row.values[i] = found == value.end() ? std::string() : cellText(*found);
    }
}

JsonLinesReader::JsonLinesReader(const fs::path &file, const ReadOptions &options) : JsonObjectSource(file, options)
{
    readColumns();
}

bool JsonLinesReader::nextText(std::string &text, std::int64_t &line, std::string &error)
{
    for (;;) {
        text.clear();
        error.clear();
        line = mLine;
        bool any = false;
        bool tooLong = false;
        for (;;) {
            if (mWindow.pos == mWindow.end && !fill()) {
                if (!any)
                    return false;
                break;
            }
            any = true;
            const char *start = mWindow.buffer.data() + mWindow.pos;
            const auto *newline = static_cast<const char *>(std::memchr(start, '\n', mWindow.end - mWindow.pos));
            const std::size_t length = newline ? static_cast<std::size_t>(newline - start) : mWindow.end - mWindow.pos;
            if (!tooLong && text.size() + length > mOptions.maxRecordBytes) {
                tooLong = true;
                text.clear();
                text.shrink_to_fit();
            }
            if (!tooLong)
                text.append(start, length);
            mWindow.pos += length;
            if (newline) {
                ++mWindow.pos;
                ++mLine;
                break;
            }
        }
        if (tooLong) {
            error = "the line is longer than " + std::to_string(mOptions.maxRecordBytes) + " bytes";
            return true;
        }
        const bool blank = std::all_of(text.begin(), text.end(), isJsonSpace);
        if (!blank)
            return true;
    }
}

JsonArrayReader::JsonArrayReader(const fs::path &file, const ReadOptions &options) : JsonObjectSource(file, options)
{
    readColumns();
}

bool JsonArrayReader::nextText(std::string &text, std::int64_t &line, std::string &error)
{
    text.clear();
    error.clear();
    bool inElement = false;
    bool inString = false;
    bool escaped = false;
    bool tooLong = false;
    int depth = 0;
    const auto finishElement = [&] {
        if (tooLong)
            error = "the array element is longer than " + std::to_string(mOptions.maxRecordBytes) + " bytes";
        return true;
    };
    for (;;) {
        if (mWindow.pos == mWindow.end && !fill()) {
            // A complete element before a missing ']' is kept; the next call
            // reports the unclosed array.
            if (inElement && depth == 0 && !inString)
                return finishElement();
            if (mStage == Stage::InArray || inElement) {
                // What came before is kept; the cut-off element is the error.
                error = inElement ? "the file ends inside this array element (is it truncated?)"
                                  : "the JSON array is never closed (is the file truncated?)";
                if (!inElement)
                    line = mLine;
                mStage = Stage::Done;
                return true;
            }
            return false;
        }
        const char c = mWindow.buffer[mWindow.pos++];
        const std::int64_t lineOfByte = mLine;
        if (c == '\n')
            ++mLine;

        if (!inElement) {
            if (isJsonSpace(c) || mStage == Stage::Done)
                continue;
            if (mStage == Stage::BeforeArray) {
                if (c == '[') {
                    mStage = Stage::InArray;
                    continue;
                }
                line = lineOfByte;
                error = std::string("expected '[' to open a JSON array, found '") + c + "'";
                mStage = Stage::Done;
                return true;
            }
            if (mStage == Stage::AfterArray) {
                line = lineOfByte;
                error = "unexpected text after the end of the JSON array";
                mStage = Stage::Done;
                return true;
            }
            if (c == ']') { // an empty array, or a trailing comma
                mStage = Stage::AfterArray;
                continue;
            }
            inElement = true;
            line = lineOfByte;
        }

        if (inString) {
            if (escaped)
                escaped = false;
            else if (c == '\\')
                escaped = true;
            else if (c == '"')
                inString = false;
        } else if (c == '"') {
            inString = true;
        } else if (c == '{' || c == '[') {
            ++depth;
        } else if ((c == '}' || c == ']') && depth > 0) {
            --depth;
        } else if (depth == 0 && (c == ',' || c == ']')) {
            if (c == ']')
                mStage = Stage::AfterArray;
            return finishElement();
        }
        if (tooLong)
            continue;
        if (text.size() == mOptions.maxRecordBytes) {
            tooLong = true;
            text.clear();
            text.shrink_to_fit();
            continue;
        }
        text += c;
    }
}

} // namespace ft
