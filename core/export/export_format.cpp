// export_format.cpp
#include "export/export_format.h"

#include "common/error.h"

#include <array>
#include <utility>

namespace ft {

namespace {

struct FormatInfo {
    ExportFormat format;
    const char *name;
    const char *description;
};

constexpr std::array kFormats = {
    FormatInfo{ExportFormat::HuggingFace, "hf", "Hugging Face folder (transformers' from_pretrained)"},
    FormatInfo{ExportFormat::Peft, "peft", "PEFT adapter: LoRA, prefix or prompt (PeftModel.from_pretrained over the base model)"},
    FormatInfo{ExportFormat::Merged, "merged", "LoRA merged into full weights, as a Hugging Face folder"},
    FormatInfo{ExportFormat::TorchScript, "torchscript", "TorchScript model.pt (torch.jit.load in Python or LibTorch)"},
    FormatInfo{ExportFormat::Onnx, "onnx", "ONNX model.onnx, float32 (ONNX Runtime)"},
    FormatInfo{ExportFormat::OnnxInt8, "onnx-int8", "ONNX model.onnx with int8 dynamically quantised linear layers"},
};

const FormatInfo &infoOf(ExportFormat format)
{
    for (const FormatInfo &info : kFormats)
        if (info.format == format)
            return info;
    throw Error(ErrorKind::Internal, "unknown export format");
}

} // namespace

std::string toString(ExportFormat format)
{
    return infoOf(format).name;
}

std::string describe(ExportFormat format)
{
    return infoOf(format).description;
}

ExportFormat exportFormatFromString(const std::string &name)
{
    std::string names;
    for (const FormatInfo &info : kFormats) {
        if (name == info.name)
            return info.format;
        names += (names.empty() ? "" : ", ") + std::string(info.name);
    }
    throw Error(ErrorKind::InvalidInput, "unknown export format '" + name + "' (use one of: " + names + ")");
}

std::vector<ExportFormat> allExportFormats()
{
    std::vector<ExportFormat> formats;
    for (const FormatInfo &info : kFormats)
        formats.push_back(info.format);
    return formats;
}

} // namespace ft
