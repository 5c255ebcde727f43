// collate.cpp
#include "train/collate.h"

#include <ATen/ATen.h>

#include <algorithm>

namespace ft {

TensorBatch collate(const EncodedSplit &split, std::span<const std::int64_t> rows, std::int64_t padId,
                    std::int64_t padTo, c10::Device device)
{
    std::int64_t width = padTo;
    if (width == 0)
        for (const auto row : rows)
            width = std::max(width, split.lengths[row]);
    const auto count = static_cast<std::int64_t>(rows.size());
    at::Tensor ids = at::full({count, width}, padId, at::kLong);
    at::Tensor types = at::zeros({count, width}, at::kLong);
    at::Tensor mask = at::zeros({count, width}, at::kLong);
    const bool tokenTargets = !split.responseStarts.empty();
    // A language model's targets are its own tokens from the response on; -100 is ignored by the loss.
    at::Tensor labels = tokenTargets ? at::full({count, width}, -100, at::kLong) : at::empty({count}, at::kLong);
    auto *idData = ids.data_ptr<std::int64_t>();
    auto *typeData = types.data_ptr<std::int64_t>();
    auto *maskData = mask.data_ptr<std::int64_t>();
    auto *labelData = labels.data_ptr<std::int64_t>();
    TensorBatch batch;
    for (std::int64_t r = 0; r < count; ++r) {
        const auto source = split.idsOf(rows[r]);
        const auto sourceTypes = split.typeIdsOf(rows[r]);
        const auto n = std::min<std::int64_t>(static_cast<std::int64_t>(source.size()), width);
        std::copy_n(source.begin(), n, idData + r * width);
        std::copy_n(sourceTypes.begin(), n, typeData + r * width);
        std::fill_n(maskData + r * width, n, 1);
        if (tokenTargets) {
            const std::int64_t start = std::min(split.responseStarts[rows[r]], n);
            std::copy(source.begin() + start, source.begin() + n, labelData + r * width + start);
        } else {
            labelData[r] = split.labels[rows[r]];
        }
        batch.realTokens += n;
    }
    const bool onCpu = device.is_cpu();
    batch.inputIds = onCpu ? ids : ids.to(device, /*non_blocking=*/true);
    batch.tokenTypeIds = onCpu ? types : types.to(device, true);
    batch.attentionMask = onCpu ? mask : mask.to(device, true);
    batch.labels = onCpu ? labels : labels.to(device, true);
    return batch;
}

} // namespace ft
