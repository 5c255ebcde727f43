// distillation.h: knowledge distillation (Hinton et al., 2015) of a finished run's model (the
// teacher) into a student: the teacher's architecture with fewer layers, initialised from the
// teacher's weights, trained on the teacher's softened logits and the hard labels of the same
// micro-batches. Teachers of the families whose ModelFamily::distils (BERT, DistilBERT,
// RoBERTa/XLM-R, GPT-2, Llama); the student shares the teacher's tokenizer, so both read the same
// token ids.
#pragma once

#include "models/classifier.h"

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace ft {

class Project;
class ProgressSink;
struct RunConfig;
struct TensorBatch;

struct DistillationLoss {
    at::Tensor total; // alpha * soft + (1 - alpha) * hard, what is minimised
    at::Tensor soft;  // T^2 * KL(softmax(teacher / T) || softmax(student / T)), mean over the rows
    at::Tensor hard;  // cross-entropy with the labels (class-weighted as classificationLoss)
};

// The loss of a batch; computed in float32. The T^2 factor keeps the soft gradients' scale
// independent of T (they shrink as 1 / T^2), so alpha weighs like against like.
DistillationLoss distillationLoss(const at::Tensor &studentLogits, const at::Tensor &teacherLogits,
                                  const at::Tensor &labels, double temperature, double alpha,
                                  const at::Tensor &classWeights = {});

// The teacher's layer each student layer starts from: evenly spaced over the teacher's, first and
// last included (round(i * (teacher - 1) / (student - 1))). The first sits on the embeddings and
// the last feeds the pooler and head that are copied too, so both ends keep the inputs their
// neighbours were trained on. For 12 -> 6 this gives 0, 2, 4, 7, 9, 11, the choice of Hugging
// Face's shrink-and-fine-tune recipe; DistilBERT took one layer in two, which spaces them as
// evenly but drops the last. A single layer is the first.
std::vector<std::int64_t> studentLayerMap(std::int64_t teacherLayers, std::int64_t studentLayers);

// student_layers resolved: 0 takes half the teacher's layers, rounded up (DistilBERT's ratio).
// ft::Error (InvalidInput) when it asks for more layers than the teacher has.
std::int64_t studentLayerCount(std::int64_t requested, std::int64_t teacherLayers);

struct Student {
    ClassifierPtr model;                  // on the options' device
    std::vector<std::int64_t> fromLayers; // studentLayerMap: the teacher layer of each student layer
};

// The student of `teacher`: its config with `layers` layers; the embeddings, the pooler or final
// norm and head, and the picked layers copied bit for bit (a teacher's adapters or virtual tokens
// are left behind). ft::Error (Incompatible) for a family that does not distil (images).
Student makeStudent(Classifier &teacher, std::int64_t layers, const ClassifierOptions &options);

// Numbers of the layers in `model` (0 for a family makeStudent does not take).
std::int64_t encoderLayerCount(Classifier &model);

// Runs the teacher beside the student on each micro-batch and mixes the losses.
class Distiller {
public:
    Distiller(ClassifierPtr teacher, double temperature, double alpha);

    // The student's part of forwardBackward (train/train_step.h): the teacher's logits in eval
    // mode without autograd, the student's, the loss, backward of loss * lossScale. Returns the
    // total loss (unscaled) and adds its parts to the running sums.
    double forwardBackward(Classifier &student, const TensorBatch &batch, double lossScale,
                           const at::Tensor &classWeights = {});

    // train/distill_loss and train/hard_loss: the soft and hard parts' means over the rows since
    // the last call, then starts over. No point when nothing was computed since.
    void reportParts(ProgressSink &sink, std::int64_t step, double epoch, double wallSeconds);

    Classifier &teacher() { return *mTeacher; }

private:
    ClassifierPtr mTeacher;
    double mTemperature;
    double mAlpha;
    double mSoftSum = 0;
    double mHardSum = 0;
    std::int64_t mRows = 0;
};

// A new run with distill_teacher_run: an empty dataset name becomes the teacher's dataset, an
// empty model the teacher's model folder (runs/N/model), whose tokenizer the student shares. A
// model other than the teacher's is refused (InvalidInput), as is a teacher run that has not
// completed (NotFound).
void defaultToTeacher(Project &project, std::int64_t teacherRun, std::string &dataset, std::string &model);

// The teacher of `config` loaded on the options' device and its student made; the labels must
// be the dataset's (options.labels), in order. Logs which layers the student took.
struct DistillationStart {
    std::unique_ptr<Distiller> distiller;
    ClassifierPtr student;
};
DistillationStart startDistillation(Project &project, const RunConfig &config, const ClassifierOptions &options,
                                    ProgressSink &sink);

} // namespace ft
