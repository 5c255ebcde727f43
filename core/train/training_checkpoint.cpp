// training_checkpoint.cpp
#include "train/training_checkpoint.h"

#include "common/error.h"
#include "models/atomic_file.h"
#include "models/classifier.h"
#include "models/safetensors.h"
#include "store/project.h"
#include "store/runs.h"
#include "train/adamw.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <nlohmann/json.hpp>

#include <fstream>

namespace fs = std::filesystem;

namespace ft {

namespace {

constexpr const char *kFormat = "finetune-studio-checkpoint";
constexpr const char *kRngName = "rng.cpu";

at::Generator cpuGenerator()
{
    return at::detail::getDefaultCPUGenerator();
}

void writeCheckpointFiles(const fs::path &staging, const Classifier &model,
                          const AdamW &optimizer, const TrainerState &state)
{
    model.save(staging);

    TensorMap optimizerTensors;
    const AdamW::State optimizerState = optimizer.state();
    const auto names = AdamW::stateNames();
    for (size_t i = 0; i < names.size(); ++i)
        optimizerTensors.emplace(names[i], optimizerState.tensors[i].detach().to(at::kCPU).contiguous());
    {
        auto generator = cpuGenerator();
        std::lock_guard<std::mutex> lock(generator.mutex());
        optimizerTensors.emplace(kRngName, generator.get_state());
    }
    saveSafetensors(staging / "optimizer.safetensors", optimizerTensors);

    const nlohmann::ordered_json trainerState = {
        {"format", kFormat},
        {"version", kCheckpointFormatVersion},
        {"step", state.step},
        {"optimizer_step", optimizerState.step},
        {"epoch", state.position.epoch},
        {"batch", state.position.batch},
        {"best_metric", state.bestMetric},
        {"best_step", state.bestStep},
        {"evaluations_without_gain", state.evaluationsWithoutGain},
        {"loss_sum", state.lossSum},
        {"loss_count", state.lossCount},
        {"samples_seen", state.samplesSeen},
        {"tokens_seen", state.tokensSeen},
        {"loss_scale", state.lossScaler.scale},
        {"loss_scale_growth_tracker", state.lossScaler.growthTracker},
        {"loss_scale_skipped_in_a_row", state.lossScaler.skippedInARow},
        {"micro_batch_rows", state.microBatchRows},
        {"training_seconds", state.trainingSeconds},
    };
    writeFileAtomically(staging / "trainer_state.json", trainerState.dump(2) + "\n");
}

} // namespace

void saveTrainingCheckpoint(const fs::path &folder, const Classifier &model,
                            const AdamW &optimizer, const TrainerState &state)
{
    const fs::path staging = fs::path(folder.string() + ".partial");
    std::error_code ec;
    fs::remove_all(staging, ec);
    fs::create_directories(staging, ec);
    if (ec)
        throw Error(ErrorKind::Io, "cannot create " + staging.string() + ": " + ec.message());
    try {
        writeCheckpointFiles(staging, model, optimizer, state);
    } catch (...) {
        // A full disk: free what the half-written copy took; the older checkpoints are untouched.
        fs::remove_all(staging, ec);
        throw;
    }

    // Replace an older copy of the same step (a resumed run redoing it), then publish.
    fs::remove_all(folder, ec);
    fs::rename(staging, folder, ec);
    if (ec)
        throw Error(ErrorKind::Io, "cannot move " + staging.string() + " to " + folder.string() + ": " + ec.message());
}

bool isTrainingCheckpoint(const fs::path &folder)
{
    std::error_code ec;
    for (const char *file : {"model.safetensors", "config.json", "optimizer.safetensors", "trainer_state.json"})
        if (!fs::is_regular_file(folder / file, ec))
            return false;
    return true;
}

void loadTrainingCheckpoint(const fs::path &folder, Classifier &model, AdamW &optimizer,
                            TrainerState &state)
{
    if (!isTrainingCheckpoint(folder))
        throw Error(ErrorKind::NotFound, folder.string() + " is not a complete training checkpoint");

    const fs::path stateFile = folder / "trainer_state.json";
    std::ifstream in(stateFile);
    const auto json = nlohmann::json::parse(in, nullptr, false);
    if (json.is_discarded() || !json.is_object() || json.value("format", "") != kFormat)
        throw Error(ErrorKind::InvalidInput, stateFile.string() + " is not a Finetune Studio trainer state");
    if (json.value("version", 0) > kCheckpointFormatVersion)
        throw Error(ErrorKind::Incompatible, stateFile.string() + " was written by a newer Finetune Studio");

    TrainerState loaded;
    std::int64_t optimizerStep = 0;
    try {
        loaded.step = json.at("step").get<std::int64_t>();
        optimizerStep = json.at("optimizer_step").get<std::int64_t>();
        loaded.position.epoch = json.at("epoch").get<std::int64_t>();
        loaded.position.batch = json.at("batch").get<std::int64_t>();
        loaded.bestMetric = json.at("best_metric").get<double>();
        loaded.bestStep = json.at("best_step").get<std::int64_t>();
        loaded.evaluationsWithoutGain = json.at("evaluations_without_gain").get<std::int64_t>();
        loaded.lossSum = json.at("loss_sum").get<double>();
        loaded.lossCount = json.at("loss_count").get<std::int64_t>();
        loaded.samplesSeen = json.at("samples_seen").get<std::int64_t>();
        loaded.tokensSeen = json.at("tokens_seen").get<std::int64_t>();
        // Optional: absent from checkpoints written before fp16 and OOM recovery.
        loaded.lossScaler.scale = json.value("loss_scale", loaded.lossScaler.scale);
        loaded.lossScaler.growthTracker = json.value("loss_scale_growth_tracker", std::int64_t{0});
        loaded.lossScaler.skippedInARow = json.value("loss_scale_skipped_in_a_row", std::int64_t{0});
        loaded.microBatchRows = json.value("micro_batch_rows", std::int64_t{0});
        loaded.trainingSeconds = json.value("training_seconds", 0.0);
    } catch (const nlohmann::json::exception &e) {
        throw Error(ErrorKind::InvalidInput, stateFile.string() + ": " + e.what());
    }

    const fs::path weights = folder / "model.safetensors";
    model.loadState(loadSafetensors(weights), weights.string());

    const fs::path optimizerFile = folder / "optimizer.safetensors";
    TensorMap tensors = loadSafetensors(optimizerFile);
    AdamW::State optimizerState;
    optimizerState.step = optimizerStep;
    for (const auto &name : AdamW::stateNames()) {
        const auto found = tensors.find(name);
        if (found == tensors.end())
            throw Error(ErrorKind::InvalidInput, optimizerFile.string() + " has no tensor '" + name + "'");
        optimizerState.tensors.push_back(found->second);
    }
    optimizer.loadState(optimizerState);
    const auto rng = tensors.find(kRngName);
    if (rng == tensors.end())
        throw Error(ErrorKind::InvalidInput, optimizerFile.string() + " has no tensor '" + kRngName + "'");
    {
        auto generator = cpuGenerator();
        std::lock_guard<std::mutex> lock(generator.mutex());
        generator.set_state(rng->second.contiguous());
    }
    state = loaded;
}

std::optional<std::string> resumeFromNewestCheckpoint(Project &project, std::int64_t runId, Classifier &model,
                                                      AdamW &optimizer, TrainerState &state)
{
    const std::vector<CheckpointRecord> checkpoints = runCheckpoints(project, runId);
    for (auto it = checkpoints.rbegin(); it != checkpoints.rend(); ++it) {
        const std::filesystem::path folder = project.folder() / it->path;
        if (!isTrainingCheckpoint(folder))
            continue;
        loadTrainingCheckpoint(folder, model, optimizer, state);
        return it->path;
    }
    return std::nullopt;
}

} // namespace ft
