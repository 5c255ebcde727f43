// module_state.cpp: name-for-name state loading with every check first.
#include "models/module_state.h"

#include "common/error.h"
#include "models/atomic_file.h"
#include "models/safetensors.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include <nlohmann/json.hpp>

#include <set>
#include <sstream>

namespace ft {

std::string shapeText(at::IntArrayRef sizes)
{
    std::ostringstream out;
    out << '[';
    for (std::size_t i = 0; i < sizes.size(); ++i)
        out << (i ? ", " : "") << sizes[i];
    out << ']';
    return out.str();
}

namespace {

std::vector<std::pair<std::string, at::Tensor>> stateOf(const torch::nn::Module &module)
{
    std::vector<std::pair<std::string, at::Tensor>> state;
    for (const auto &item : module.named_parameters())
        state.emplace_back(item.key(), item.value());
    for (const auto &item : module.named_buffers())
        state.emplace_back(item.key(), item.value());
    return state;
}

} // namespace

std::vector<std::string> loadModuleState(torch::nn::Module &module, const TensorMap &tensors, const std::string &source)
{
    auto state = stateOf(module);
    std::set<std::string> known;
    for (const auto &[name, target] : state) {
        known.insert(name);
        const auto it = tensors.find(name);
        if (it == tensors.end())
            throw Error(ErrorKind::InvalidInput, source + ": tensor '" + name + "' is missing");
        if (it->second.sizes() != target.sizes())
            throw Error(ErrorKind::InvalidInput, source + ": tensor '" + name + "' has the shape "
                                                     + shapeText(it->second.sizes()) + ", the model needs "
                                                     + shapeText(target.sizes()));
    }
    const c10::NoGradGuard noGrad;
    for (auto &[name, target] : state)
        target.copy_(tensors.at(name));
    std::vector<std::string> unused;
    for (const auto &[name, tensor] : tensors)
        if (!known.count(name))
            unused.push_back(name);
    return unused;
}

TensorMap moduleState(const torch::nn::Module &module, at::ScalarType floatType)
{
    TensorMap out;
    for (const auto &[name, tensor] : stateOf(module)) {
        at::Tensor value = tensor.detach().to(at::kCPU).contiguous();
        if (value.is_floating_point() && value.scalar_type() != floatType)
            value = value.to(floatType);
        out.emplace(name, value);
    }
    return out;
}

void loadWholeModuleState(torch::nn::Module &module, const TensorMap &tensors, const std::string &source,
                          const std::string &architecture)
{
    const std::vector<std::string> unused = loadModuleState(module, tensors, source);
    if (!unused.empty())
        throw Error(ErrorKind::Incompatible, source + ": tensor " + unused.front() + " is not part of this "
                                                 + architecture + " (LoRA on a model without it?)");
}

void saveModuleFolder(const torch::nn::Module &module, nlohmann::json config, const std::filesystem::path &folder)
{
    std::filesystem::create_directories(folder);
    config["torch_dtype"] = "float32";
    saveSafetensors(folder / "model.safetensors", moduleState(module));
    writeFileAtomically(folder / "config.json", config.dump(2) + "\n");
}

} // namespace ft
