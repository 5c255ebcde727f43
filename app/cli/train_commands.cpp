// train_commands.cpp: `finetune train` and `finetune runs list|show|import`.
#include "cli/commands.h"

#include "cli/cli_sink.h"
#include "cli/exit_codes.h"
#include "cli/interrupt.h"
#include "cli/local_workers.h"
#include "common/error.h"
#include "store/catalog.h"
#include "store/project.h"
#include "store/runs.h"
#include "train/run_capsule.h"
#include "train/run_evaluation.h"
#include "train/run_import.h"
#include "train/trainer.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <iostream>
#include <memory>
#include <thread>

namespace ft::cli {

namespace {

nlohmann::json summaryJson(const TrainingSummary &s)
{
    return {{"run_id", s.runId},
            {"state", toString(s.state)},
            {"steps", s.steps},
            {"total_steps", s.totalSteps},
            {"epochs", s.epochs},
            {"samples_per_s", s.samplesPerSecond},
            {"tokens_per_s", s.tokensPerSecond},
            {"micro_batch_size", s.microBatchSize},
            {"first_step_s", s.firstStepSeconds},
            {"runtime_s", s.runtimeSeconds},
            {"peak_rss_mb", s.peakRssMb},
            {"final_train_loss", s.finalTrainLoss},
            {"eval", s.evalMetrics},
            {"test", s.testMetrics},
            {"device", s.device},
            {"model_folder", s.modelFolder.string()}};
}

void addTrain(CLI::App &app, Action &action)
{
    struct Arguments {
        TrainingRequest request;
        std::string project;
        std::string configFile;
        std::int64_t resume = 0;
        std::int64_t stopAfterSteps = 0;
        int nprocPerNode = 1;
        bool json = false;
    };
    auto args = std::make_shared<Arguments>();
    // The command line of each local worker: this one without --nproc-per-node.
    const auto workerArguments = [](const Arguments &a) {
        std::vector<std::string> out{"train", "--project", a.project};
        const auto add = [&out](const char *option, const std::string &value) {
            if (!value.empty()) {
                out.push_back(option);
                out.push_back(value);
            }
        };
        add("--dataset", a.request.dataset);
        add("--model", a.request.model);
        add("--config", a.configFile);
        add("--name", a.request.runName);
        add("--resume", a.resume > 0 ? std::to_string(a.resume) : std::string());
        add("--stop-after-steps", a.stopAfterSteps > 0 ? std::to_string(a.stopAfterSteps) : std::string());
        if (a.json)
            out.push_back("--json");
        return out;
    };
    auto *command = app.add_subcommand("train", "Fine-tune a model on a dataset of a project");
    command->add_option("--project", args->project, "Project folder")->required();
    command->add_option("--dataset", args->request.dataset, "Dataset name in the project");
    command->add_option("--model", args->request.model,
                      "Hugging Face checkpoint folder, or scratch:CONFIG.json for a randomly initialised model "
                      "(tokenizer files beside the config); with distill_teacher_run in --config, the teacher's "
                      "(the default, as the dataset is)");
    command->add_option("--config", args->configFile, "Run configuration (JSON, Hugging Face TrainingArguments names)");
    command->add_option("--name", args->request.runName, "Run name");
    command->add_option("--resume", args->resume, "Resume this run from its last checkpoint");
    command->add_option("--stop-after-steps", args->stopAfterSteps,
                      "Stop (as interrupted, resumable) once this many optimiser steps are done");
    command->add_option("--nproc-per-node", args->nprocPerNode,
                        "Train data-parallel with this many worker processes on this machine (Gloo on CPUs); "
                        "torchrun and Slurm set RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT instead")
        ->check(CLI::Range(1, 1024));
    command->add_flag("--json", args->json, "Print a JSON summary as the last line of stdout");
    command->callback([&action, args, workerArguments] {
        action = [args, workerArguments] {
            if (args->nprocPerNode > 1) {
                if (distributedSetupFromEnvironment().active())
                    throw Error(ErrorKind::InvalidInput, "--nproc-per-node starts its own workers; it cannot be "
                                                         "used inside a launched worker (WORLD_SIZE is set)");
                installInterruptHandler(); // Ctrl+C reaches the workers themselves; this process waits for them
                const int code = runLocalWorkers(args->nprocPerNode, workerArguments(*args));
                if (code != 0)
                    throw ExitStatus{code};
                return;
            }
            args->request.distributed = distributedSetupFromEnvironment();
            if (args->resume > 0) {
                args->request.resumeRun = args->resume;
            } else {
                if (!args->configFile.empty())
                    args->request.config = loadRunConfig(args->configFile);
                // A distillation's dataset and model default to its teacher run's.
                const bool distilling = args->request.config.distillTeacherRun > 0;
                if (!distilling && (args->request.dataset.empty() || args->request.model.empty()))
                    throw Error(ErrorKind::InvalidInput, "--dataset and --model are required (or --resume RUN)");
            }
            args->request.project = args->project;
            installInterruptHandler();
            CliSink sink(false);
            RunControl control;
            control.stopAfterStep = args->stopAfterSteps;
            // Ctrl+C becomes a cooperative cancel between steps.
            std::atomic<bool> done{false};
            std::thread watcher([&] {
                while (!done) {
                    if (interrupted())
                        control.cancel = true;
                    std::this_thread::sleep_for(std::chrono::milliseconds(100));
                }
            });
            TrainingSummary summary;
            try {
                summary = ft::train(args->request, sink, control);
            } catch (...) {
                done = true;
                watcher.join();
                throw;
            }
            done = true;
            watcher.join();
            sink.finish();
            if (!args->request.distributed.writes())
                return; // rank 0 reports the run
            if (args->json)
                std::cout << summaryJson(summary).dump() << '\n';
            else
                std::cout << "Run " << summary.runId << " " << toString(summary.state) << " after " << summary.steps
                          << " steps; model in " << summary.modelFolder.string() << '\n';
            if (summary.state == RunState::Cancelled)
                throw Error(ErrorKind::Cancelled, "run " + std::to_string(summary.runId) + " cancelled");
        };
    });
}

void addRuns(CLI::App &app, Action &action)
{
    struct Arguments {
        std::string project;
        std::int64_t run = 0;
        std::int64_t other = 0;
        std::string from;
        bool json = false;
    };
    auto args = std::make_shared<Arguments>();
    auto *runs = app.add_subcommand("runs", "List and inspect runs");
    runs->require_subcommand(1);

    auto *list = runs->add_subcommand("list", "List the runs of a project");
    list->add_option("--project", args->project, "Project folder")->required();
    list->add_flag("--json", args->json, "Print JSON");
    list->callback([&action, args] {
        action = [args] {
            Project project = Project::open(args->project);
            nlohmann::json rows = nlohmann::json::array();
            for (const RunRecord &r : listRuns(project)) {
                rows.push_back({{"id", r.id}, {"name", r.name}, {"state", r.state}, {"dataset", r.dataset},
                                {"model", r.model}, {"device", r.device}, {"created", r.createdAt},
                                {"finished", r.finishedAt}});
                if (!args->json)
                    std::cout << r.id << "  " << r.state << "  " << r.name << "  (" << r.createdAt << ")\n";
            }
            if (args->json)
                std::cout << rows.dump() << '\n';
        };
    });

    auto *import = runs->add_subcommand(
        "import", "Bring a run trained elsewhere (in a copy of this project) into this project, with its metrics, "
                  "checkpoints and model");
    import->add_option("--project", args->project, "Project folder")->required();
    import->add_option("--from", args->from, "The other copy's project folder")->required();
    import->add_option("RUN", args->run, "Run id in the other copy")->required();
    import->add_flag("--json", args->json, "Print JSON");
    import->callback([&action, args] {
        action = [args] {
            Project project = Project::open(args->project);
            const ImportedRun imported = importRun(project, args->from, args->run);
            if (args->json)
                std::cout << nlohmann::json{{"run_id", imported.runId},
                                            {"metrics", imported.metrics},
                                            {"checkpoints", imported.checkpoints}}
                                 .dump()
                          << '\n';
            else
                std::cout << "Imported run " << args->run << " of " << args->from << " as run " << imported.runId
                          << " (" << imported.metrics << " metric points, " << imported.checkpoints
                          << " checkpoints)\n";
        };
    });

    auto *show = runs->add_subcommand("show", "Show a run: configuration, state, checkpoints, last metrics");
    show->add_option("--project", args->project, "Project folder")->required();
    show->add_option("RUN", args->run, "Run id")->required();
    show->add_flag("--json", args->json, "Print JSON");
    show->callback([&action, args] {
        action = [args] {
            Project project = Project::open(args->project);
            const RunDetails run = runDetails(project, args->run);
            std::map<std::string, MetricPoint> last;
            for (const MetricPoint &point : runMetrics(project, run.id))
                last[point.name] = point; // ordered by step within a name: the last wins
            nlohmann::json metrics = nlohmann::json::object();
            for (const auto &[name, point] : last)
                metrics[name] = {{"step", point.step}, {"value", point.value}};
            nlohmann::json checkpoints = nlohmann::json::array();
            for (const CheckpointRecord &c : runCheckpoints(project, run.id))
                checkpoints.push_back({{"step", c.step}, {"path", c.path}, {"best", c.isBest}});
            const nlohmann::json json = {{"id", run.id},
                                         {"name", run.name},
                                         {"state", toString(run.state)},
                                         {"device", run.device},
                                         {"error", run.error},
                                         {"created", run.createdAt},
                                         {"started", run.startedAt},
                                         {"finished", run.finishedAt},
                                         {"config", nlohmann::json::parse(run.configJson)},
                                         {"checkpoints", checkpoints},
                                         {"metrics", metrics}};
            std::cout << (args->json ? json.dump() : json.dump(2)) << '\n';
        };
    });

    auto *replay = runs->add_subcommand("replay", "Train a completed run again and report whether its metrics match");
    replay->add_option("--project", args->project, "Project folder")->required();
    replay->add_option("RUN", args->run, "Run id")->required();
    replay->add_flag("--json", args->json, "Print a JSON report as the last line");
    replay->callback([&action, args] {
        action = [args] {
            installInterruptHandler();
            CliSink sink(true);
            RunControl control;
            const ReplayReport report = replayRun(args->project, args->run, sink, control);
            nlohmann::json inputs = nlohmann::json::array();
            for (const RunDifference &d : report.inputs)
                inputs.push_back({{"what", d.what}, {"original", d.a}, {"replay", d.b}});
            if (args->json) {
                std::cout << nlohmann::json{{"original_run", report.originalRun},
                                            {"replay_run", report.replayRun},
                                            {"identical", report.identical()},
                                            {"points_compared", report.pointsCompared},
                                            {"points_missing", report.pointsMissing},
                                            {"max_abs_difference", report.maxAbsDifference},
                                            {"worst_metric", report.worstMetric},
                                            {"changed_inputs", inputs}}
                                 .dump()
                          << '\n';
                return;
            }
            std::cout << "Replayed run " << report.originalRun << " as run " << report.replayRun << ": "
                      << (report.identical() ? "every metric point matches exactly" : "metrics differ") << " ("
                      << report.pointsCompared << " points compared, " << report.pointsMissing << " missing";
            if (!report.identical())
                std::cout << ", largest difference " << report.maxAbsDifference << " in " << report.worstMetric;
            std::cout << ")\n";
            for (const RunDifference &d : report.inputs)
                std::cout << "  changed since the original: " << d.what << ": " << d.a << " -> " << d.b << '\n';
        };
    });

    auto *diff = runs->add_subcommand("diff", "Show how two runs differ in configuration, data, model and versions");
    diff->add_option("--project", args->project, "Project folder")->required();
    diff->add_option("A", args->run, "First run id")->required();
    diff->add_option("B", args->other, "Second run id")->required();
    diff->add_flag("--json", args->json, "Print JSON");
    diff->callback([&action, args] {
        action = [args] {
            Project project = Project::open(args->project);
            const auto differences = diffRuns(runDetails(project, args->run), runDetails(project, args->other));
            nlohmann::json rows = nlohmann::json::array();
            for (const RunDifference &d : differences)
                rows.push_back({{"what", d.what}, {"a", d.a}, {"b", d.b}});
            if (args->json) {
                std::cout << rows.dump() << '\n';
                return;
            }
            if (differences.empty())
                std::cout << "Runs " << args->run << " and " << args->other
                          << " have the same configuration, data, model and versions\n";
            for (const RunDifference &d : differences)
                std::cout << d.what << ": " << d.a << " | " << d.b << '\n';
        };
    });
}

nlohmann::json scoresJson(const ClassScores &scores)
{
    return {{"precision", scores.precision}, {"recall", scores.recall}, {"f1", scores.f1}, {"support", scores.support}};
}

void addEval(CLI::App &app, Action &action)
{
    struct Arguments {
        RunEvaluationRequest request;
        std::string project;
        std::string dataFile;
        bool json = false;
    };
    auto args = std::make_shared<Arguments>();
    auto *command = app.add_subcommand("eval", "Evaluate a run's model on a split of its dataset or on a labelled file");
    command->add_option("--project", args->project, "Project folder")->required();
    command->add_option("--run", args->request.runId, "Run id")->required();
    command->add_option("--split", args->request.split, "train, validation or test")->capture_default_str();
    command->add_option("--data", args->dataFile, "A labelled CSV, TSV or JSON Lines file instead of a split");
    command->add_option("--text-column", args->request.textColumn, "With --data: the text column (default: guessed)");
    command->add_option("--text-pair-column", args->request.textPairColumn, "With --data: the second text column");
    command->add_option("--label-column", args->request.labelColumn, "With --data: the label column (default: guessed)");
    command->add_option("--batch-size", args->request.batchSize, "Examples per forward pass")->capture_default_str();
    command->add_flag("--json", args->json, "Print one JSON object instead of the report");
    command->callback([&action, args] {
        action = [args] {
            args->request.project = args->project;
            if (!args->dataFile.empty())
                args->request.dataFile = args->dataFile;
            const RunEvaluation result = evaluateRun(args->request);
            for (const std::string &problem : result.problems)
                std::cerr << "skipped " << problem << '\n';
            if (!args->json) {
                std::cout << "Run " << args->request.runId << ", " << result.examples << " examples ("
                          << (args->request.dataFile ? args->dataFile : args->request.split + " split") << "), loss "
                          << result.loss << "\n\n"
                          << result.report;
                if (result.skipped > 0)
                    std::cout << "\n" << result.skipped << " rows skipped (no known label, or malformed)\n";
                return;
            }
            nlohmann::json perClass = nlohmann::json::array();
            for (size_t i = 0; i < result.metrics.perClass.size(); ++i) {
                auto scores = scoresJson(result.metrics.perClass[i]);
                scores["label"] = result.labels[i];
                perClass.push_back(scores);
            }
            std::cout << nlohmann::json{{"run_id", args->request.runId},
                                        {"model_folder", result.modelFolder.string()},
                                        {"examples", result.examples},
                                        {"skipped", result.skipped},
                                        {"loss", result.loss},
                                        {"accuracy", result.metrics.accuracy},
                                        {"macro_avg", scoresJson(result.metrics.macro)},
                                        {"weighted_avg", scoresJson(result.metrics.weighted)},
                                        {"per_class", perClass},
                                        {"labels", result.labels},
                                        {"confusion_matrix", result.metrics.confusion}}
                             .dump()
                      << '\n';
        };
    });
}

} // namespace

void addTrainCommands(CLI::App &app, Action &action)
{
    addTrain(app, action);
    addEval(app, action);
    addRuns(app, action);
}

} // namespace ft::cli
