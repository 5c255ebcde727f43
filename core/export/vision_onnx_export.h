// vision_onnx_export.h: the image classifiers as ONNX models that ONNX Runtime
// serves:
//
//   input    pixel_values   float32 [batch, 3, height, width] (the image processor's output)
//   output   logits         float32 [batch, num_labels]
//
// "batch" is dynamic; ViT's height and width are its image_size, ResNet's are
// dynamic too. The graphs mirror vit_model.cpp and resnet_model.cpp op for op
// (Conv, BatchNormalization in inference form, MaxPool, GlobalAveragePool,
// LayerNormalization, eager attention, GELU with Erf), with the weights as
// initializers under Hugging Face's names.
#pragma once

#include "export/onnx_export.h"
#include "models/resnet_model.h"
#include "models/vit_model.h"

#include <filesystem>

namespace ft {

// Written atomically, with id2label and the model's config in the metadata.
// Throws ft::Error: InvalidInput for a ViT with LoRA branches or an opset
// outside 17..21, Io when the file cannot be written.
OnnxExportReport writeVitOnnx(const VitForImageClassificationImpl &model, const std::filesystem::path &file,
                              int opset = 17);
OnnxExportReport writeResNetOnnx(const ResNetForImageClassificationImpl &model, const std::filesystem::path &file,
                                 int opset = 17);

} // namespace ft
