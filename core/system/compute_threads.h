// compute_threads.h: one knob for CPU parallelism. LibTorch's intra-op pool
// and OpenBLAS's own pthread pool are separate; setting only the first leaves
// matrix products on however many threads OpenBLAS picked for itself, and
// giving both pools every core oversubscribes them.
#pragma once

namespace ft {

// Uses `threads` cores: when OpenBLAS serves BLAS, its pool gets them and
// LibTorch's intra-op pool one thread; otherwise LibTorch's pool gets them.
void setComputeThreads(int threads);
// The cores in use by the pool that does the matrix products.
int computeThreads();
// Whether the BLAS in use lets us set its threads (OpenBLAS).
bool blasHasThreadControl();

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
