// system_report.cpp: gathers versions and hardware facts, and measures matmul.
#include "system/system_report.h"

#include "common/version.h"
#include "store/sqlite.h"
#include "system/compute_threads.h"

#include <ATen/Parallel.h>
#include <ATen/Version.h>
#include <torch/cuda.h>
#include <torch/version.h>
#include <ATen/ATen.h>

#include <dlfcn.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <thread>

namespace ft {

namespace {

// Which shared object answers for sgemm_: Debian's libblas.so.3 is an
// alternatives link that may point at OpenBLAS or the reference BLAS, and
// LibTorch's own BLAS_INFO cannot tell them apart.
void findBlas(SystemReport &report)
{
    void *symbol = dlsym(RTLD_DEFAULT, "sgemm_");
    Dl_info info{};
    if (symbol && dladdr(symbol, &info) && info.dli_fname) {
        std::error_code ec;
        const auto resolved = std::filesystem::canonical(info.dli_fname, ec);
        report.blasLibrary = ec ? info.dli_fname : resolved.string();
    } else {
        report.blasLibrary = "none found (LibTorch uses its built-in kernels)";
    }
    using ConfigFn = char *(*)();
    if (auto config = reinterpret_cast<ConfigFn>(dlsym(RTLD_DEFAULT, "openblas_get_config")))
        report.blasConfig = config();
}

std::string torchBlasInfo()
{
    std::istringstream config(at::show_config());
    for (std::string line; std::getline(config, line);) {
        const auto at = line.find("BLAS_INFO=");
        if (at != std::string::npos) {
            auto value = line.substr(at + 10);
            return value.substr(0, value.find(','));
        }
    }
    return "unknown";
}

// Device names through the CUDA driver API, loaded at run time so that a CPU
// build needs no CUDA headers and a machine without a driver just has none.
std::vector<GpuDevice> cudaDevices(int count)
{
    std::vector<GpuDevice> devices;
    void *driver = dlopen("libcuda.so.1", RTLD_LAZY | RTLD_LOCAL);
    using InitFn = int (*)(unsigned);
    using GetFn = int (*)(int *, int);
    using NameFn = int (*)(char *, int, int);
    using MemFn = int (*)(size_t *, int);
    InitFn init = driver ? reinterpret_cast<InitFn>(dlsym(driver, "cuInit")) : nullptr;
    GetFn get = driver ? reinterpret_cast<GetFn>(dlsym(driver, "cuDeviceGet")) : nullptr;
    NameFn name = driver ? reinterpret_cast<NameFn>(dlsym(driver, "cuDeviceGetName")) : nullptr;
    MemFn memory = driver ? reinterpret_cast<MemFn>(dlsym(driver, "cuDeviceTotalMem_v2")) : nullptr;
    const bool driverOk = init && get && name && memory && init(0) == 0;
    for (int i = 0; i < count; ++i) {
        GpuDevice device{i, "CUDA device " + std::to_string(i), 0};
        int handle = 0;
        char buffer[256] = {};
        size_t bytes = 0;
        if (driverOk && get(&handle, i) == 0 && name(buffer, sizeof buffer, handle) == 0) {
            device.name = buffer;
            if (memory(&bytes, handle) == 0)
                device.memoryGiB = static_cast<double>(bytes) / (1024.0 * 1024.0 * 1024.0);
        }
        devices.push_back(device);
    }
    return devices;
}

} // namespace

SystemReport collectSystemReport()
{
    SystemReport report;
    report.version = kVersion;
    report.libtorch = TORCH_VERSION;
    report.sqlite = sql::libraryVersion();
#if defined(__clang__)
    report.compiler = "clang " __clang_version__;
#elif defined(__GNUC__)
    report.compiler = "g++ " __VERSION__;
#endif
    findBlas(report);
    report.torchBlasInfo = torchBlasInfo();
    report.torchThreads = at::get_num_threads();
    report.hardwareThreads = static_cast<int>(std::thread::hardware_concurrency());
    report.cudaAvailable = torch::cuda::is_available();
    if (report.cudaAvailable)
        report.gpus = cudaDevices(static_cast<int>(torch::cuda::device_count()));
    return report;
}

MatmulMeasurement measureMatmul(int size, int threads)
{
    const ScopedComputeThreads scope(threads);
    const auto a = at::rand({size, size});
    const auto b = at::rand({size, size});
    auto c = at::matmul(a, b); // warm-up: thread pool, BLAS buffers

    using Clock = std::chrono::steady_clock;
    int iterations = 0;
    const auto start = Clock::now();
    double seconds = 0;
    // Enough repetitions for ~0.4 s of work, so timer noise does not matter.
    while (seconds < 0.4 || iterations < 3) {
        c = at::matmul(a, b);
        ++iterations;
        seconds = std::chrono::duration<double>(Clock::now() - start).count();
    }
    const double flops = 2.0 * size * size * static_cast<double>(size) * iterations;
    return {size, std::max(1, threads), flops / seconds / 1e9};
}

double peakResidentMegabytes()
{
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

} // namespace ft
