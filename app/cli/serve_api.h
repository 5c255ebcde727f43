// serve_api.h: the JSON of `finetune serve`'s endpoints, apart from the HTTP
// server: a /predict body read and checked, predictions and errors written.
//
// POST /predict takes {"texts": [...]} where each element is a string (a text
// alone) or an array of two strings [text, text_pair]; both may be mixed in
// one request. It answers {"predictions": [{"label", "label_id",
// "probabilities": {label: p, ...}}, ...]}, one per text, in order.
#pragma once

#include "infer/predictor.h"

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace ft::cli {

// A request the server refuses, with the HTTP status to answer and why.
class ApiError : public std::runtime_error {
public:
    ApiError(int status, const std::string &message) : std::runtime_error(message), mStatus(status) {}
    int status() const noexcept { return mStatus; }

private:
    int mStatus;
};

struct PredictRequest {
    std::vector<std::string> texts;
    std::vector<std::string> pairs; // empty, or one per text ("" where an element was a text alone)
};

// Throws ApiError: 400 for malformed JSON (with its line and column) or a
// wrong shape (naming the element, e.g. texts[3]), 413 for more than maxTexts texts.
PredictRequest parsePredictRequest(std::string_view body, std::size_t maxTexts);

std::string predictionsJson(const Predictions &predictions, const std::vector<std::string> &labelNames);
std::string errorJson(std::string_view message);

} // namespace ft::cli
