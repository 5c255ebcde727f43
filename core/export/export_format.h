// export_format.h: the formats a run's model is exported to, by the names the
// CLI (`finetune export --format`), the project store and the Export page use.
// Torch-free.
#pragma once

#include <string>
#include <vector>

namespace ft {

enum class ExportFormat {
    HuggingFace, // hf: a folder transformers' from_pretrained loads
    Peft,        // peft: a LoRA, prefix or prompt run's adapter, for PeftModel.from_pretrained over the base model
    Merged,      // merged: a LoRA run's adapter folded into full weights, as an hf folder
    TorchScript, // torchscript: model.pt for torch.jit.load, tokenizer files beside it
    Onnx,        // onnx: model.onnx (float32), tokenizer files beside it
    OnnxInt8,    // onnx-int8: model.onnx with int8 dynamically quantised linear layers
};

std::string toString(ExportFormat format);
// Throws ft::Error (InvalidInput) naming the valid formats.
ExportFormat exportFormatFromString(const std::string &name);
std::vector<ExportFormat> allExportFormats();
// One line for menus and --help: what the format is for.
std::string describe(ExportFormat format);

} // namespace ft
