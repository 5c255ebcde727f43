// encoder_checkpoint.cpp
#include "models/encoder_checkpoint.h"

#include "models/checkpoint.h"
#include "models/module_state.h"

#include <algorithm>

namespace ft {

namespace {

bool startsWithAny(const std::string &name, const std::vector<std::string> &prefixes)
{
    return std::any_of(prefixes.begin(), prefixes.end(),
                       [&](const std::string &prefix) { return name.rfind(prefix, 0) == 0; });
}

} // namespace

LoadReport loadEncoderCheckpoint(torch::nn::Module &model, const std::filesystem::path &folder,
                                 const EncoderLayout &layout)
{
    LoadReport report;
    CheckpointTensors weights = readCheckpointTensors(folder);
    for (const auto &file : weights.files)
        report.files.push_back(file.string());
    const auto parameters = model.named_parameters();
    const auto buffers = model.named_buffers();
    TensorMap named;
    for (auto &[name, tensor] : weights.tensors) {
        const std::string key = startsWithAny(name, layout.baseModules) ? layout.base + name : name;
        if (parameters.contains(key) || buffers.contains(key))
            named[key] = std::move(tensor);
        else
            report.unexpected.push_back(name);
    }
    for (const auto &item : parameters) {
        if (!startsWithAny(item.key(), layout.head))
            continue;
        const auto found = named.find(item.key());
        if (found != named.end() && found->second.sizes() == item.value().sizes())
            continue;
        if (found == named.end())
            report.missing.push_back(item.key());
        else
            report.shapeMismatches.push_back(item.key() + ": checkpoint " + shapeText(found->second.sizes())
                                             + ", model " + shapeText(item.value().sizes()));
        named[item.key()] = item.value().detach().clone();
        report.initialized.push_back(item.key());
    }
    loadModuleState(model, named, weights.source);
    for (const auto &item : parameters)
        if (std::find(report.initialized.begin(), report.initialized.end(), item.key()) == report.initialized.end())
            report.loaded.push_back(item.key());
    return report;
}

} // namespace ft
