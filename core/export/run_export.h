// run_export.h: a run's fine-tuned model exported to a format other tools
// load (export/export_format.h), then checked: the exported model's logits
// and accuracy on the test split (validation when there is no test split)
// against the run's own model, and its latency per example at batch 1 and 32
// on this machine. Everything is written to a temporary folder beside the
// output, with a model card (README.md), and moved into place only when
// complete; the export is recorded in the project store. The CLI's `finetune
// export` and the studio's Export page both call exportRun. Torch-free API.
#pragma once

#include "export/export_format.h"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace ft {

struct ExportRequest {
    std::filesystem::path project;
    std::int64_t runId = 0;
    ExportFormat format = ExportFormat::HuggingFace;
    std::filesystem::path output; // the folder to create; must not exist unless `overwrite`
    bool overwrite = false;       // replace an existing output folder (only once the new one is complete)
    bool check = true;            // compare with the run's model and time it
};

struct ExportCheck {
    std::string split;                     // the split compared on: test, else validation; "" when neither has rows
    std::int64_t examples = 0;
    double maxAbsLogitDifference = 0;      // exported vs the run's model, over every logit
    double runAccuracy = 0;
    double exportAccuracy = 0;
    std::int64_t predictionsChanged = 0;   // rows whose predicted class differs
    double msPerExampleBatch1 = 0;         // the exported model's latency on this machine
    double msPerExampleBatch32 = 0;
    std::vector<std::string> labels;
    std::vector<std::vector<std::int64_t>> confusion; // the exported model's, [truth][predicted]
};

struct ExportResult {
    std::int64_t exportId = 0;             // its record in the project store
    std::filesystem::path folder;
    std::vector<std::string> files;        // relative to `folder`, sorted
    std::int64_t bytes = 0;                // all files
    std::int64_t modelBytes = 0;           // the weights file(s) alone
    std::int64_t floatModelBytes = 0;      // onnx-int8: the float32 ONNX file's size, for the reduction
    std::optional<ExportCheck> check;
};

// Stages of an export, for progress: "writing", "checking", "timing", "finishing".
// Returning false cancels (ft::Error Cancelled; nothing is left behind).
using ExportProgress = std::function<bool(const std::string &stage, double fraction)>;

// Throws ft::Error: NotFound (project, run or its model), InvalidInput (the
// format does not fit the run, e.g. peft for a run without LoRA), AlreadyExists
// style InvalidInput when `output` exists without `overwrite`, Io. A failed or
// cancelled export leaves no partial folder and an existing output untouched.
ExportResult exportRun(const ExportRequest &request, const ExportProgress &progress = {});

} // namespace ft
