// config_fields.cpp: config.json field and label reading.
#include "models/config_fields.h"

#include <map>
#include <set>

namespace ft {

using nlohmann::json;

void ConfigFieldReader::fail(const std::string &key, const std::string &what, ErrorKind kind) const
{
    throw Error(kind, mSource + ": key '" + key + "' " + what);
}

const json *ConfigFieldReader::find(const std::string &key) const
{
    const auto it = mJson.find(key);
    return it == mJson.end() ? nullptr : &*it;
}

std::int64_t ConfigFieldReader::integer(const std::string &key, std::int64_t fallback, std::int64_t minimum,
                                        std::int64_t maximum) const
{
    const json *value = find(key);
    if (!value)
        return fallback;
    if (!value->is_number_integer())
        fail(key, "must be an integer, not " + value->dump());
    const std::int64_t result = value->get<std::int64_t>();
    if (result < minimum || (value->is_number_unsigned() && value->get<std::uint64_t>() > INT64_MAX))
        fail(key, "must be at least " + std::to_string(minimum) + ", not " + value->dump());
    if (result > maximum)
        fail(key, "must be at most " + std::to_string(maximum) + ", not " + value->dump());
    return result;
}

double ConfigFieldReader::number(const std::string &key, double fallback, double minimum, double maximum) const
{
    const json *value = find(key);
    if (!value)
        return fallback;
    if (!value->is_number())
        fail(key, "must be a number, not " + value->dump());
    const double result = value->get<double>();
    if (!(result >= minimum && result <= maximum))
        fail(key, "must be in [" + json(minimum).dump() + ", " + json(maximum).dump() + "], not " + value->dump());
    return result;
}

std::string ConfigFieldReader::text(const std::string &key, const std::string &fallback) const
{
    const json *value = find(key);
    if (!value || value->is_null())
        return fallback;
    if (!value->is_string())
        fail(key, "must be a string, not " + value->dump());
    return value->get<std::string>();
}

// id2label ({"0": "neg", ...}) and label2id, each optional; when both are
// present they must describe the same mapping. Ids must be 0..n-1.
std::vector<std::string> readConfigLabels(const ConfigFieldReader &reader)
{
    const json *id2label = reader.find("id2label");
    const json *label2id = reader.find("label2id");
    if (id2label && id2label->is_null())
        id2label = nullptr;
    if (label2id && label2id->is_null())
        label2id = nullptr;

    std::map<std::int64_t, std::string> byId;
    auto addLabel = [&](const std::string &key, std::int64_t id, const std::string &name) {
        if (id < 0 || !byId.emplace(id, name).second)
            reader.fail(key, "has a repeated or negative class id " + std::to_string(id));
    };
    if (id2label) {
        if (!id2label->is_object())
            reader.fail("id2label", "must be an object {\"0\": \"label\", ...}, not " + id2label->dump());
        for (const auto &[key, name] : id2label->items()) {
            std::int64_t id = -1;
            std::size_t used = 0;
            try {
                id = std::stoll(key, &used);
            } catch (const std::exception &) {
                used = 0;
            }
            if (used == 0 || used != key.size())
                reader.fail("id2label", "has the key \"" + key + "\", which is not a class id");
            if (!name.is_string())
                reader.fail("id2label", "maps " + key + " to " + name.dump() + ", which is not a string");
            addLabel("id2label", id, name.get<std::string>());
        }
    } else if (label2id) {
        if (!label2id->is_object())
            reader.fail("label2id", "must be an object {\"label\": 0, ...}, not " + label2id->dump());
        for (const auto &[name, id] : label2id->items()) {
            if (!id.is_number_integer())
                reader.fail("label2id", "maps \"" + name + "\" to " + id.dump() + ", which is not a class id");
            addLabel("label2id", id.get<std::int64_t>(), name);
        }
    }

    std::vector<std::string> labels;
    if (byId.empty()) {
        // HF's default without labels: num_labels (2 unless given) named LABEL_i.
        const std::int64_t count = reader.integer("num_labels", 2, 1, kMaxConfigLabels);
        for (std::int64_t i = 0; i < count; ++i)
            labels.push_back("LABEL_" + std::to_string(i));
        return labels;
    }
    for (const auto &[id, name] : byId) {
        if (id != std::int64_t(labels.size()))
            reader.fail(id2label ? "id2label" : "label2id",
                        "must number the classes 0.." + std::to_string(byId.size() - 1) + ", but has id " +
                            std::to_string(id));
        labels.push_back(name);
    }
    if (std::set<std::string>(labels.begin(), labels.end()).size() != labels.size())
        reader.fail(id2label ? "id2label" : "label2id", "gives the same name to two classes");
    if (id2label && label2id) {
        bool consistent = label2id->is_object() && label2id->size() == labels.size();
        for (std::size_t i = 0; consistent && i < labels.size(); ++i) {
            const auto it = label2id->find(labels[i]);
            consistent = it != label2id->end() && it->is_number_integer() && it->get<std::int64_t>() == std::int64_t(i);
        }
        if (!consistent)
            throw Error(ErrorKind::InvalidInput, reader.source() + ": key 'label2id' does not match 'id2label'");
    }
    if (const json *numLabels = reader.find("num_labels"); numLabels && numLabels->is_number_integer() &&
                                                            numLabels->get<std::int64_t>() != std::int64_t(labels.size()))
        reader.fail("num_labels", "is " + numLabels->dump() + " but id2label has " + std::to_string(labels.size()) +
                                      " labels");
    return labels;
}


void writeConfigLabels(json &document, const std::vector<std::string> &labels)
{
    json byId = json::object();
    json byName = json::object();
    for (std::size_t i = 0; i < labels.size(); ++i) {
        byId[std::to_string(i)] = labels[i];
        byName[labels[i]] = i;
    }
    document["id2label"] = byId;
    document["label2id"] = byName;
    if (document.contains("num_labels"))
        document["num_labels"] = labels.size();
}

} // namespace ft
