// training_checkpoint.h: everything a run needs to continue exactly where it
// stopped, in one folder runs/<id>/checkpoint-<step>/:
//   model.safetensors + config.json   the weights, loadable by transformers as is
//   (+ preprocessor_config.json)      for image classifiers
//   optimizer.safetensors             AdamW moments and the random generator state
//   trainer_state.json                step, data position, best metric, loss window
// The folder is written under a temporary name and renamed into place, so a
// checkpoint either exists whole or not at all.
#pragma once

#include "train/batching.h"
#include "train/loss_scaler.h"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace ft {

class AdamW;
class Classifier;
class Project;

struct TrainerState {
    std::int64_t step = 0;                  // optimiser steps done
    BatchPosition position;                 // the next micro-batch
    double bestMetric = 0;
    std::int64_t bestStep = -1;             // -1: no evaluation yet
    std::int64_t evaluationsWithoutGain = 0; // for early stopping
    double lossSum = 0;                     // training loss since the last logged point
    std::int64_t lossCount = 0;
    std::int64_t samplesSeen = 0;
    std::int64_t tokensSeen = 0;
    LossScalerState lossScaler;             // fp16 only
    std::int64_t microBatchRows = 0;        // 0: whole batches; less after out-of-memory recovery
    double trainingSeconds = 0;             // wall time trained so far, over all sessions
};

inline constexpr int kCheckpointFormatVersion = 1;

void saveTrainingCheckpoint(const std::filesystem::path &folder, const Classifier &model,
                            const AdamW &optimizer, const TrainerState &state);

// Restores weights, optimiser, random generator and state. Throws ft::Error
// naming the folder and file when anything is missing or does not fit.
void loadTrainingCheckpoint(const std::filesystem::path &folder, Classifier &model,
                            AdamW &optimizer, TrainerState &state);

// True when `folder` holds a complete checkpoint.
bool isTrainingCheckpoint(const std::filesystem::path &folder);

// Restores the newest complete checkpoint the project records for run `runId` (a folder a crash left
// incomplete is passed over); returns its path, relative to the project, or nullopt without one.
std::optional<std::string> resumeFromNewestCheckpoint(Project &project, std::int64_t runId, Classifier &model,
                                                      AdamW &optimizer, TrainerState &state);

} // namespace ft
