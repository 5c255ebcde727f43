// run_capsule.cpp
#include "train/run_capsule.h"

#include "common/error.h"
#include "common/version.h"
#include "hub/sha256.h"
#include "store/catalog.h"
#include "store/datasets.h"
#include "store/project.h"
#include "store/runs.h"
#include "store/sqlite.h"
#include "system/system_report.h"
#include "train/run_inputs.h"
#include "train/trainer.h"

#include <cmath>
#include <limits>
#include <map>

namespace fs = std::filesystem;

namespace ft {

namespace {

// One hash per split over every example's text, pair and label, in order.
nlohmann::json hashSplits(Project &project, std::int64_t datasetId)
{
    std::map<std::string, std::pair<Sha256, std::int64_t>> splits;
    for (const Example &example : examples(project, datasetId, 0, std::numeric_limits<std::int64_t>::max())) {
        auto &[hash, count] = splits[example.split];
        hash.update(example.text);
        hash.update("\x1f");
        hash.update(example.textB.value_or(""));
        hash.update("\x1f");
        hash.update(example.label.value_or(""));
        hash.update("\x1e");
        ++count;
    }
    nlohmann::json result = nlohmann::json::object();
    for (auto &[name, entry] : splits)
        result[name] = {{"examples", entry.second}, {"sha256", entry.first.finish()}};
    return result;
}

nlohmann::json hashFiles(const fs::path &folder, std::initializer_list<const char *> names)
{
    nlohmann::json result = nlohmann::json::object();
    std::error_code ec;
    for (const char *name : names)
        if (fs::is_regular_file(folder / name, ec))
            result[name] = sha256File(folder / name);
    return result;
}

nlohmann::json hashModel(const std::string &source)
{
    const ModelSource model = parseModelSource(source);
    if (model.scratch)
        return {{"scratch", true}, {"config.json", sha256File(model.configFile)}};
    nlohmann::json files = hashFiles(source, {"config.json", "model.safetensors", "model.safetensors.index.json",
                                              "pytorch_model.bin"});
    std::error_code ec;
    for (const auto &entry : fs::directory_iterator(source, ec)) {
        const std::string name = entry.path().filename().string();
        if (name.rfind("model-", 0) == 0 && name.ends_with(".safetensors"))
            files[name] = sha256File(entry.path());
    }
    return files;
}

std::string text(const nlohmann::json &value)
{
    return value.is_string() ? value.get<std::string>() : value.dump();
}

// Leaf-by-leaf differences between two JSON objects, named by path.
void diffJson(const std::string &prefix, const nlohmann::json &a, const nlohmann::json &b,
              std::vector<RunDifference> &out)
{
    if (a.is_object() && b.is_object()) {
        std::map<std::string, bool> keys;
        for (const auto &item : a.items())
            keys[item.key()] = true;
        for (const auto &item : b.items())
            keys[item.key()] = true;
        for (const auto &[key, unused] : keys) {
            const auto child = prefix.empty() ? key : prefix + "." + key;
            diffJson(child, a.contains(key) ? a[key] : nlohmann::json(), b.contains(key) ? b[key] : nlohmann::json(), out);
        }
        return;
    }
    if (a != b)
        out.push_back({prefix, a.is_null() ? "(none)" : text(a), b.is_null() ? "(none)" : text(b)});
}

} // namespace

nlohmann::json makeRunCapsule(Project &project, std::int64_t datasetId, const std::string &source,
                              const std::string &device)
{
    const SystemReport system = collectSystemReport();
    nlohmann::json gpus = nlohmann::json::array();
    for (const GpuDevice &gpu : system.gpus)
        gpus.push_back(gpu.name);
    return {{"format", "finetune-studio-run-capsule"},
            {"version", 1},
            {"data", hashSplits(project, datasetId)},
            {"tokenizer", hashFiles(parseModelSource(source).folder, {"vocab.txt", "tokenizer.json", "tokenizer_config.json",
                                                               "special_tokens_map.json", "sentencepiece.bpe.model"})},
            {"model", {{"source", source}, {"files", hashModel(source)}}},
            {"versions", {{"finetune", kVersion}, {"libtorch", system.libtorch}, {"device", device}, {"gpus", gpus}}}};
}

std::int64_t createRunWithCapsule(Project &project, const NewRun &run, const std::string &modelSource,
                                  const std::string &device)
{
    const std::string capsule = makeRunCapsule(project, *run.datasetId, modelSource, device).dump();
    sql::Transaction transaction(project.database());
    const std::int64_t runId = createRun(project, run);
    setRunCapsule(project, runId, capsule);
    transaction.commit();
    return runId;
}

std::vector<RunDifference> diffRuns(const RunDetails &a, const RunDetails &b)
{
    std::vector<RunDifference> differences;
    diffJson("config", nlohmann::json::parse(a.configJson), nlohmann::json::parse(b.configJson), differences);
    const auto capsuleA = a.capsuleJson.empty() ? nlohmann::json::object() : nlohmann::json::parse(a.capsuleJson);
    const auto capsuleB = b.capsuleJson.empty() ? nlohmann::json::object() : nlohmann::json::parse(b.capsuleJson);
    for (const char *part : {"data", "tokenizer", "model", "versions"}) {
        diffJson(part, capsuleA.contains(part) ? capsuleA[part] : nlohmann::json(),
                 capsuleB.contains(part) ? capsuleB[part] : nlohmann::json(), differences);
    }
    return differences;
}

ReplayReport replayRun(const fs::path &projectFolder, std::int64_t runId, ProgressSink &sink, RunControl &control)
{
    TrainingRequest request;
    RunDetails original;
    {
        Project project = Project::open(projectFolder);
        original = runDetails(project, runId);
        if (original.state != RunState::Completed)
            throw Error(ErrorKind::InvalidInput, "run " + std::to_string(runId) + " is " + toString(original.state)
                                                     + "; only a completed run can be replayed");
        if (!original.datasetId || !original.modelId)
            throw Error(ErrorKind::NotFound, "run " + std::to_string(runId) + " lost its dataset or model");
        request.project = projectFolder;
        request.dataset = datasetNameOf(project, *original.datasetId);
        request.model = modelSourceOf(project, *original.modelId);
        request.config = parseRunConfig(nlohmann::json::parse(original.configJson), "run " + std::to_string(runId));
        request.runName = "replay of run " + std::to_string(runId);
    }
    const TrainingSummary summary = train(request, sink, control);

    Project project = Project::open(projectFolder);
    ReplayReport report;
    report.originalRun = runId;
    report.replayRun = summary.runId;
    const RunDetails replay = runDetails(project, summary.runId);
    for (const RunDifference &difference : diffRuns(original, replay))
        if (difference.what.rfind("config.", 0) != 0)
            report.inputs.push_back(difference);

    std::map<std::pair<std::string, std::int64_t>, double> points;
    for (const MetricPoint &point : runMetrics(project, runId))
        points[{point.name, point.step}] = point.value;
    std::int64_t matched = 0;
    for (const MetricPoint &point : runMetrics(project, summary.runId)) {
        const auto found = points.find({point.name, point.step});
        if (found == points.end()) {
            ++report.pointsMissing;
            continue;
        }
        ++matched;
        const double difference = std::abs(found->second - point.value);
        if (difference > report.maxAbsDifference || std::isnan(difference)) {
            report.maxAbsDifference = std::isnan(difference) ? std::numeric_limits<double>::infinity() : difference;
            report.worstMetric = point.name + " at step " + std::to_string(point.step);
        }
        points.erase(found);
    }
    report.pointsCompared = matched;
    report.pointsMissing += static_cast<std::int64_t>(points.size());
    return report;
}

} // namespace ft
