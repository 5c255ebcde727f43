// runs.h: a run's life in the project store: its record and resolved
// configuration, state changes, metric points and checkpoints. Listing for
// the pages is in catalog.h.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace ft {

class Project;

enum class RunState { Queued, Running, Paused, Completed, Failed, Cancelled, Interrupted };

std::string toString(RunState state);
RunState runStateFromString(const std::string &text); // throws ft::Error on an unknown state
bool isFinished(RunState state);                      // completed, failed or cancelled

struct NewRun {
    std::string name;
    std::optional<std::int64_t> datasetId;
    std::optional<std::int64_t> modelId;
    std::string configJson; // the resolved configuration
    std::string device;
};

struct RunDetails {
    std::int64_t id = 0;
    std::string name;
    std::optional<std::int64_t> datasetId;
    std::optional<std::int64_t> modelId;
    std::string configJson;
    RunState state = RunState::Queued;
    std::string device;
    std::string error;
    std::string createdAt;
    std::string startedAt;
    std::string finishedAt;
    std::string capsuleJson; // empty for runs made before capsules were recorded
};

struct MetricPoint {
    std::int64_t step = 0;
    double epoch = 0;
    std::string name;
    double value = 0;
    double wallSeconds = 0; // training time since the run started, summed over its sessions
};

struct CheckpointRecord {
    std::int64_t step = 0;
    std::string path; // relative to the project folder
    bool isBest = false;
};

std::int64_t createRun(Project &project, const NewRun &run);
RunDetails runDetails(Project &project, std::int64_t runId); // throws NotFound
// Removes a run: its record, metrics and checkpoint records, then its folder
// runs/<id>/ (checkpoints, final model). Exports made from it stay, without
// their run. Throws NotFound for an unknown run.
void deleteRun(Project &project, std::int64_t runId);
// Records the state; the first Running sets started_at, a finished state finished_at.
void setRunState(Project &project, std::int64_t runId, RunState state, const std::string &error = {});
void setRunDevice(Project &project, std::int64_t runId, const std::string &device);
void setRunCapsule(Project &project, std::int64_t runId, const std::string &capsuleJson);

// Writes points in one transaction. A point for a (name, step) the run
// already has replaces it, so steps redone after a resume never duplicate.
void addMetrics(Project &project, std::int64_t runId, std::span<const MetricPoint> points);
std::vector<MetricPoint> runMetrics(Project &project, std::int64_t runId, const std::string &name = {});
// Drops points past `step`: a run resumed from a checkpoint redoes those steps.
void deleteMetricsAfter(Project &project, std::int64_t runId, std::int64_t step);

void addCheckpoint(Project &project, std::int64_t runId, const CheckpointRecord &checkpoint);
void removeCheckpoint(Project &project, std::int64_t runId, std::int64_t step);
void markBestCheckpoint(Project &project, std::int64_t runId, std::int64_t step);
std::vector<CheckpointRecord> runCheckpoints(Project &project, std::int64_t runId);
// Keeps the newest `keep` checkpoints of the run and its best (all when `keep`
// <= 0); the others lose their folder first, then their record, so a kill in
// between leaves a record without a folder, which the next call removes.
void pruneCheckpoints(Project &project, std::int64_t runId, std::int64_t keep);

} // namespace ft
