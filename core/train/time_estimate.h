// time_estimate.h: how long a run will take, from a few timed steps. The
// run's own configuration trains for a handful of steps on a sample of its
// train split, in a scratch project that is removed afterwards (the real
// project is not touched), and the measured samples/s (the first, warm-up
// step left out) scales to the run's steps; evaluations are reckoned as
// forward passes at a third of a training step's cost per example.
#pragma once

#include "train/trainer.h"

#include <cstdint>

namespace ft {

struct TimeEstimate {
    double samplesPerSecond = 0;   // measured, training
    std::int64_t measuredSteps = 0;
    std::int64_t totalSteps = 0;   // the run's optimiser steps
    double trainingSeconds = 0;
    double evaluationSeconds = 0;  // validation passes and the final test pass
    double totalSeconds() const { return trainingSeconds + evaluationSeconds; }
};

// Throws as train() does for a request that cannot run (missing dataset or
// model, fewer than two labels, ...). `control` can cancel the measurement.
TimeEstimate estimateTrainingTime(const TrainingRequest &request, std::int64_t measuredSteps = 4,
                                  RunControl *control = nullptr);

} // namespace ft
