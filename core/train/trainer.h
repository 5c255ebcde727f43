// trainer.h: fine-tuning a sequence classifier on a project's dataset, the
// one entry point the CLI and the studio's worker threads share. Torch-free:
// the studio includes it without LibTorch's headers.
#pragma once

#include "train/distributed_setup.h"
#include "train/progress_sink.h"
#include "train/run_config.h"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>

namespace ft {

struct TrainingRequest {
    std::filesystem::path project;
    std::string dataset;                   // dataset name in the project
    // A Hugging Face checkpoint folder, or "scratch:CONFIG.json" for a
    // randomly initialised model (tokenizer files beside the config).
    std::string model;
    RunConfig config;
    std::string runName;                   // empty: "<dataset> on <model>"
    std::optional<std::int64_t> resumeRun; // continue this run from its last checkpoint
    // Data-parallel training: this process is one worker of several, each
    // with a slice of every batch; rank 0 alone writes to the project (the
    // run, metrics, checkpoints, the model). Single-process by default.
    DistributedSetup distributed;
    // Fault injection for tests: called with each micro-batch's row count
    // before its forward pass (throw c10::OutOfMemoryError to simulate OOM).
    std::function<void(std::int64_t rows)> beforeMicroBatch;
};

struct TrainingSummary {
    std::int64_t runId = 0;
    RunState state = RunState::Queued;
    std::int64_t steps = 0;
    std::int64_t totalSteps = 0;
    double epochs = 0;
    // Training throughput of this session, its first step left out (see ThroughputMeter).
    double samplesPerSecond = 0;
    double tokensPerSecond = 0; // real (unpadded) tokens
    std::int64_t microBatchSize = 0; // rows per forward pass: per_device_train_batch_size, or less after OOM
    double firstStepSeconds = 0;
    double runtimeSeconds = 0;  // the whole call: set-up, loading, training, evaluations, saving
    double peakRssMb = 0;
    double finalTrainLoss = 0;
    std::map<std::string, double> evalMetrics; // last validation: eval_loss, eval_accuracy, eval_f1, ...
    std::map<std::string, double> testMetrics; // test split at the end: test_loss, test_accuracy, ...
    std::string device;
    std::filesystem::path modelFolder;         // the final model, a Hugging Face folder
    std::filesystem::path adapterFolder;       // method lora: the PEFT adapter (adapter_model.safetensors +
                                               // adapter_config.json) beside modelFolder, which holds it merged;
                                               // prefix, prompt: PEFT's adapter, modelFolder holding the tokens
};

// Runs (or resumes) a run to its end, a cancel, or a failure. Progress and
// metrics go to `sink` (and the project store); `control` is polled between
// optimiser steps. Throws ft::Error for bad input before the run starts; a
// failure during training is recorded on the run and rethrown.
TrainingSummary train(const TrainingRequest &request, ProgressSink &sink, RunControl &control);

} // namespace ft
