// model_commands.cpp: `finetune model pull`.
#include "cli/commands.h"

#include "cli/interrupt.h"
#include "cli/progress_bar.h"
#include "hub/hub_pull.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <iostream>
#include <memory>

namespace ft::cli {

void addModelCommands(CLI::App &app, Action &action)
{
    auto *model = app.add_subcommand("model", "Get and inspect pretrained checkpoints");
    model->require_subcommand(1);

    struct PullArguments {
        PullOptions options;
        std::string cacheDir;
        bool json = false;
    };
    auto pull = std::make_shared<PullArguments>();
    auto *pullCommand = model->add_subcommand(
        "pull", "Download a model from the Hugging Face Hub (or the mirror in HF_ENDPOINT) into the local cache, "
                "resuming partial downloads and checking large files' SHA-256");
    pullCommand->add_option("ID", pull->options.repoId, "Model id, e.g. google-bert/bert-base-uncased")->required();
    pullCommand->add_option("--revision", pull->options.revision, "Branch, tag or commit")->capture_default_str();
    pullCommand->add_option("--cache-dir", pull->cacheDir,
                            "Cache folder (default: $HF_HUB_CACHE, $HF_HOME/hub or ~/.cache/huggingface/hub)");
    pullCommand->add_option("--include", pull->options.include,
                            "Also fetch files matching this glob (repeatable), e.g. 'onnx/*'");
    pullCommand->add_flag("--json", pull->json, "Print a JSON summary as the last line");
    pullCommand->footer("Environment: HF_ENDPOINT (mirror), HF_TOKEN (gated or private models), HF_HUB_CACHE, HF_HOME.");
    pullCommand->callback([&action, pull] {
        action = [pull] {
            installInterruptHandler();
            PullOptions options = pull->options;
            options.cacheDir = pull->cacheDir;
            ProgressBar bar(ProgressBar::Unit::Bytes);
            options.progress = [&bar](const PullProgress &p) {
                std::string label = "[" + std::to_string(p.fileIndex) + "/" + std::to_string(p.fileCount) + "] " + p.file;
                if (p.attempt > 1)
                    label += " (resuming, attempt " + std::to_string(p.attempt) + ")";
                bar.update(label, p.fileBytes, p.fileSize);
                return !interrupted();
            };
            const PullResult result = pullModel(options);
            bar.finish();
            if (pull->json) {
                nlohmann::json files = nlohmann::json::array();
                for (const auto &file : result.files)
                    files.push_back({{"path", file.path}, {"size", file.size}, {"lfs", file.lfs}});
                std::cout << nlohmann::json{{"id", options.repoId},
                                            {"commit", result.commit},
                                            {"folder", result.folder.string()},
                                            {"files", files},
                                            {"downloaded_bytes", result.downloadedBytes},
                                            {"files_from_cache", result.filesFromCache}}
                                 .dump()
                          << '\n';
            } else {
                std::cout << "Pulled " << options.repoId << " at " << result.commit.substr(0, 12) << " ("
                          << result.files.size() << " files, " << result.filesFromCache << " already cached) into\n  "
                          << result.folder.string() << '\n';
            }
        };
    });
}

} // namespace ft::cli
