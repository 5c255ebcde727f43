// commands.h: each `finetune` subcommand group registers itself on the app.
// Handlers throw ft::Error; main turns it into a message and an exit code.
#pragma once

#include <functional>

namespace CLI {
class App;
}

namespace ft {
struct PredictorOptions;
}

namespace ft::cli {

// The handler to run after parsing; set by whichever subcommand was chosen.
using Action = std::function<void()>;

void addProjectCommands(CLI::App &app, Action &action);
void addDoctorCommand(CLI::App &app, Action &action);
void addModelCommands(CLI::App &app, Action &action);
void addPredictCommand(CLI::App &app, Action &action);
// `generate`, and `convert-llama2c` on the `model` group.
void addGenerateCommands(CLI::App &app, CLI::App &model, Action &action);
void addServeCommand(CLI::App &app, Action &action);
// --max-length, --threads and --device, shared by predict and serve.
void addPredictorOptions(CLI::App &command, PredictorOptions &options);
void addModelExportCommand(CLI::App &app, Action &action);
void addDatasetCommands(CLI::App &app, Action &action);
// stats, export and label add|rename|merge|delete, on the `dataset` group.
void addDatasetToolCommands(CLI::App &dataset, Action &action);
void addTrainCommands(CLI::App &app, Action &action);
void addCompareCommand(CLI::App &app, Action &action);

} // namespace ft::cli
