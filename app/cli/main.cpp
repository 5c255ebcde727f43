// main.cpp: `finetune`, the command-line face of the engine. Parses, runs the
// chosen command, and maps failures to the documented exit codes.
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "common/error.h"
#include "common/version.h"

#include <CLI/CLI.hpp>

#include <iostream>

int main(int argc, char **argv)
{
    using namespace ft::cli;
    CLI::App app{"finetune: fine-tune pretrained models on your own data (the engine of Finetune Studio).",
                 "finetune"};
    app.set_version_flag("-V,--version", std::string("finetune ") + ft::kVersion);
    app.require_subcommand(1);
    app.footer(kExitCodeHelp);

    Action action;
    addProjectCommands(app, action);
    addModelCommands(app, action);
    addPredictCommand(app, action);
    addGenerateCommands(app, *app.get_subcommand("model"), action);
    addServeCommand(app, action);
    addModelExportCommand(app, action);
    addDatasetCommands(app, action);
    addTrainCommands(app, action);
    addCompareCommand(app, action);
    addDoctorCommand(app, action);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError &e) {
        const int code = app.exit(e);
        return code == 0 ? kSuccess : kUsage;
    }

    try {
        if (action)
            action();
        return kSuccess;
    } catch (const ExitStatus &status) {
        std::cout.flush();
        return status.code;
    } catch (const ft::Error &e) {
        std::cout.flush();
        std::cerr << "finetune: error: " << e.what() << '\n';
        return exitCodeFor(e.kind());
    } catch (const std::exception &e) {
        std::cout.flush();
        std::cerr << "finetune: internal error: " << e.what() << '\n';
        return kFailure;
    }
}
