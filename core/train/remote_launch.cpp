// remote_launch.cpp
#include "train/remote_launch.h"

#include "common/error.h"
#include "models/atomic_file.h"
#include "train/run_inputs.h"

#include <sys/stat.h>

namespace fs = std::filesystem;

namespace ft {

namespace {

// 'text' for the shell.
std::string quoted(const std::string &text)
{
    std::string out = "'";
    for (const char c : text)
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

// A model inside the project, as a path under "$PROJECT" (the copy's folder there); others as they are.
std::string modelArgument(const RemoteLaunch &launch)
{
    const ModelSource source = parseModelSource(launch.model);
    const bool scratch = source.scratch;
    const fs::path path = scratch ? source.configFile : source.folder;
    const fs::path relative = fs::absolute(path).lexically_normal().lexically_relative(fs::absolute(launch.project).lexically_normal());
    if (relative.empty() || *relative.begin() == "..")
        return quoted(launch.model);
    return std::string("\"") + (scratch ? kScratchModelPrefix : "") + "$PROJECT/" + relative.generic_string() + "\"";
}

// The variables both scripts set, after PROJECT.
std::string runVariables(const RemoteLaunch &launch)
{
    return "DATASET=" + quoted(launch.dataset) + "\nMODEL=" + modelArgument(launch) + "\n";
}

constexpr const char *kTrain =
    "train --project \"$PROJECT\" --dataset \"$DATASET\" --model \"$MODEL\" --config \"$HERE/run.json\" --json";

void writeScript(const fs::path &file, const std::string &text)
{
    writeFileAtomically(file, text);
    ::chmod(file.c_str(), 0755);
}

} // namespace

void writeRemoteLaunch(const fs::path &folder, const RemoteLaunch &launch)
{
    std::error_code error;
    fs::create_directories(folder, error);
    if (error)
        throw Error(ErrorKind::Io, "cannot create " + folder.string() + ": " + error.message());
    const std::string name = launch.project.filename().string();
    writeFileAtomically(folder / "run.json", launch.configJson + "\n");

    writeScript(folder / "launch-torchrun.sh",
                "#!/bin/bash\n"
                "# Trains the run on this machine (and others: run it on each with NODE_RANK set) with torchrun.\n"
                "# PROJECT: this machine's copy of the project; MASTER_ADDR: the first machine's address.\n"
                "set -euo pipefail\n"
                "HERE=$(cd \"$(dirname \"$0\")\" && pwd)\n"
                "PROJECT=${PROJECT:-$HERE/../" + name + "}\n"
                + runVariables(launch) +
                "exec torchrun --no-python --nnodes " + std::to_string(launch.nodes) + " --node-rank ${NODE_RANK:-0} "
                "--nproc-per-node " + std::to_string(launch.processesPerNode)
                + " \\\n    --master-addr ${MASTER_ADDR:-127.0.0.1} --master-port ${MASTER_PORT:-29500} \\\n"
                "    finetune " + kTrain + "\n");

    writeScript(folder / "finetune-train.sbatch",
                "#!/bin/bash\n"
                "# The run as a Slurm job: one finetune worker per task, given torchrun's variables.\n"
                "#SBATCH --job-name=finetune\n"
                "#SBATCH --nodes=" + std::to_string(launch.nodes) + "\n"
                "#SBATCH --ntasks-per-node=" + std::to_string(launch.processesPerNode) + "\n"
                "set -euo pipefail\n"
                "HERE=${SLURM_SUBMIT_DIR:-$(pwd)}\n"
                "PROJECT=${PROJECT:-$HERE/../" + name + "}\n"
                + runVariables(launch) +
                "export PROJECT DATASET MODEL\n"
                "MASTER_ADDR=$(scontrol show hostnames \"$SLURM_JOB_NODELIST\" | head -n 1)\n"
                "export MASTER_ADDR HERE\n"
                "export MASTER_PORT=${MASTER_PORT:-29500}\n"
                "export WORLD_SIZE=$SLURM_NTASKS\n"
                "srun bash -c 'RANK=$SLURM_PROCID LOCAL_RANK=$SLURM_LOCALID exec finetune " + kTrain + "'\n");

    writeFileAtomically(folder / "README.txt",
                        "Run elsewhere: dataset '" + launch.dataset + "' of project " + name + "\n\n"
                        "1. Copy the project folder (" + name + ") and this folder side by side to the machine or\n"
                        "   cluster, with Finetune Studio's finetune command installed there.\n"
                        "2. Start the run: ./launch-torchrun.sh (one machine, or each machine with NODE_RANK and\n"
                        "   MASTER_ADDR set), or sbatch finetune-train.sbatch from this folder on a Slurm cluster.\n"
                        "   PROJECT=/path/to/the/copy overrides where the project is. Every worker must see the\n"
                        "   project folder (a shared file system on a cluster); rank 0 writes the run into it.\n"
                        "   A run that stopped continues with the same command and --resume RUN instead of\n"
                        "   --dataset, --model and --config.\n"
                        "3. Copy the project folder back beside yours and bring the run in:\n"
                        "   finetune runs import --project YOUR_PROJECT --from THE_COPY RUN\n"
                        "   It then appears in the studio with its charts, checkpoints and model.\n");
}

} // namespace ft
