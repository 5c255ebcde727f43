// export_check.h: an exported model held against the run's own: both run on
// the same tokenised rows (tokenised with the export's tokenizer files, so
// those are checked too), giving the largest logit difference, both
// accuracies and the export's confusion matrix; then the export alone is
// timed per example at batch 1 and 32.
#pragma once

#include "export/run_export.h"
#include "train/encoded_split.h"

#include <ATen/core/Tensor.h>

#include <functional>

namespace ft {

// int64 [batch, sequence] input ids, attention mask and token type ids to float logits [batch, labels].
using LogitsFunction = std::function<at::Tensor(const at::Tensor &, const at::Tensor &, const at::Tensor &)>;

struct ExportCheckInputs {
    EncodedSplit rows;
    std::string split;
    std::vector<std::string> labels;
    std::int64_t padId = 0;
    LogitsFunction runModel;
    LogitsFunction exported;
};

// Returning false from `progress` (fraction done) cancels with ft::Error (Cancelled).
ExportCheck checkExport(const ExportCheckInputs &inputs, const std::function<bool(double)> &progress);

} // namespace ft
