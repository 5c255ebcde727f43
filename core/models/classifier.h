// classifier.h: a classification model of any family (BERT for text, ViT and
// ResNet for images) behind the one interface the trainer, the evaluator,
// training checkpoints and LoRA work with. Parameters and buffers keep
// Hugging Face's names, so a state is a checkpoint and save() writes a folder
// that transformers' from_pretrained loads.
#pragma once

#include "models/tensor_batch.h"
#include "models/tensor_map.h"
#include "vision/image_processor.h"

#include <c10/core/Device.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace torch::nn {
class Module;
}

namespace ft {

enum class InputKind { Text, Image };

class Classifier {
public:
    virtual ~Classifier() = default;

    virtual InputKind inputKind() const = 0;
    // transformers' class name: "BertForSequenceClassification", "ViTForImageClassification", ...
    virtual std::string architecture() const = 0;
    // The class names, in the order of the logits.
    virtual std::vector<std::string> labels() const = 0;
    // config.json as save() writes it.
    virtual nlohmann::json configJson() const = 0;

    // The module itself: parameters, train()/eval(), to(device).
    virtual torch::nn::Module &module() = 0;
    const torch::nn::Module &module() const { return const_cast<Classifier *>(this)->module(); }

    // Logits [batch, labels] of a batch of this classifier's input kind.
    virtual at::Tensor logits(const TensorBatch &batch) = 0;

    // Every parameter and buffer under its Hugging Face name, LoRA factors
    // included, on the CPU as float32: what a training checkpoint holds.
    virtual TensorMap state() const = 0;
    // Restores state(); ft::Error naming `source` and the tensor when one is
    // missing or misshapen, and then nothing is written.
    virtual void loadState(const TensorMap &tensors, const std::string &source) = 0;
    // config.json and model.safetensors (and, for images,
    // preprocessor_config.json) into `folder`, each written atomically.
    virtual void save(const std::filesystem::path &folder) const = 0;

    // Full fine-tuning's alternative: freezes the embeddings and the lowest
    // `layers` blocks; -1 freezes all but the classification head.
    virtual void freeze(std::int64_t layers) = 0;
    // PEFT's task_type for this model's adapters ("" writes null).
    virtual std::string peftTaskType() const = 0;
    // Images: how inputs become pixel values (preprocessor_config.json). Text: null.
    virtual const ImageProcessorConfig *imageProcessor() const { return nullptr; }

    // The model's own parameters (LoRA factors, adapters and virtual tokens not counted).
    std::int64_t parameterCount() const;
};

// Freezes the parameters under `embeddings` and under `layerPrefix` + i + "."
// for i < layers; with layers -1, every parameter outside the head ("classifier", GPT-2's "score").
void freezeLowerLayers(torch::nn::Module &module, const std::string &embeddings, const std::string &layerPrefix,
                       std::int64_t layers);

using ClassifierPtr = std::unique_ptr<Classifier>;

// How a classifier is made for a run.
struct ClassifierOptions {
    std::vector<std::string> labels; // the task's classes, replacing the config's; empty keeps them
    std::uint64_t seed = 42;         // for weights the checkpoint lacks or a head that no longer fits
    c10::Device device = c10::Device(c10::kCPU);
    bool causalLm = false; // the family's causal language model (models/causal_lm.h) instead of a classifier
};

} // namespace ft
