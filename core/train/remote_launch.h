// remote_launch.h: "Run elsewhere": a run set up here, written out to be
// launched on another machine or a cluster against a copy of the project:
// run.json, a torchrun launch script, a Slurm batch script and a README that
// says how to bring the finished run back (`finetune runs import`).
// Torch-free.
#pragma once

#include <filesystem>
#include <string>

namespace ft {

struct RemoteLaunch {
    std::filesystem::path project; // this project's folder; paths inside it become relative to $PROJECT
    std::string dataset;
    std::string model;             // a model folder or scratch:CONFIG.json
    std::string configJson;        // the run configuration
    int nodes = 1;
    int processesPerNode = 1;
};

// Writes the four files into `folder` (created), each atomically. Throws
// ft::Error: NotFound when the model does not exist here, Io naming a file
// that cannot be written.
void writeRemoteLaunch(const std::filesystem::path &folder, const RemoteLaunch &launch);

} // namespace ft
