// export_check.h: an exported model held against the run's own: both run on
// the same rows (tokenised with the export's tokenizer files, or images
// preprocessed as its preprocessor_config.json says, so those are checked
// too), giving the largest logit difference, both accuracies and the
// export's confusion matrix; then the export alone is timed per example at
// batch 1 and 32.
#pragma once

#include "export/run_export.h"
#include "train/split_batches.h"

#include <ATen/core/Tensor.h>

#include <functional>
#include <memory>

namespace ft {

// A batch (token ids with their masks, or pixel values) to float logits [batch, labels].
using LogitsFunction = std::function<at::Tensor(const TensorBatch &)>;

struct ExportCheckInputs {
    std::shared_ptr<SplitBatches> rows; // null: nothing to check on
    std::string split;
    std::vector<std::string> labels;
    LogitsFunction runModel;
    LogitsFunction exported;
};

// Returning false from `progress` (fraction done) cancels with ft::Error (Cancelled).
ExportCheck checkExport(const ExportCheckInputs &inputs, const std::function<bool(double)> &progress);

} // namespace ft
