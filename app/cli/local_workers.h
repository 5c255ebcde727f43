// local_workers.h: `finetune train --nproc-per-node N`: N copies of this
// program on this machine, each given the variables torchrun sets (RANK,
// LOCAL_RANK, WORLD_SIZE, MASTER_ADDR=127.0.0.1, a free MASTER_PORT), so they
// train one run data-parallel. A worker that fails ends the others: they see
// its connection close and stop; any still running after a grace period are
// killed.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace ft::cli {

// Runs the workers with `arguments` (argv without the program) and waits for
// all of them. Returns 0 when every worker succeeded, else the exit code of
// the first that failed (128 + signal for one that was killed).
int runLocalWorkers(int count, const std::vector<std::string> &arguments,
                    std::chrono::seconds grace = std::chrono::seconds(30));

} // namespace ft::cli
