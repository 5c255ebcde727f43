// system_report.h: what `finetune doctor` and the About dialog show: versions,
// the BLAS that really serves LibTorch's matrix products, threads, CUDA
// devices, and a measured matrix-multiply rate. Torch-free interface.
#pragma once

#include <string>
#include <vector>

namespace ft {

struct GpuDevice {
    int index = 0;
    std::string name;
    double memoryGiB = 0;
};

struct SystemReport {
    std::string version;         // Finetune Studio
    std::string libtorch;        // LibTorch version ftcore was built against
    std::string sqlite;          // SQLite library in use
    std::string compiler;
    std::string blasLibrary;     // file that provides sgemm_, symlinks resolved
    std::string blasConfig;      // e.g. OpenBLAS's build string, when it says
    std::string torchBlasInfo;   // what LibTorch's build says it uses
    int torchThreads = 0;        // LibTorch intra-op threads (its default)
    int hardwareThreads = 0;
    bool cudaAvailable = false;
    std::vector<GpuDevice> gpus;
};

SystemReport collectSystemReport();

// The process's peak resident memory so far, in MiB (getrusage's ru_maxrss).
double peakResidentMegabytes();

struct MatmulMeasurement {
    int size = 0;
    int threads = 0;
    double gflops = 0;
};

// Times square float32 matrix products on the CPU with `threads` intra-op
// threads, then restores the previous thread count.
MatmulMeasurement measureMatmul(int size, int threads);

} // namespace ft
