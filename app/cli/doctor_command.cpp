// doctor_command.cpp: `finetune doctor`, a one-look check of the machine.
#include "cli/commands.h"

#include "system/system_report.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>
#include <memory>

namespace ft::cli {

namespace {

std::string formatGflops(double value)
{
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.1f", value);
    return buffer;
}

} // namespace

void addDoctorCommand(CLI::App &app, Action &action)
{
    struct Options {
        bool json = false;
        int size = 1024;
    };
    auto options = std::make_shared<Options>();
    auto *doctor = app.add_subcommand("doctor", "Show versions, BLAS, threads, GPUs and a measured matmul speed");
    doctor->add_flag("--json", options->json, "Print one JSON object instead of text");
    doctor->add_option("--matmul-size", options->size, "Side of the square matrices timed")
        ->check(CLI::Range(64, 8192))
        ->capture_default_str();
    doctor->callback([&action, options] {
        action = [options] {
            const SystemReport report = collectSystemReport();
            const MatmulMeasurement oneThread = measureMatmul(options->size, 1);
            const MatmulMeasurement allThreads = measureMatmul(options->size, report.hardwareThreads);
            nlohmann::json gpus = nlohmann::json::array();
            for (const auto &gpu : report.gpus)
                gpus.push_back({{"index", gpu.index}, {"name", gpu.name}, {"memory_gib", gpu.memoryGiB}});
            const nlohmann::json json = {
                {"version", report.version},
                {"libtorch", report.libtorch},
                {"qt", FINETUNE_QT_VERSION},
                {"sqlite", report.sqlite},
                {"compiler", report.compiler},
                {"blas_library", report.blasLibrary},
                {"blas_config", report.blasConfig},
                {"torch_blas_info", report.torchBlasInfo},
                {"torch_threads", report.torchThreads},
                {"hardware_threads", report.hardwareThreads},
                {"cuda_available", report.cudaAvailable},
                {"gpus", gpus},
                {"matmul", {{"size", options->size},
                            {"gflops_1_thread", oneThread.gflops},
                            {"gflops_all_threads", allThreads.gflops},
                            {"threads", allThreads.threads}}}};
            if (options->json) {
                std::cout << json.dump() << '\n';
                return;
            }
            const std::string qt = FINETUNE_QT_VERSION;
            std::cout << "Finetune Studio " << report.version << '\n'
                      << "  LibTorch       " << report.libtorch << '\n'
                      << "  Qt             " << (qt.empty() ? "not built (headless)" : qt) << '\n'
                      << "  SQLite         " << report.sqlite << '\n'
                      << "  Compiler       " << report.compiler << '\n'
                      << "BLAS\n"
                      << "  sgemm_ from    " << report.blasLibrary << '\n';
            if (!report.blasConfig.empty())
                std::cout << "  library        " << report.blasConfig << '\n';
            std::cout << "  LibTorch says  BLAS_INFO=" << report.torchBlasInfo << '\n'
                      << "Threads\n"
                      << "  hardware       " << report.hardwareThreads << '\n'
                      << "  LibTorch       " << report.torchThreads
                      << " by default (runs set their own with the `threads` option)\n"
                      << "CUDA\n";
            if (report.gpus.empty())
                std::cout << "  devices        none (training runs on the CPU)\n";
            for (const auto &gpu : report.gpus)
                std::cout << "  cuda:" << gpu.index << "         " << gpu.name << ", "
                          << formatGflops(gpu.memoryGiB) << " GiB\n";
            std::cout << "Matmul " << options->size << "x" << options->size << " float32 on the CPU\n"
                      << "  1 thread       " << formatGflops(oneThread.gflops) << " GFLOP/s\n"
                      << "  " << allThreads.threads << " threads      " << formatGflops(allThreads.gflops)
                      << " GFLOP/s\n";
            // Debian's reference BLAS lives in .../blas/; OpenBLAS says who it is.
            const bool referenceBlas = report.blasLibrary.find("/blas/") != std::string::npos
                                       || report.blasLibrary.rfind("none", 0) == 0;
            if (referenceBlas)
                std::cout << "Warning: LibTorch uses the reference BLAS, which trains about ten times slower. "
                             "Install an optimised one (on Debian: apt-get install libopenblas0-pthread).\n";
            else if (allThreads.gflops < 20)
                std::cout << "Note: matrix products measured slower than this BLAS usually runs; "
                             "is the machine busy with other work?\n";
        };
    });
}

} // namespace ft::cli
