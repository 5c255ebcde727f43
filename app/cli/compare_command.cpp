// compare_command.cpp: `finetune compare`, finished runs (a teacher and its students, say) side by
// side: parameters, size, latency at batch 1 on the CPU and accuracy, optionally with int8 copies.
#include "cli/commands.h"

#include "cli/interrupt.h"
#include "cli/progress_bar.h"
#include "common/error.h"
#include "infer/model_comparison.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>
#include <memory>

namespace ft::cli {

namespace {

std::string number(const char *format, double value)
{
    char text[64];
    std::snprintf(text, sizeof text, format, value);
    return text;
}

nlohmann::json comparisonJson(const ModelComparison &comparison)
{
    nlohmann::json models = nlohmann::json::array();
    const double baseline = comparison.models.empty() ? 0.0 : comparison.models.front().latencyMs;
    for (const ComparedModel &m : comparison.models)
        models.push_back({{"run_id", m.runId},
                          {"run_name", m.runName},
                          {"variant", m.variant},
                          {"architecture", m.architecture},
                          {"layers", m.layers},
                          {"parameters", m.parameters},
                          {"bytes", m.bytes},
                          {"size_mb", double(m.bytes) / 1e6},
                          {"size_on_disk", m.bytesOnDisk},
                          {"latency_ms", m.latencyMs},
                          {"latency_p90_ms", m.latencyP90Ms},
                          {"speedup", m.latencyMs > 0 ? baseline / m.latencyMs : 0.0},
                          {"accuracy", m.accuracy},
                          {"examples", m.examples},
                          {"teacher_run", m.teacherRun}});
    return {{"split", comparison.split},
            {"threads", comparison.threads},
            {"latency_runs", comparison.latencyRuns},
            {"engine", comparison.engine},
            {"models", models}};
}

void printComparison(const ModelComparison &comparison)
{
    std::printf("%-5s %-18s %-7s %6s %11s %9s %19s %8s %9s\n", "run", "variant", "teacher", "layers", "parameters",
                "size MB", "latency ms p50/p90", "speedup", "accuracy");
    const double baseline = comparison.models.empty() ? 0.0 : comparison.models.front().latencyMs;
    for (const ComparedModel &m : comparison.models) {
        const std::string latency = number("%.2f", m.latencyMs) + " / " + number("%.2f", m.latencyP90Ms);
        std::printf("%-5lld %-18s %-7s %6lld %11lld %9s %19s %8s %9s\n", static_cast<long long>(m.runId),
                    m.variant.c_str(), m.teacherRun > 0 ? std::to_string(m.teacherRun).c_str() : "-",
                    static_cast<long long>(m.layers), static_cast<long long>(m.parameters),
                    (number("%.2f", double(m.bytes) / 1e6) + (m.bytesOnDisk ? "" : "*")).c_str(), latency.c_str(),
                    (number("%.2f", m.latencyMs > 0 ? baseline / m.latencyMs : 0.0) + "x").c_str(),
                    number("%.4f", m.accuracy).c_str());
    }
    const std::int64_t examples = comparison.models.empty() ? 0 : comparison.models.front().examples;
    std::cout << "accuracy on " << examples << " " << comparison.split << " examples; latency: one example at a time, "
              << comparison.latencyRuns << " each, " << comparison.threads << " thread"
              << (comparison.threads == 1 ? "" : "s") << "; speedup against the first row";
    if (!comparison.engine.empty())
        std::cout << "\n* int8 tensors as held in memory (" << comparison.engine << " engine), not a file";
    std::cout << '\n';
}

} // namespace

void addCompareCommand(CLI::App &app, Action &action)
{
    struct Args {
        ComparisonRequest request;
        std::string project;
        bool json = false;
    };
    auto args = std::make_shared<Args>();
    auto *command = app.add_subcommand(
        "compare", "Compare finished runs (e.g. a teacher and its distilled students): size, latency, accuracy");
    command->footer("Each run's final model is loaded as `finetune predict` loads it, on the CPU. Latency is the "
                    "median (and 90th percentile) of single-example predictions, tokenising included, measured "
                    "round-robin over the models after a warm-up, with the same thread count for all. Accuracy is "
                    "on the test split of the first run's dataset (validation when it has no test rows). Size is "
                    "model.safetensors on disk; for --quantized copies, the int8 tensors as held in memory.");
    command->add_option("--project", args->project, "Project folder")->required();
    command->add_option("--runs", args->request.runs, "Run ids, comma-separated (the first is the baseline)")
        ->required()
        ->delimiter(',');
    command->add_flag("--quantized", args->request.quantized,
                      "Also compare each run's int8 dynamically quantised copy (linear layers int8, CPU)");
    command->add_option("--quantization", args->request.quantization, "int8 (per tensor) or int8-per-channel")
        ->check(CLI::IsMember({"int8", "int8-per-channel"}))
        ->capture_default_str();
    command->add_option("--split", args->request.split, "test, validation or train (default: test, else validation)")
        ->check(CLI::IsMember({"test", "validation", "train"}));
    command->add_option("--examples", args->request.maxExamples, "Accuracy on the split's first N rows (0: all)")
        ->check(CLI::NonNegativeNumber);
    command->add_option("--latency-runs", args->request.latencyRuns, "Timed predictions per model")
        ->check(CLI::Range(1, 1000000))
        ->capture_default_str();
    command->add_option("--warmup-runs", args->request.warmupRuns, "Untimed predictions per model first")
        ->check(CLI::Range(0, 1000000))
        ->capture_default_str();
    command->add_option("--threads", args->request.threads, "CPU threads, the same for every model")
        ->check(CLI::Range(1, 1024))
        ->capture_default_str();
    command->add_flag("--json", args->json, "Print one JSON object");
    command->callback([&action, args] {
        action = [args] {
            installInterruptHandler();
            args->request.project = args->project;
            ProgressBar bar;
            const ModelComparison comparison = compareRuns(args->request, [&](const std::string &stage, double f) {
                bar.update(stage, std::uint64_t(f * 1000), 1000);
                return !interrupted();
            });
            bar.finish();
            if (args->json)
                std::cout << comparisonJson(comparison).dump() << '\n';
            else
                printComparison(comparison);
        };
    });
}

} // namespace ft::cli
