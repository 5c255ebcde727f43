// gradient_buckets.h: data-parallel gradient sums that run while backward
// is still going, as PyTorch's DistributedDataParallel does. The optimiser's
// flat gradient buffers are cut into buckets of whole parameters, in the
// order backward reaches them (reverse registration order); a hook after each
// parameter's gradient accumulation counts it in, and a bucket whose last
// parameter is in starts its sum over the workers on Gloo's threads while
// autograd computes the layers below. Buckets start in the same order on
// every worker (a ready bucket waits for the ones before it), as c10d needs.
#pragma once

#include "train/distributed.h"

#include <cstdint>
#include <memory>
#include <vector>

namespace ft {

class AdamW;

class GradientBuckets {
public:
    // DistributedDataParallel's default bucket_cap_mb, and its smaller first
    // bucket (first_bucket_bytes_cap) so that the first sum starts early.
    static constexpr std::int64_t kBucketBytes = 25 << 20;
    static constexpr std::int64_t kFirstBucketBytes = 1 << 20;

    // Hooks every trainable parameter of `optimizer` (which must outlive
    // this, as must `group`).
    GradientBuckets(ProcessGroup &group, const AdamW &optimizer, std::int64_t bucketBytes = kBucketBytes,
                    std::int64_t firstBucketBytes = kFirstBucketBytes);
    ~GradientBuckets();
    GradientBuckets(const GradientBuckets &) = delete;
    GradientBuckets &operator=(const GradientBuckets &) = delete;

    // Before the step's last backward pass: from now on, finished buckets
    // start their sums. Earlier backward passes (the step's other
    // micro-batches) only accumulate.
    void arm();
    // After the last backward pass: starts the buckets not yet started (those
    // of parameters that got no gradient in it), waits for every sum and
    // disarms. Then each gradient is the sum over the workers. A worker that
    // died: ft::Error (Io), as ProcessGroup says.
    void finish();
    // Whether a sum has started since arm(): the step can then no longer be
    // redone by this worker alone (out-of-memory recovery).
    bool started() const;
    // Back to accumulating only, before any sum started (a step redone).
    void disarm();

    int bucketCount() const;
    // Of the buckets of the last finish(), how many had started during
    // backward (the rest started in finish()).
    int startedDuringBackward() const;

private:
    struct Impl;
    std::unique_ptr<Impl> mImpl;
};

} // namespace ft
