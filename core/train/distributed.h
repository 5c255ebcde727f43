// distributed.h: the collectives of data-parallel training, on PyTorch's own
// distributed runtime (c10d): a TCPStore for the rendezvous at rank 0's
// address and a Gloo process group on CPUs.
#pragma once

#include "train/distributed_setup.h"
#include "train/gradient_accumulator.h"

#include <ATen/core/Tensor.h>

#include <memory>
#include <vector>

namespace ft {

// A process group of every worker of the run.
class ProcessGroup {
public:
    // Waits for all workers (up to the timeout). Throws ft::Error (Io) when
    // the rendezvous fails, naming the address.
    explicit ProcessGroup(const DistributedSetup &setup);
    ~ProcessGroup();
    ProcessGroup(const ProcessGroup &) = delete;
    ProcessGroup &operator=(const ProcessGroup &) = delete;

    int rank() const { return mSetup.rank; }
    int worldSize() const { return mSetup.worldSize; }

    // Sums each tensor over the workers, in place (CPU tensors). A worker that
    // died or timed out: ft::Error (Io) saying so, naming the operation.
    void allReduceSum(std::vector<at::Tensor> &tensors);

    // A sum started in the background (on Gloo's threads); wait() ends it,
    // failing as allReduceSum does. Every worker must start the same sums
    // in the same order.
    class PendingSum {
    public:
        PendingSum();
        ~PendingSum();
        PendingSum(PendingSum &&) noexcept;
        PendingSum &operator=(PendingSum &&) noexcept;
        void wait();

    private:
        friend class ProcessGroup;
        struct Work;
        std::unique_ptr<Work> mWork;
    };
    // `tensor` must stay alive and untouched until wait() returns.
    PendingSum startSum(at::Tensor tensor);
    // Rank 0's values into every worker's tensors, in place.
    void broadcast(std::vector<at::Tensor> &tensors);
    void barrier();

private:
    struct Impl;
    DistributedSetup mSetup;
    std::unique_ptr<Impl> mImpl;
};

// After each worker accumulated its slice's share of a step (and its
// gradients were summed, see GradientBuckets): the step's loss, samples and
// tokens summed over the workers, in place, so every worker holds the whole
// step's. Returns whether any worker was cancelled (Ctrl+C reaches each at
// its own moment; they stop together after this step).
bool sumOverWorkers(ProcessGroup &group, AccumulatedGradients &step, bool cancelled);

} // namespace ft
