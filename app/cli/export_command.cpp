// export_command.cpp: `finetune export`, a run's model in a format other tools
// load, checked against the run; the code the studio's Export page calls.
#include "cli/commands.h"

#include "cli/interrupt.h"
#include "cli/progress_bar.h"
#include "common/error.h"
#include "export/run_export.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>
#include <memory>

namespace ft::cli {

namespace {

std::string formatList()
{
    std::string text;
    for (ExportFormat format : allExportFormats())
        text += "\n  " + toString(format) + std::string(14 - std::min<std::size_t>(13, toString(format).size()), ' ')
                + describe(format);
    return text;
}

std::string number(const char *format, double value)
{
    char text[64];
    std::snprintf(text, sizeof text, format, value);
    return text;
}

nlohmann::json resultJson(const ExportResult &result, ExportFormat format)
{
    nlohmann::json json = {{"export_id", result.exportId},
                           {"format", toString(format)},
                           {"folder", result.folder.string()},
                           {"files", result.files},
                           {"bytes", result.bytes},
                           {"model_bytes", result.modelBytes}};
    if (result.floatModelBytes > 0) {
        json["float_model_bytes"] = result.floatModelBytes;
        json["size_reduction"] = double(result.floatModelBytes) / double(result.modelBytes);
    }
    if (result.check) {
        const ExportCheck &c = *result.check;
        json["check"] = {{"split", c.split},
                         {"examples", c.examples},
                         {"max_abs_logit_difference", c.maxAbsLogitDifference},
                         {"run_accuracy", c.runAccuracy},
                         {"export_accuracy", c.exportAccuracy},
                         {"accuracy_delta", c.exportAccuracy - c.runAccuracy},
                         {"predictions_changed", c.predictionsChanged},
                         {"ms_per_example_batch_1", c.msPerExampleBatch1},
                         {"ms_per_example_batch_32", c.msPerExampleBatch32}};
    }
    return json;
}

void printResult(const ExportResult &result)
{
    std::cout << "exported to " << result.folder.string() << " (" << result.files.size() << " files, "
              << number("%.1f", double(result.bytes) / 1e6) << " MB)\n";
    if (result.floatModelBytes > 0)
        std::cout << "  int8 model " << number("%.1f", double(result.modelBytes) / 1e6) << " MB, "
                  << number("%.2f", double(result.floatModelBytes) / double(result.modelBytes))
                  << "x smaller than float32\n";
    if (!result.check)
        return;
    const ExportCheck &c = *result.check;
    if (c.examples == 0) {
        std::cout << "  not checked: the dataset has no labelled test or validation examples\n";
        return;
    }
    std::cout << "  checked on " << c.examples << " " << c.split << " examples: max logit difference "
              << number("%.3g", c.maxAbsLogitDifference) << ", accuracy " << number("%.4f", c.exportAccuracy)
              << " (run " << number("%.4f", c.runAccuracy) << "), " << c.predictionsChanged
              << " predictions changed\n"
              << "  latency per example: " << number("%.2f", c.msPerExampleBatch1) << " ms at batch 1, "
              << number("%.2f", c.msPerExampleBatch32) << " ms at batch 32\n";
}

} // namespace

void addModelExportCommand(CLI::App &app, Action &action)
{
    struct Args {
        std::string project;
        std::int64_t run = 0;
        std::string format;
        std::string output;
        bool overwrite = false;
        bool noCheck = false;
        bool json = false;
    };
    auto args = std::make_shared<Args>();
    auto *command = app.add_subcommand("export", "Export a run's model for transformers, PEFT, LibTorch or ONNX Runtime");
    command->footer("Formats:" + formatList()
                    + "\n\nThe export is written to a temporary folder beside OUTPUT and moved into place when "
                      "complete, with a model card (README.md). It is then checked: its logits and accuracy on the "
                      "test split (else validation) against the run's own model, and its latency at batch 1 and 32.");
    command->add_option("--project", args->project, "Project folder")->required();
    command->add_option("--run", args->run, "Run id (finetune runs list)")->required();
    command->add_option("--format", args->format, "hf, peft, merged, torchscript, onnx or onnx-int8")->required();
    command->add_option("--output", args->output, "Folder to create")->required();
    command->add_flag("--overwrite", args->overwrite, "Replace OUTPUT if it exists (once the new export is complete)");
    command->add_flag("--no-check", args->noCheck, "Skip the comparison with the run and the timing");
    command->add_flag("--json", args->json, "Print a JSON summary as the last line of stdout");
    command->callback([&action, args] {
        action = [args] {
            installInterruptHandler();
            ExportRequest request;
            request.project = args->project;
            request.runId = args->run;
            request.format = exportFormatFromString(args->format);
            request.output = args->output;
            request.overwrite = args->overwrite;
            request.check = !args->noCheck;
            ProgressBar bar;
            const ExportResult result = exportRun(request, [&](const std::string &stage, double fraction) {
                bar.update(stage, std::uint64_t(fraction * 1000), 1000);
                return !interrupted();
            });
            bar.finish();
            if (args->json)
                std::cout << resultJson(result, request.format).dump() << '\n';
            else
                printResult(result);
        };
    });
}

} // namespace ft::cli
