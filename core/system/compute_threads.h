// compute_threads.h: one knob for CPU parallelism. LibTorch's intra-op pool
// and OpenBLAS's own pthread pool are separate; setting only the first leaves
// matrix products on however many threads OpenBLAS picked for itself.
#pragma once

namespace ft {

// Sets LibTorch's intra-op threads and, when OpenBLAS serves BLAS, its threads.
void setComputeThreads(int threads);
int computeThreads();

// Sets the threads for a scope and restores both pools' counts after it.
class ScopedComputeThreads {
public:
    explicit ScopedComputeThreads(int threads);
    ~ScopedComputeThreads();
    ScopedComputeThreads(const ScopedComputeThreads &) = delete;
    ScopedComputeThreads &operator=(const ScopedComputeThreads &) = delete;

private:
    int mTorchThreads;
    int mBlasThreads; // 0 when the BLAS has no thread control
};

} // namespace ft
