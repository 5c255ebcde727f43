// config_fields.h: typed reading of a Hugging Face config.json document
// shared by the model families' configs: fields with HF's defaults and
// range checks, and the class labels (id2label / label2id / num_labels).
// Every failure names the file and the key. Torch-free.
#pragma once

#include "common/error.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace ft {

// Sizes above this many classes are refused: they would only allocate a
// name per class.
inline constexpr std::int64_t kMaxConfigLabels = std::int64_t(1) << 20;

class ConfigFieldReader {
public:
    ConfigFieldReader(const nlohmann::json &document, const std::string &source) : mJson(document), mSource(source) {}

    const std::string &source() const { return mSource; }
    [[noreturn]] void fail(const std::string &key, const std::string &what,
                           ErrorKind kind = ErrorKind::InvalidInput) const;
    const nlohmann::json *find(const std::string &key) const;
    std::int64_t integer(const std::string &key, std::int64_t fallback, std::int64_t minimum,
                         std::int64_t maximum = INT64_MAX) const;
    double number(const std::string &key, double fallback, double minimum, double maximum) const;
    std::string text(const std::string &key, const std::string &fallback) const;

private:
    const nlohmann::json &mJson;
    const std::string &mSource;
};

// The class names by id from id2label, else label2id, else num_labels
// (HF's LABEL_i); both maps, when present, must agree, ids must be 0..n-1.
std::vector<std::string> readConfigLabels(const ConfigFieldReader &reader);
// Writes id2label and label2id (and num_labels when the document has it).
void writeConfigLabels(nlohmann::json &document, const std::vector<std::string> &labels);

} // namespace ft
