// run_import.cpp
#include "train/run_import.h"

#include "common/error.h"
#include "store/catalog.h"
#include "store/datasets.h"
#include "store/project.h"
#include "store/runs.h"
#include "store/sqlite.h"
#include "train/run_inputs.h"

#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;

namespace ft {

namespace {

// Removes a folder unless released (the import reached its end).
class FolderGuard {
public:
    explicit FolderGuard(fs::path folder) : mFolder(std::move(folder)) {}
    ~FolderGuard()
    {
        std::error_code ignored;
        if (!mFolder.empty())
            fs::remove_all(mFolder, ignored);
    }
    void moveTo(const fs::path &to)
    {
        std::error_code error;
        fs::rename(mFolder, to, error);
        if (error)
            throw Error(ErrorKind::Io, "cannot move " + mFolder.string() + " to " + to.string() + ": " + error.message());
        mFolder = to; // still removed if the records are not written
    }
    void release() { mFolder.clear(); }

private:
    fs::path mFolder;
};

std::string fileText(const fs::path &file)
{
    std::ifstream in(file, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return in ? text.str() : std::string("{}");
}

} // namespace

ImportedRun importRun(Project &project, const fs::path &sourceProject, std::int64_t sourceRunId)
{
    Project source = Project::open(sourceProject);
    std::error_code ec;
    if (fs::equivalent(source.folder(), project.folder(), ec))
        throw Error(ErrorKind::InvalidInput, sourceProject.string() + " is this project; its runs are here already");
    const std::string where = "run " + std::to_string(sourceRunId) + " of " + source.folder().string();
    const RunDetails run = runDetails(source, sourceRunId);
    if (run.state == RunState::Queued || run.state == RunState::Running || run.state == RunState::Paused)
        throw Error(ErrorKind::InvalidInput, where + " is " + toString(run.state) + "; import it once it has ended");
    if (!run.datasetId)
        throw Error(ErrorKind::NotFound, where + " lost its dataset");
    const std::string dataset = datasetName(source, *run.datasetId);
    const auto datasetId = findDataset(project, dataset);
    if (!datasetId)
        throw Error(ErrorKind::NotFound, where + " was trained on dataset '" + dataset + "', which "
                                             + project.folder().string() + " does not have; import it first");
    std::optional<ModelRecord> model;
    for (const ModelRecord &record : listModels(source))
        if (run.modelId && record.id == *run.modelId)
            model = record;

    // Files first, under a temporary name beside the runs.
    const fs::path from = source.folder() / "runs" / std::to_string(sourceRunId);
    const fs::path runs = project.folder() / "runs";
    fs::create_directories(runs, ec);
    const fs::path staging = runs / (".import-" + std::to_string(::getpid()) + "-"
                                     + std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
    FolderGuard files(staging);
    if (fs::is_directory(from))
        fs::copy(from, staging, fs::copy_options::recursive, ec);
    else
        fs::create_directories(staging, ec);
    if (ec)
        throw Error(ErrorKind::Io, "cannot copy " + from.string() + " to " + staging.string() + ": " + ec.message());

    ImportedRun result;
    sql::Transaction transaction(project.database());
    NewRun record;
    record.name = run.name + " (imported)";
    record.datasetId = *datasetId;
    if (model)
        record.modelId = findOrAddModel(project, model->path, model->architecture, model->numParameters.value_or(0),
                                        fileText(from / "model" / "config.json"));
    record.configJson = run.configJson;
    record.device = run.device;
    result.runId = createRun(project, record);
    if (!run.capsuleJson.empty())
        setRunCapsule(project, result.runId, run.capsuleJson);
    setRunDevice(project, result.runId, run.device);
    setRunState(project, result.runId, run.state, run.error);
    const std::vector<MetricPoint> metrics = runMetrics(source, sourceRunId);
    addMetrics(project, result.runId, metrics);
    result.metrics = static_cast<std::int64_t>(metrics.size());
    const std::string folder = "runs/" + std::to_string(result.runId);
    for (const CheckpointRecord &checkpoint : runCheckpoints(source, sourceRunId)) {
        addCheckpoint(project, result.runId, {checkpoint.step, folder + "/" + fs::path(checkpoint.path).filename().string(), false});
        if (checkpoint.isBest)
            markBestCheckpoint(project, result.runId, checkpoint.step);
        ++result.checkpoints;
    }
    files.moveTo(project.folder() / folder);
    transaction.commit();
    files.release();
    return result;
}

} // namespace ft
