// compute_threads.cpp
#include "system/compute_threads.h"

#include <ATen/Parallel.h>

#include <dlfcn.h>

#include <algorithm>

namespace ft {

namespace {

// Looked up at run time: the BLAS behind libblas.so.3 is chosen by the
// system, and only OpenBLAS has these entry points.
void setBlasThreads(int threads)
{
    using SetThreadsFn = void (*)(int);
    if (auto set = reinterpret_cast<SetThreadsFn>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads")))
        set(threads);
}

int blasThreads()
{
    using GetThreadsFn = int (*)();
    auto get = reinterpret_cast<GetThreadsFn>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
    return get ? get() : 0;
}

} // namespace

bool blasHasThreadControl()
{
    return dlsym(RTLD_DEFAULT, "openblas_set_num_threads") != nullptr;
}

void setComputeThreads(int threads)
{
    threads = std::max(1, threads);
    if (blasHasThreadControl()) {
        // Matrix products, most of the work, run on OpenBLAS's pool; a second
        // pool of the same size for the element-wise ops made each wait on
        // the other's spinning threads (measured 2.3x slower training on two
        // cores, tests/bench/README.md).
        at::set_num_threads(1);
        setBlasThreads(threads);
    } else {
        at::set_num_threads(threads);
    }
}

int computeThreads()
{
    return blasHasThreadControl() ? blasThreads() : at::get_num_threads();
}

ScopedComputeThreads::ScopedComputeThreads(int threads)
    : mTorchThreads(at::get_num_threads()), mBlasThreads(blasThreads())
{
    setComputeThreads(threads);
}

ScopedComputeThreads::~ScopedComputeThreads()
{
    at::set_num_threads(mTorchThreads);
    if (mBlasThreads > 0)
        setBlasThreads(mBlasThreads);
}

} // namespace ft
