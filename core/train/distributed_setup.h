// distributed_setup.h: where a worker of a data-parallel run stands: its
// rank among how many, and where rank 0 listens. Read from the variables
// torchrun (and Slurm scripts) set: RANK, LOCAL_RANK, WORLD_SIZE,
// MASTER_ADDR, MASTER_PORT. Torch-free.
#pragma once

#include <chrono>
#include <string>

namespace ft {

struct DistributedSetup {
    int rank = 0;
    int localRank = 0;
    int worldSize = 1;
    std::string masterAddr = "127.0.0.1";
    int masterPort = 29500;
    // A collective that waits longer than this fails (a worker died or hangs).
    std::chrono::seconds timeout{1800};

    bool active() const { return worldSize > 1; }
    bool writes() const { return rank == 0; } // rank 0 alone writes to the project
};

// From the environment; a single process when WORLD_SIZE is unset or 1.
// Throws ft::Error (InvalidInput) naming the variable that is malformed or missing.
DistributedSetup distributedSetupFromEnvironment();

// A loopback port nobody listens on now (the kernel's pick for an ephemeral
// bind), for workers started on this machine. Throws ft::Error (Io).
int freeLoopbackPort();

} // namespace ft
