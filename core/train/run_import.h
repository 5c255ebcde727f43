// run_import.h: a run trained elsewhere (in a copy of this project on a
// cluster or another machine, `finetune train` launched there) brought back:
// its record, configuration, metrics, checkpoints and model folder become a
// new run of this project, which the studio then charts, evaluates and
// exports like any other. Torch-free.
#pragma once

#include <cstdint>
#include <filesystem>

namespace ft {

class Project;

struct ImportedRun {
    std::int64_t runId = 0;        // in this project
    std::int64_t metrics = 0;      // points copied
    std::int64_t checkpoints = 0;
};

// Copies run `sourceRunId` of the project in `sourceProject` into `project`.
// Its dataset must exist here under the same name (the run's examples are not
// copied); its base model is registered here if it is not. Files are copied
// first and the records written in one transaction, so a failed import leaves
// nothing behind. Throws ft::Error: NotFound for a missing project, run or
// dataset; InvalidInput for a run that is still training or the same project.
ImportedRun importRun(Project &project, const std::filesystem::path &sourceProject, std::int64_t sourceRunId);

} // namespace ft
