// run_capsule.h: what makes a run reproducible, recorded when it starts:
// content hashes of its dataset splits, tokenizer and base model files, the
// resolved configuration and seed, and the versions it ran with. Replaying
// a run trains it again and says whether every metric point matches; diffing
// two runs says how their configurations and inputs differ. Torch-free.
#pragma once

#include "train/progress_sink.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace ft {

class Project;
struct NewRun;
struct RunDetails;

// `modelSource` is the run's --model (a folder, or scratch:CONFIG.json).
nlohmann::json makeRunCapsule(Project &project, std::int64_t datasetId, const std::string &modelSource,
                              const std::string &device);

// Creates the run's record with its capsule, in one transaction: a process killed between them leaves
// no run without its capsule. Returns the run's id.
std::int64_t createRunWithCapsule(Project &project, const NewRun &run, const std::string &modelSource,
                                  const std::string &device);

struct RunDifference {
    std::string what; // "config.learning_rate", "data.train", "model.model.safetensors", "versions.libtorch", ...
    std::string a;
    std::string b;
};

// Configuration keys, data, tokenizer, model and versions that differ.
std::vector<RunDifference> diffRuns(const RunDetails &a, const RunDetails &b);

struct ReplayReport {
    std::int64_t originalRun = 0;
    std::int64_t replayRun = 0;
    std::int64_t pointsCompared = 0;
    std::int64_t pointsMissing = 0;     // in one run and not the other
    double maxAbsDifference = 0;        // over the points both have
    std::string worstMetric;            // where that difference is
    std::vector<RunDifference> inputs;  // data, model or versions that changed since the original
    bool identical() const { return pointsMissing == 0 && maxAbsDifference == 0; }
};

// Trains the run again, as a new run with the same dataset, model and
// configuration, and compares every metric point with the original's.
ReplayReport replayRun(const std::filesystem::path &project, std::int64_t runId, ProgressSink &sink,
                       RunControl &control);

} // namespace ft
