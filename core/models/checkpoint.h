// checkpoint.h: Hugging Face checkpoint folders to BertForSequenceClassification
// and back: file discovery (safetensors, shards, .bin), HF's key fixes
// (LayerNorm.gamma/beta, base checkpoints without "bert."), head init, and
// saving in a form `transformers` loads as is.
#pragma once

#include "models/bert_config.h"
#include "models/bert_model.h"
#include "models/load_report.h"
#include "models/tensor_map.h"

#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace ft {

enum class WeightsFormat {
    // HF's order, model.safetensors then its sharded index, but never a pickle:
    // a folder whose only weights are pytorch_model.bin is refused
    // (Incompatible, models/pickle_checkpoint.h says why and what to do), so
    // no training, prediction or export reads one unasked. A .bin beside
    // safetensors is never opened.
    Auto,
    Safetensors, // model.safetensors or model.safetensors.index.json only
    PytorchBin,  // pytorch_model.bin only: the caller has the user's consent (a conversion, a test)
};

struct CheckpointTensors {
    TensorMap tensors;                       // names as stored in the files
    std::vector<std::filesystem::path> files;
    std::string source;                      // the file (or index) that names them, for messages
};

// The raw tensors of a checkpoint folder; floating-point ones as `floatType`.
CheckpointTensors readCheckpointTensors(const std::filesystem::path &folder,
                                        WeightsFormat format = WeightsFormat::Auto,
                                        at::ScalarType floatType = at::kFloat);

struct LoadOptions {
    WeightsFormat format = WeightsFormat::Auto;
    at::ScalarType dtype = at::kFloat;      // the model's parameters (float32, bfloat16, float16)
    c10::Device device = c10::Device(c10::kCPU);
    std::uint64_t seed = 42;                // for the tensors the checkpoint lacks
    // A new task's classes: replace config.json's labels. When their number
    // differs from the checkpoint's head, set ignoreMismatchedSizes to start
    // that head afresh (HF's ignore_mismatched_sizes) instead of failing.
    std::vector<std::string> labels;
    bool ignoreMismatchedSizes = false;
};

struct LoadedBert {
    BertConfig config;
    BertForSequenceClassification model{nullptr}; // in eval mode, as from_pretrained returns it
    LoadReport report;
};

// config.json + weights of `folder` into a new model. Throws ft::Error naming
// the file and tensor for anything malformed, missing in the encoder or of
// the wrong shape; nothing half-loaded is ever returned.
LoadedBert loadBert(const std::filesystem::path &folder, const LoadOptions &options = {});

// Copies checkpoint tensors (any HF BERT naming) into `model`. Everything is
// checked before the first parameter is written. `source` names the file.
// A model with LoRA (models/lora.h) needs its lora_A/lora_B tensors too; LoRA
// tensors for layers the model has no branch on are refused (Incompatible).
LoadReport applyCheckpoint(BertForSequenceClassificationImpl &model, const TensorMap &tensors,
                           const std::string &source, const LoadOptions &options = {});

// The model's parameters under their HF names, on the CPU, as `dtype`; with
// LoRA, the branches' factors as well (...query.lora_A.weight), so training
// checkpoints round-trip through applyCheckpoint.
TensorMap bertStateDict(const BertForSequenceClassificationImpl &model, at::ScalarType dtype = at::kFloat);

// Writes model.safetensors (HF names) and config.json (with id2label/label2id
// and architectures = BertForSequenceClassification) into `folder`, each
// atomically. Loading the folder gives back the same bits.
void saveBert(const BertForSequenceClassificationImpl &model, const std::filesystem::path &folder,
              at::ScalarType dtype = at::kFloat);

} // namespace ft
