// serve_api.cpp
#include "cli/serve_api.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstdlib>

namespace ft::cli {

namespace {

using nlohmann::json;

constexpr const char *kExpected = "each element of \"texts\" is a string or a [text, text_pair] array of two strings";

// The float's shortest digits that read back exactly, not its widened double's 17.
double shortest(float value)
{
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.9g", double(value));
    return std::strtod(buffer, nullptr);
}

// "[json.exception.parse_error.101] parse error at line 1, column 5: ..." without the bracket.
std::string withoutPrefix(const std::string &message)
{
    const std::size_t end = message.rfind("] ", message.find(':'));
    return end == std::string::npos ? message : message.substr(end + 2);
}

// "an array", "a number", "null": what a value is, for a message.
std::string described(const json &value)
{
    if (value.is_null())
        return "null";
    return (value.is_array() || value.is_object() ? "an " : "a ") + std::string(value.type_name());
}

std::string checkedText(const json &value, const std::string &where)
{
    if (!value.is_string())
        throw ApiError(400, where + " is " + described(value) + "; " + kExpected);
    std::string text = value.get<std::string>();
    if (text.empty())
        throw ApiError(400, where + " is empty");
    return text;
}

} // namespace

PredictRequest parsePredictRequest(std::string_view body, std::size_t maxTexts)
{
    json document;
    try {
        document = json::parse(body);
    } catch (const json::parse_error &e) {
        throw ApiError(400, "invalid JSON at byte " + std::to_string(e.byte) + ": " + withoutPrefix(e.what()));
    }
    if (!document.is_object())
        throw ApiError(400, "the body is " + described(document) +
                                "; expected an object like {\"texts\": [\"a text\", [\"a text\", \"its pair\"]]}");
    for (const auto &[key, value] : document.items())
        if (key != "texts")
            throw ApiError(400, "unknown field \"" + key + "\" (the body has one field, \"texts\")");
    if (!document.contains("texts"))
        throw ApiError(400, "the body has no \"texts\" field: {\"texts\": [\"a text\", ...]}");
    const json &texts = document["texts"];
    if (!texts.is_array())
        throw ApiError(400, "\"texts\" is " + described(texts) + "; expected an array: " + kExpected);
    if (texts.empty())
        throw ApiError(400, "\"texts\" is empty; send at least one text");
    if (texts.size() > maxTexts)
        throw ApiError(413, std::to_string(texts.size()) + " texts is over the limit of " + std::to_string(maxTexts) +
                                " per request (--max-texts); split them over several requests");

    PredictRequest request;
    request.texts.reserve(texts.size());
    bool anyPair = false;
    std::vector<std::string> pairs(texts.size());
    for (std::size_t i = 0; i < texts.size(); ++i) {
        const std::string where = "texts[" + std::to_string(i) + "]";
        const json &element = texts[i];
        if (element.is_array()) {
            if (element.size() != 2)
                throw ApiError(400, where + " is an array of " + std::to_string(element.size()) +
                                        (element.size() == 1 ? " element" : " elements") +
                                        "; a pair is [text, text_pair]");
            request.texts.push_back(checkedText(element[0], where + "[0]"));
            pairs[i] = checkedText(element[1], where + "[1]");
            anyPair = true;
        } else {
            request.texts.push_back(checkedText(element, where));
        }
    }
    if (anyPair)
        request.pairs = std::move(pairs);
    return request;
}

std::string predictionsJson(const Predictions &predictions, const std::vector<std::string> &labelNames)
{
    nlohmann::ordered_json rows = nlohmann::ordered_json::array();
    const std::size_t k = predictions.numLabels;
    for (std::size_t r = 0; r < predictions.size(); ++r) {
        nlohmann::ordered_json probabilities = nlohmann::ordered_json::object();
        for (std::size_t c = 0; c < k && c < labelNames.size(); ++c)
            probabilities[labelNames[c]] = shortest(predictions.probabilities[r * k + c]);
        rows.push_back({{"label", predictions.labels[r]},
                        {"label_id", predictions.labelIds[r]},
                        {"probabilities", std::move(probabilities)}});
    }
    return nlohmann::ordered_json{{"predictions", std::move(rows)}}.dump();
}

std::string errorJson(std::string_view message)
{
    // Replace, not throw: a parse error quotes the body, which may not be UTF-8.
    return json{{"error", std::string(message)}}.dump(-1, ' ', false, json::error_handler_t::replace);
}

} // namespace ft::cli
