// vision_torchscript_export.h: the image classifiers as TorchScript files
// (model.pt) that torch.jit.load runs without this project's code:
//
//   forward(pixel_values)   float32 [batch, 3, height, width] -> float32 logits [batch, num_labels]
//
// The module tree mirrors the LibTorch module's, so state_dict() keys are
// Hugging Face's (vit.encoder.layer.0.attention.attention.query.weight, ...,
// resnet.embedder.embedder.normalization.running_mean, classifier.1.weight);
// the forward is the eval-mode forward written out in TorchScript for the
// model's config (batch norm with the running statistics, no dropout).
#pragma once

#include "models/resnet_model.h"
#include "models/vit_model.h"

#include <filesystem>

namespace ft {

// Written atomically. Throws ft::Error: InvalidInput for a ViT with LoRA
// branches (merge them first), Io when the file cannot be written.
void writeVitTorchScript(const VitForImageClassificationImpl &model, const std::filesystem::path &file);
void writeResNetTorchScript(const ResNetForImageClassificationImpl &model, const std::filesystem::path &file);

} // namespace ft
