// collate.h: rows of an encoded split into a padded tensor batch, padded to
// the longest row (dynamic padding) or to a fixed length.
#pragma once

#include "train/encoded_split.h"
#include "models/tensor_batch.h"

#include <c10/core/Device.h>

namespace ft {

// `padTo` 0 pads to the longest row; otherwise to exactly padTo tokens.
TensorBatch collate(const EncodedSplit &split, std::span<const std::int64_t> rows, std::int64_t padId,
                    std::int64_t padTo, c10::Device device);

} // namespace ft
