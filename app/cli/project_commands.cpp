// project_commands.cpp: `finetune project init|info|sample`.
#include "cli/commands.h"

#include "data/sample_dataset.h"
#include "store/catalog.h"
#include "store/datasets.h"
#include "store/project.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <iostream>
#include <memory>

namespace ft::cli {

namespace {

nlohmann::json projectJson(Project &project)
{
    const ProjectSummary summary = project.summary();
    nlohmann::json datasets = nlohmann::json::array();
    for (const auto &d : listDatasets(project)) {
        datasets.push_back({{"name", d.name}, {"examples", d.examples}, {"labels", d.labels},
                            {"train", d.train}, {"validation", d.validation}, {"test", d.test}});
    }
    return {{"name", project.name()},
            {"folder", project.folder().string()},
            {"schema_version", summary.schemaVersion},
            {"database_bytes", summary.databaseBytes},
            {"integrity", project.integrityCheck()},
            {"datasets", datasets},
            {"examples", summary.examples},
            {"models", summary.models},
            {"runs", summary.runs},
            {"exports", summary.exports}};
}

void printProject(const nlohmann::json &info)
{
    std::cout << "Project    " << info["name"].get<std::string>() << '\n'
              << "Folder     " << info["folder"].get<std::string>() << '\n'
              << "Schema     v" << info["schema_version"].get<int>() << '\n'
              << "Integrity  " << info["integrity"].get<std::string>() << '\n'
              << "Datasets   " << info["datasets"].size() << '\n';
    for (const auto &d : info["datasets"]) {
        std::cout << "  " << d["name"].get<std::string>() << ": " << d["examples"] << " examples, "
                  << d["labels"] << " labels (train " << d["train"] << ", validation " << d["validation"]
                  << ", test " << d["test"] << ")\n";
    }
    std::cout << "Models     " << info["models"] << '\n'
              << "Runs       " << info["runs"] << '\n'
              << "Exports    " << info["exports"] << '\n';
}

} // namespace

void addProjectCommands(CLI::App &app, Action &action)
{
    auto *project = app.add_subcommand("project", "Create and inspect project folders");
    project->require_subcommand(1);

    struct Options {
        std::string path;
        bool json = false;
    };
    auto options = std::make_shared<Options>();

    auto *init = project->add_subcommand("init", "Create a new, empty project in PATH");
    init->add_option("PATH", options->path, "Project folder (created if missing)")->required();
    init->callback([&action, options] {
        action = [options] {
            Project created = Project::create(options->path);
            std::cout << "Created project " << created.name() << " in " << created.folder().string() << '\n';
        };
    });

    auto *info = project->add_subcommand("info", "Show what a project holds and check its database");
    info->add_option("PATH", options->path, "Project folder or its project.sqlite")->required();
    info->add_flag("--json", options->json, "Print one JSON object instead of text");
    info->callback([&action, options] {
        action = [options] {
            Project opened = Project::open(options->path);
            const auto json = projectJson(opened);
            if (options->json)
                std::cout << json.dump() << '\n';
            else
                printProject(json);
        };
    });

    auto *sample = project->add_subcommand(
        "sample", "Create the sample project (generated product reviews and shape pictures) in PATH, unless one is there "
                  "already");
    sample->add_option("PATH", options->path, "Project folder")->required();
    sample->callback([&action, options] {
        action = [options] {
            const bool created = ensureSampleProject(options->path);
            std::cout << (created ? "Created sample project in " : "Sample project already present in ")
                      << options->path << '\n';
        };
    });
}

} // namespace ft::cli
