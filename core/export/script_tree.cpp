// script_tree.cpp
#include "export/script_tree.h"

#include "common/error.h"
#include "export/torchscript_export.h"

#include <torch/csrc/jit/api/module.h>

#include <algorithm>
#include <cctype>

namespace ft {

namespace {

using torch::jit::Module;

// A script module per LibTorch module, each of its own class type, holding
// float32 CPU copies of the parameters and buffers under the same names.
class TreeCopier {
public:
    Module copy(const torch::nn::Module &source, const std::string &typeName)
    {
        Module module(c10::QualifiedName("__torch__.finetune_studio." + typeName), mUnit);
        module.register_attribute("training", c10::BoolType::get(), false);
        for (const auto &item : source.named_parameters(/*recurse=*/false))
            module.register_parameter(item.key(), floatCopy(item.value()), /*is_buffer=*/false);
        for (const auto &item : source.named_buffers(/*recurse=*/false))
            module.register_buffer(item.key(), floatCopy(item.value()));
        for (const auto &item : source.named_children())
            module.register_module(item.key(), copy(*item.value(), "Module" + std::to_string(mCount++)));
        return module;
    }

private:
    static at::Tensor floatCopy(const at::Tensor &tensor)
    {
        const at::Tensor cpu = tensor.detach().to(at::kCPU, /*non_blocking=*/false, /*copy=*/true);
        return (cpu.is_floating_point() ? cpu.to(at::kFloat) : cpu).contiguous();
    }

    std::shared_ptr<torch::jit::CompilationUnit> mUnit = std::make_shared<torch::jit::CompilationUnit>();
    int mCount = 0;
};

} // namespace

std::string scriptPath(const std::string &dotted)
{
    std::string out = "self";
    std::size_t start = 0;
    while (start <= dotted.size()) {
        const std::size_t end = std::min(dotted.find('.', start), dotted.size());
        const std::string part = dotted.substr(start, end - start);
        out = std::isdigit(static_cast<unsigned char>(part.front())) ? "getattr(" + out + ", \"" + part + "\")"
                                                                      : out + "." + part;
        start = end + 1;
    }
    return out;
}

std::string scriptLinear(const std::string &x, const std::string &m, bool bias)
{
    return "torch.linear(" + x + ", " + scriptPath(m + ".weight") + ", " + (bias ? scriptPath(m + ".bias") : "None")
           + ")";
}

std::string scriptLayerNorm(const std::string &x, const std::string &m, std::int64_t width, double eps)
{
    return "torch.layer_norm(" + x + ", [" + std::to_string(width) + "], " + scriptPath(m + ".weight") + ", "
           + scriptPath(m + ".bias") + ", " + scriptFloat(eps) + ")";
}

void writeScriptTree(const torch::nn::Module &model, const std::string &architecture, const std::string &forward,
                     const std::filesystem::path &file)
{
    Module module = [&] {
        try {
            Module root = TreeCopier().copy(model, architecture);
            root.define(forward, scriptResolver());
            return root;
        } catch (const std::exception &e) {
            throw Error(ErrorKind::Internal, "cannot build the TorchScript module for " + file.string() + ": "
                                                 + reasonOf(e));
        }
    }();
    saveScriptModule(module, file);
}

} // namespace ft
