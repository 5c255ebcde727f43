// model_card.h: the README.md written into every export, in the form the
// Hugging Face Hub shows (YAML front matter, then Markdown): the base model,
// the data (sizes and label balance), the hyper-parameters, the metrics and
// confusion matrix, the export's own check against the run, how to load it,
// and the intended use and limits. Torch-free.
#pragma once

#include "export/export_format.h"
#include "export/run_export.h"
#include "store/datasets.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ft {

struct ModelCardFacts {
    std::int64_t runId = 0;
    std::string runName;
    std::string baseModel;            // the run's --model: a folder name or scratch:CONFIG
    ExportFormat format = ExportFormat::HuggingFace;
    std::string datasetName;
    std::vector<LabelCount> labels;   // labelled examples per class and split
    nlohmann::json config;            // the run's resolved configuration
    std::map<std::string, double> metrics; // the run's last eval/* and test/* values
    std::optional<ExportCheck> check;
    std::int64_t modelBytes = 0;      // the weights file(s)
    std::int64_t floatModelBytes = 0; // onnx-int8: the float32 file's size
    std::string version;              // Finetune Studio's
    std::string architecture = "BertForSequenceClassification"; // the run's model
    bool images = false;              // an image classifier
};

std::string modelCard(const ModelCardFacts &facts);

} // namespace ft
