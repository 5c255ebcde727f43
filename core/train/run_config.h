// run_config.h: the configuration of a fine-tuning run, as a JSON file whose
// keys are Hugging Face TrainingArguments names (plus a few of ours for the
// model, LoRA and the device). The GUI writes it and the CLI reads it, so a
// run set up in one starts unchanged in the other. Parsing rejects unknown
// keys (suggesting the near miss) and bad values, naming the key.
#pragma once

#include "common/padding.h"
#include "models/peft_method_config.h"
#include "train/lr_schedule.h"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace ft {

enum class EvalStrategy { No, Steps, Epoch };
enum class TrainMethod { Full, Lora, Freeze, Adapter, Prefix, Prompt };
enum class ClassWeights { None, Balanced };
enum class TrainTask { Classification, CausalLm };

// Each field: its JSON key, then what it means. "HF" marks a default taken
// from transformers' TrainingArguments; the others are chosen for a desktop.
struct RunConfig {
    // Optimisation
    double learningRate = 5e-5;               // learning_rate: peak AdamW learning rate (HF), > 0
    double numTrainEpochs = 3.0;              // num_train_epochs: passes over the train split, fractions allowed (HF)
    std::int64_t maxSteps = -1;               // max_steps: > 0 fixes the optimizer steps, overriding epochs (HF: -1)
    std::int64_t perDeviceTrainBatchSize = 8; // per_device_train_batch_size: examples per forward pass (HF)
    std::int64_t perDeviceEvalBatchSize = 8;  // per_device_eval_batch_size: examples per evaluation pass (HF)
    std::int64_t gradientAccumulationSteps = 1; // gradient_accumulation_steps: forward passes per optimizer step (HF)
    double warmupRatio = 0.0;                 // warmup_ratio: warmup as a fraction of all steps, [0, 1] (HF)
    std::int64_t warmupSteps = 0;             // warmup_steps: warmup in steps; > 0 wins over warmup_ratio (HF)
    double weightDecay = 0.0;                 // weight_decay: AdamW decay, not on biases and LayerNorm (HF)
    double adamBeta1 = 0.9;                   // adam_beta1 (HF), [0, 1)
    double adamBeta2 = 0.999;                 // adam_beta2 (HF), [0, 1)
    double adamEpsilon = 1e-8;                // adam_epsilon (HF), > 0
    double maxGradNorm = 1.0;                 // max_grad_norm: clip the global gradient norm; 0 = no clipping (HF)
    LrSchedulerType lrSchedulerType = LrSchedulerType::Linear; // lr_scheduler_type: linear|cosine|constant|
                                                               // constant_with_warmup (HF)
    std::int64_t seed = 42;                   // seed: weights of new heads, dropout, shuffling (HF)
    bool bf16 = false;                        // bf16: bfloat16 autocast (CPU or recent GPUs) (HF)
    bool fp16 = false;                        // fp16: float16 autocast with loss scaling, CUDA only (HF)

    // Evaluation, checkpoints and logging
    EvalStrategy evalStrategy = EvalStrategy::Epoch; // eval_strategy: no|steps|epoch (HF: no; here every epoch,
                                                     // so a desktop user always sees validation curves)
    std::int64_t evalSteps = 0;               // eval_steps: steps between evaluations, needed by "steps"; 0 = unset
    std::int64_t saveSteps = 500;             // save_steps: steps between checkpoints; 0 = only at epoch ends (HF)
    std::int64_t saveTotalLimit = 2;          // save_total_limit: checkpoints kept (plus the best); 0 = all
                                              // (HF keeps all; two spare a laptop's disk)
    std::string metricForBestModel = "loss";  // metric_for_best_model: loss|accuracy|f1|precision|recall, optionally
                                              // eval_-prefixed; f1, precision and recall are macro averages
    bool loadBestModelAtEnd = false;          // load_best_model_at_end: end on the best checkpoint (HF)
    bool groupByLength = true;                // group_by_length: batch similar lengths, less padding
                                              // (HF: false; here on, for CPU speed)
    std::int64_t loggingSteps = 10;           // logging_steps: steps between loss points (HF: 500; live curves
                                              // need more)

    // Ours: input, method, device
    std::int64_t maxLength = 128;             // max_length: tokens per example after truncation, [2, 65536]
    Padding padding = Padding::Longest;       // padding: longest (dynamic, per batch) | max_length
    TrainTask task = TrainTask::Classification; // task: classification (a label per example) | causal-lm
                                              // (a language model learns each prompt's response, the pair text)
    TrainMethod method = TrainMethod::Full;   // method: full | lora | freeze | adapter | prefix | prompt
    std::int64_t loraR = 8;                   // lora_r: rank of the LoRA update, >= 1
    double loraAlpha = 16;                    // lora_alpha: LoRA scale is lora_alpha / lora_r, > 0
    double loraDropout = 0.05;                // lora_dropout: dropout on the LoRA input, [0, 1)
    std::vector<std::string> loraTargetModules; // lora_target_modules: linear layers to adapt; empty = the
                                                // model family's default, as PEFT's (models/model_family.h)
    std::int64_t freezeLayers = -1;           // freeze_layers: with method freeze, the lowest encoder layers kept
                                              // frozen (with the embeddings); -1 = all, only the head trains
    AdapterType adapterType = AdapterType::Pfeiffer; // adapter_type: with method adapter, houlsby (after attention
                                                     // and feed-forward) | pfeiffer (after feed-forward only)
    std::int64_t adapterReductionFactor = 16; // adapter_reduction_factor: bottleneck = hidden size / this
    std::int64_t numVirtualTokens = 20;       // num_virtual_tokens: with method prefix or prompt, the virtual tokens
    bool prefixProjection = true;             // prefix_projection: train the prefix through PEFT's MLP
    std::int64_t encoderHiddenSize = 0;       // encoder_hidden_size: the prefix MLP's width; 0 = the hidden size
    std::string promptTuningInitText;         // prompt_tuning_init_text: the prompt starts as this text's token
                                              // embeddings (PEFT's TEXT init); "" = at random (RANDOM)
    std::int64_t earlyStoppingPatience = 0;   // early_stopping_patience: evaluations without improvement before
                                              // stopping; 0 = never stop early
    ClassWeights classWeights = ClassWeights::None; // class_weights: none | balanced (n / (classes * count))
    std::int64_t distillTeacherRun = 0;       // distill_teacher_run: a completed run of the project whose model
                                              // teaches this one (train/distillation.h); 0 = no distillation
    double distillTemperature = 2.0;          // distill_temperature: T softening both sides' logits, > 0
    double distillAlpha = 0.5;                // distill_alpha: weight of the soft (teacher) loss, [0, 1]
    std::int64_t studentLayers = 0;           // student_layers: encoder layers of the student, taken from the
                                              // teacher's; 0 = half the teacher's (rounded up), DistilBERT's ratio
    bool imageRandomResizedCrop = true;       // image_random_resized_crop: train on random crops of 8-100% of the
                                              // image's area (torchvision's RandomResizedCrop); images only
    bool imageHorizontalFlip = true;          // image_horizontal_flip: mirror half the training images
    double imageColorJitter = 0.0;            // image_color_jitter: brightness, contrast and saturation factors
                                              // drawn from [1 - j, 1 + j], [0, 1]; 0 = off
    std::string device = "auto";              // device: auto (CUDA if present) | cpu | cuda | cuda:N
    std::int64_t threads = 0;                 // threads: CPU threads; 0 = all cores but one (at least 1)
    std::int64_t ddpTimeout = 1800;           // ddp_timeout: seconds a data-parallel worker waits for the others
                                              // before the run fails (HF)

    bool operator==(const RunConfig &) const = default;
};

// Reads a configuration; missing keys keep their defaults. Throws ft::Error
// (InvalidInput) naming `origin` and the key at fault.
RunConfig parseRunConfig(const nlohmann::json &json, const std::string &origin = "the run configuration");
// Reads a JSON file (NotFound if missing, InvalidInput naming the file if malformed).
RunConfig loadRunConfig(const std::filesystem::path &file);
// Every key, resolved; parseRunConfig(toJson(c)) == c.
nlohmann::ordered_json toJson(const RunConfig &config);
// The checks between keys (fp16 with bf16, eval_steps with "steps", ...),
// which parseRunConfig also runs.
void validate(const RunConfig &config, const std::string &origin = "the run configuration");

// Optimizer steps per epoch: floor(ceil(examples / batch) / accumulation),
// at least 1, as transformers' Trainer counts them.
std::int64_t updateStepsPerEpoch(const RunConfig &config, std::int64_t trainExamples);
// max_steps if set, else ceil(num_train_epochs * updateStepsPerEpoch).
std::int64_t totalTrainingSteps(const RunConfig &config, std::int64_t trainExamples);
// warmup_steps if > 0, else ceil(warmup_ratio * totalSteps).
std::int64_t warmupStepCount(const RunConfig &config, std::int64_t totalSteps);
// The learning rate after `step` optimizer steps.
double learningRateAt(const RunConfig &config, std::int64_t step, std::int64_t totalSteps);
// threads, or all hardware threads but one; at least 1.
int resolvedThreads(const RunConfig &config, unsigned hardwareThreads);
// Whether a larger metric_for_best_model is better (everything but loss).
bool greaterIsBetter(const RunConfig &config);
// metric_for_best_model's value among evaluation metrics named "eval_<name>";
// ft::Error (InvalidInput) when it is not among them.
double bestMetricOf(const RunConfig &config, const std::map<std::string, double> &metrics);

} // namespace ft
