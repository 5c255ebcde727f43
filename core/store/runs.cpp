// runs.cpp: run records, states, metrics and checkpoints in SQLite.
#include "store/runs.h"

#include "common/error.h"
#include "store/project.h"
#include "store/sqlite.h"

#include <array>
#include <filesystem>

namespace ft {

namespace {

constexpr std::array<std::pair<RunState, const char *>, 7> kStateNames = {{
    {RunState::Queued, "queued"},
    {RunState::Running, "running"},
    {RunState::Paused, "paused"},
    {RunState::Completed, "completed"},
    {RunState::Failed, "failed"},
    {RunState::Cancelled, "cancelled"},
    {RunState::Interrupted, "interrupted"},
}};

} // namespace

std::string toString(RunState state)
{
    for (const auto &[value, name] : kStateNames)
        if (value == state)
            return name;
    return "queued";
}

RunState runStateFromString(const std::string &text)
{
    for (const auto &[value, name] : kStateNames)
        if (text == name)
            return value;
    throw Error(ErrorKind::InvalidInput, "unknown run state '" + text + "'");
}

bool isFinished(RunState state)
{
    return state == RunState::Completed || state == RunState::Failed || state == RunState::Cancelled;
}

std::int64_t createRun(Project &project, const NewRun &run)
{
    auto &db = project.database();
    sql::Statement(db, "INSERT INTO runs (name, dataset_id, model_id, config_json, state, device) "
                       "VALUES (?, ?, ?, ?, 'queued', ?)")
        .bind(1, run.name)
        .bind(2, run.datasetId)
        .bind(3, run.modelId)
        .bind(4, run.configJson)
        .bind(5, run.device)
        .run();
    return db.lastInsertRowId();
}

RunDetails runDetails(Project &project, std::int64_t runId)
{
    sql::Statement query(project.database(),
                         "SELECT id, name, dataset_id, model_id, config_json, state, coalesce(device, ''), "
                         "coalesce(error, ''), created_at, coalesce(started_at, ''), coalesce(finished_at, ''), "
                         "coalesce(capsule_json, '') "
                         "FROM runs WHERE id = ?");
    query.bind(1, runId);
    if (!query.step())
        throw Error(ErrorKind::NotFound, "run " + std::to_string(runId) + " does not exist in "
                                             + project.folder().string());
    RunDetails run;
    run.id = query.int64(0);
    run.name = query.text(1);
    if (!query.isNull(2))
        run.datasetId = query.int64(2);
    if (!query.isNull(3))
        run.modelId = query.int64(3);
    run.configJson = query.text(4);
    run.state = runStateFromString(query.text(5));
    run.device = query.text(6);
    run.error = query.text(7);
    run.createdAt = query.text(8);
    run.startedAt = query.text(9);
    run.finishedAt = query.text(10);
    run.capsuleJson = query.text(11);
    return run;
}

void setRunState(Project &project, std::int64_t runId, RunState state, const std::string &error)
{
    constexpr const char *kNow = "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')";
    const std::string startedAt = state == RunState::Running ? std::string("coalesce(started_at, ") + kNow + ")"
                                                             : "started_at";
    const std::string finishedAt = isFinished(state) ? kNow : "NULL";
    sql::Statement update(project.database(), "UPDATE runs SET state = ?, error = ?, started_at = " + startedAt
                                                  + ", finished_at = " + finishedAt + " WHERE id = ?");
    update.bind(1, toString(state));
    if (error.empty())
        update.bindNull(2);
    else
        update.bind(2, error);
    update.bind(3, runId).run();
    if (project.database().changes() == 0)
        throw Error(ErrorKind::NotFound, "run " + std::to_string(runId) + " does not exist");
}

void setRunDevice(Project &project, std::int64_t runId, const std::string &device)
{
    sql::Statement(project.database(), "UPDATE runs SET device = ? WHERE id = ?").bind(1, device).bind(2, runId).run();
}

void setRunCapsule(Project &project, std::int64_t runId, const std::string &capsuleJson)
{
    sql::Statement(project.database(), "UPDATE runs SET capsule_json = ? WHERE id = ?")
        .bind(1, capsuleJson)
        .bind(2, runId)
        .run();
}

void addMetrics(Project &project, std::int64_t runId, std::span<const MetricPoint> points)
{
    auto &db = project.database();
    sql::Transaction transaction(db);
    sql::Statement insert(db, "INSERT OR REPLACE INTO metrics (run_id, name, step, epoch, value, wall_s) VALUES (?, ?, ?, ?, ?, ?)");
    for (const MetricPoint &point : points) {
        insert.bind(1, runId).bind(2, point.name).bind(3, point.step).bind(4, point.epoch).bind(5, point.value);
        insert.bind(6, point.wallSeconds).run();
        insert.reset();
    }
    transaction.commit();
}

std::vector<MetricPoint> runMetrics(Project &project, std::int64_t runId, const std::string &name)
{
    sql::Statement query(project.database(),
                         "SELECT step, coalesce(epoch, 0), name, value, coalesce(wall_s, 0) FROM metrics WHERE run_id = ? "
                         "AND (? = '' OR name = ?) ORDER BY name, step");
    query.bind(1, runId).bind(2, name).bind(3, name);
    std::vector<MetricPoint> points;
    while (query.step())
        points.push_back({query.int64(0), query.real(1), query.text(2), query.real(3), query.real(4)});
    return points;
}

void deleteMetricsAfter(Project &project, std::int64_t runId, std::int64_t step)
{
    sql::Statement(project.database(), "DELETE FROM metrics WHERE run_id = ? AND step > ?")
        .bind(1, runId)
        .bind(2, step)
        .run();
}

void addCheckpoint(Project &project, std::int64_t runId, const CheckpointRecord &checkpoint)
{
    sql::Statement(project.database(),
                   "INSERT OR REPLACE INTO checkpoints (run_id, step, path, is_best) VALUES (?, ?, ?, ?)")
        .bind(1, runId)
        .bind(2, checkpoint.step)
        .bind(3, checkpoint.path)
        .bind(4, checkpoint.isBest ? 1 : 0)
        .run();
}

void deleteRun(Project &project, std::int64_t runId)
{
    runDetails(project, runId);
    // The record first: should removing the files fail half way, what is left
    // is a folder nothing in the store points to, not a run without its files.
    sql::Statement(project.database(), "DELETE FROM runs WHERE id = ?").bind(1, runId).run();
    std::error_code ec;
    std::filesystem::remove_all(project.folder() / "runs" / std::to_string(runId), ec);
}

void removeCheckpoint(Project &project, std::int64_t runId, std::int64_t step)
{
    sql::Statement(project.database(), "DELETE FROM checkpoints WHERE run_id = ? AND step = ?")
        .bind(1, runId)
        .bind(2, step)
        .run();
}

void markBestCheckpoint(Project &project, std::int64_t runId, std::int64_t step)
{
    auto &db = project.database();
    sql::Transaction transaction(db);
    sql::Statement(db, "UPDATE checkpoints SET is_best = (step = ?) WHERE run_id = ?").bind(1, step).bind(2, runId).run();
    transaction.commit();
}

std::vector<CheckpointRecord> runCheckpoints(Project &project, std::int64_t runId)
{
    sql::Statement query(project.database(),
                         "SELECT step, path, is_best FROM checkpoints WHERE run_id = ? ORDER BY step");
    query.bind(1, runId);
    std::vector<CheckpointRecord> checkpoints;
    while (query.step())
        checkpoints.push_back({query.int64(0), query.text(1), query.int64(2) != 0});
    return checkpoints;
}

void pruneCheckpoints(Project &project, std::int64_t runId, std::int64_t keep)
{
    if (keep <= 0)
        return;
    const auto checkpoints = runCheckpoints(project, runId);
    std::int64_t kept = 0;
    for (auto it = checkpoints.rbegin(); it != checkpoints.rend(); ++it) {
        if (it->isBest || kept++ < keep)
            continue;
        std::error_code ec;
        std::filesystem::remove_all(project.folder() / it->path, ec);
        removeCheckpoint(project, runId, it->step);
    }
}

} // namespace ft
