// gradient_buckets.cpp
#include "train/gradient_buckets.h"

#include "train/adamw.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/function_hook.h>
#include <torch/csrc/autograd/variable.h>

#include <algorithm>
#include <map>
#include <mutex>

namespace ft {

namespace {

struct Bucket {
    at::Tensor gradients;        // a contiguous range of one flat gradient buffer
    std::size_t firstOrder = 0;  // of its parameters, the one backward reaches last
    int parameters = 0;
    int pending = 0;             // parameters not yet accumulated in the armed pass
    bool started = false;
    ProcessGroup::PendingSum sum;
};

// Cuts the slots into buckets of at most `cap` bytes (one parameter at
// least), per buffer, walking backward's order; sorted so that the bucket
// backward finishes first comes first.
std::vector<Bucket> makeBuckets(const AdamW &optimizer, std::int64_t cap, std::int64_t firstCap,
                                std::vector<std::size_t> &bucketOfSlot)
{
    std::vector<AdamW::GradientSlot> slots = optimizer.gradientSlots();
    const std::vector<at::Tensor> buffers = optimizer.gradientBuffers();
    std::vector<std::size_t> byOrder(slots.size());
    for (std::size_t i = 0; i < slots.size(); ++i)
        byOrder[i] = i;
    std::sort(byOrder.begin(), byOrder.end(), [&](auto a, auto b) { return slots[a].order > slots[b].order; });

    struct Open {
        std::int64_t begin = 0, end = 0, bytes = 0;
        std::size_t firstOrder = 0;
        int parameters = 0;
        std::vector<std::size_t> slots;
        bool first = true;
    };
    std::map<std::size_t, Open> open; // per buffer
    std::vector<Bucket> buckets;
    std::vector<std::vector<std::size_t>> members;
    auto close = [&](std::size_t buffer, Open &o) {
        if (o.parameters == 0)
            return;
        Bucket bucket;
        bucket.gradients = buffers[buffer].narrow(0, o.begin, o.end - o.begin);
        bucket.firstOrder = o.firstOrder;
        bucket.parameters = o.parameters;
        buckets.push_back(std::move(bucket));
        members.push_back(std::move(o.slots));
        o = Open{};
        o.first = false;
    };
    for (const std::size_t i : byOrder) {
        const AdamW::GradientSlot &slot = slots[i];
        if (slot.numel == 0)
            continue;
        Open &o = open[slot.buffer];
        if (o.parameters == 0)
            o.end = slot.offset + slot.numel;
        o.begin = slot.offset; // descending order walks each buffer downwards
        o.firstOrder = slot.order;
        o.bytes += slot.numel * static_cast<std::int64_t>(buffers[slot.buffer].element_size());
        ++o.parameters;
        o.slots.push_back(i);
        if (o.bytes >= (o.first ? firstCap : cap))
            close(slot.buffer, o);
    }
    for (auto &[buffer, o] : open)
        close(buffer, o);

    std::vector<std::size_t> position(buckets.size());
    for (std::size_t i = 0; i < position.size(); ++i)
        position[i] = i;
    std::sort(position.begin(), position.end(),
              [&](auto a, auto b) { return buckets[a].firstOrder > buckets[b].firstOrder; });
    std::vector<Bucket> sorted;
    bucketOfSlot.assign(slots.size(), SIZE_MAX);
    for (std::size_t p = 0; p < position.size(); ++p) {
        for (const std::size_t slot : members[position[p]])
            bucketOfSlot[slot] = p;
        sorted.push_back(std::move(buckets[position[p]]));
    }
    return sorted;
}

} // namespace

struct GradientBuckets::Impl {
    ProcessGroup &group;
    std::vector<Bucket> buckets;
    std::vector<std::pair<std::shared_ptr<torch::autograd::Node>, std::uintptr_t>> hooks;
    mutable std::mutex mutex;
    bool armed = false;
    std::size_t nextToStart = 0;
    int startedDuringBackward = 0;
    int lastStartedDuringBackward = 0;

    explicit Impl(ProcessGroup &g) : group(g) {}

    // Starts the ready buckets that are next in line. Under `mutex`.
    void startInOrder(bool duringBackward)
    {
        while (nextToStart < buckets.size() && (buckets[nextToStart].pending == 0 || !duringBackward)) {
            Bucket &bucket = buckets[nextToStart++];
            bucket.sum = group.startSum(bucket.gradients);
            bucket.started = true;
            if (duringBackward)
                ++startedDuringBackward;
        }
    }

    // Runs after a parameter's AccumulateGrad node: its gradient is complete.
    class AccumulatedHook : public torch::autograd::FunctionPostHook {
    public:
        AccumulatedHook(Impl *impl, std::size_t bucket) : mImpl(impl), mBucket(bucket) {}
        torch::autograd::variable_list operator()(const torch::autograd::variable_list &outputs,
                                                  const torch::autograd::variable_list &) override
        {
            mImpl->parameterAccumulated(mBucket);
            return outputs;
        }

    private:
        Impl *mImpl;
        std::size_t mBucket;
    };

    void parameterAccumulated(std::size_t bucket)
    {
        const std::lock_guard lock(mutex);
        if (!armed || buckets[bucket].started)
            return;
        if (--buckets[bucket].pending == 0)
            startInOrder(true);
    }
};

GradientBuckets::GradientBuckets(ProcessGroup &group, const AdamW &optimizer, std::int64_t bucketBytes,
                                 std::int64_t firstBucketBytes)
    : mImpl(std::make_unique<Impl>(group))
{
    std::vector<std::size_t> bucketOfSlot;
    mImpl->buckets = makeBuckets(optimizer, bucketBytes, firstBucketBytes, bucketOfSlot);
    const std::vector<AdamW::GradientSlot> slots = optimizer.gradientSlots();
    for (std::size_t i = 0; i < slots.size(); ++i) {
        if (bucketOfSlot[i] == SIZE_MAX)
            continue;
        // The parameter holds its accumulator weakly; keeping it here keeps the hook.
        auto accumulator = torch::autograd::impl::grad_accumulator(slots[i].parameter);
        const auto key = accumulator->add_post_hook(std::make_unique<Impl::AccumulatedHook>(mImpl.get(), bucketOfSlot[i]));
        mImpl->hooks.emplace_back(std::move(accumulator), key);
    }
}

GradientBuckets::~GradientBuckets()
{
    for (auto &[accumulator, key] : mImpl->hooks)
        accumulator->del_post_hook(key);
}

void GradientBuckets::arm()
{
    const std::lock_guard lock(mImpl->mutex);
    for (Bucket &bucket : mImpl->buckets) {
        bucket.pending = bucket.parameters;
        bucket.started = false;
    }
    mImpl->nextToStart = 0;
    mImpl->startedDuringBackward = 0;
    mImpl->armed = true;
}

void GradientBuckets::finish()
{
    std::unique_lock lock(mImpl->mutex);
    mImpl->armed = false;
    mImpl->startInOrder(false);
    mImpl->lastStartedDuringBackward = mImpl->startedDuringBackward;
    lock.unlock();
    for (Bucket &bucket : mImpl->buckets)
        bucket.sum.wait();
}

void GradientBuckets::disarm()
{
    const std::lock_guard lock(mImpl->mutex);
    mImpl->armed = false;
}

bool GradientBuckets::started() const
{
    const std::lock_guard lock(mImpl->mutex);
    return mImpl->armed && mImpl->nextToStart > 0;
}

int GradientBuckets::bucketCount() const
{
    return static_cast<int>(mImpl->buckets.size());
}

int GradientBuckets::startedDuringBackward() const
{
    const std::lock_guard lock(mImpl->mutex);
    return mImpl->lastStartedDuringBackward;
}

} // namespace ft
