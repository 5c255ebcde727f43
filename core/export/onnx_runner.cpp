// onnx_runner.cpp: loads an ONNX model's initializers as tensors once, then
// walks its nodes in order for each run, freeing every value after its last
// reader so memory stays at what a few layers need.
#include "export/onnx_runner.h"

#include "common/error.h"
#include "export/onnx_ops.h"
#include "export/onnx_tensor.h"

#include <ATen/Functions.h>
#include <c10/core/GradMode.h>
#include <c10/util/Exception.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <unordered_map>

namespace ft {

namespace {

constexpr std::int64_t kMinOpset = 17; // the op semantics the kernels implement

struct Step {
    const onnx::NodeProto *node = nullptr;
    OnnxKernel kernel = nullptr;
    std::vector<std::string> release; // values no later node reads
};

std::string describe(const onnx::NodeProto &node)
{
    return "node '" + node.name() + "' (" + node.op_type() + ")";
}

bool isDefaultDomain(const std::string &domain)
{
    return domain.empty() || domain == "ai.onnx";
}

} // namespace

struct OnnxRunner::Impl {
    onnx::ModelProto model;
    std::unordered_map<std::string, at::Tensor> initializers;
    std::vector<Step> steps;
};

OnnxRunner::OnnxRunner(const std::filesystem::path &file) : mImpl(std::make_unique<Impl>())
{
    std::ifstream in(file, std::ios::binary);
    if (!in)
        throw Error(ErrorKind::NotFound, "cannot open the ONNX model " + file.string());
    std::stringstream bytes;
    bytes << in.rdbuf();
    onnx::ModelProto &model = mImpl->model;
    if (!model.ParseFromString(bytes.str()))
        throw Error(ErrorKind::InvalidInput, file.string() + " is not an ONNX model (protobuf parse failed)");

    std::int64_t opset = 0;
    for (const onnx::OperatorSetIdProto &entry : model.opset_import())
        if (isDefaultDomain(entry.domain()))
            opset = entry.version();
    if (opset < kMinOpset)
        throw Error(ErrorKind::Incompatible, file.string() + " uses ai.onnx opset " + std::to_string(opset) +
                                                 "; the checker runs opset " + std::to_string(kMinOpset) +
                                                 " and later");

    const onnx::GraphProto &graph = model.graph();
    for (const onnx::TensorProto &initializer : graph.initializer())
        mImpl->initializers[initializer.name()] = fromTensorProto(initializer);

    // Every node must be a known op reading values made before it; note each value's last reader.
    std::map<std::string, std::size_t> lastReader;
    std::set<std::string> available;
    for (const onnx::ValueInfoProto &input : graph.input())
        available.insert(input.name());
    for (const auto &item : mImpl->initializers)
        available.insert(item.first);
    for (int n = 0; n < graph.node_size(); ++n) {
        const onnx::NodeProto &node = graph.node(n);
        const OnnxKernel kernel = isDefaultDomain(node.domain()) ? findOnnxKernel(node.op_type()) : nullptr;
        if (!kernel)
            throw Error(ErrorKind::Incompatible,
                        "unsupported ONNX op '" + (isDefaultDomain(node.domain()) ? "" : node.domain() + ".") +
                            node.op_type() + "' in node '" + node.name() + "' of " + file.string());
        for (const std::string &input : node.input()) {
            if (input.empty())
                continue;
            if (!available.contains(input))
                throw Error(ErrorKind::InvalidInput, describe(node) + " reads '" + input +
                                                         "', which no earlier node, input or initializer makes");
            lastReader[input] = std::size_t(n);
        }
        for (const std::string &output : node.output())
            available.insert(output);
        mImpl->steps.push_back({&node, kernel, {}});
    }
    if (graph.output_size() == 0 || !available.contains(graph.output(0).name()))
        throw Error(ErrorKind::InvalidInput, file.string() + " has no output that its graph computes");
    for (const auto &[value, reader] : lastReader) {
        const bool kept = mImpl->initializers.contains(value) || value == graph.output(0).name();
        if (!kept)
            mImpl->steps[reader].release.push_back(value);
    }
}

OnnxRunner::~OnnxRunner() = default;
OnnxRunner::OnnxRunner(OnnxRunner &&) noexcept = default;
OnnxRunner &OnnxRunner::operator=(OnnxRunner &&) noexcept = default;

at::Tensor OnnxRunner::run(const at::Tensor &inputIds, const at::Tensor &attentionMask,
                           const at::Tensor &tokenTypeIds) const
{
    std::map<std::string, at::Tensor> feeds;
    for (const auto &[name, tensor] : {std::pair{"input_ids", &inputIds}, std::pair{"attention_mask", &attentionMask},
                                       std::pair{"token_type_ids", &tokenTypeIds}}) {
        if (!tensor->defined() || tensor->dim() != 2)
            throw Error(ErrorKind::InvalidInput, std::string("ONNX input '") + name + "' must be [batch, sequence]");
        feeds.emplace(name, tensor->to(at::kCPU, at::kLong));
    }
    return run(feeds);
}

at::Tensor OnnxRunner::run(const std::map<std::string, at::Tensor> &feeds) const
{
    c10::NoGradGuard noGrad;
    const onnx::GraphProto &graph = mImpl->model.graph();
    std::unordered_map<std::string, at::Tensor> values;
    for (const onnx::ValueInfoProto &input : graph.input()) {
        if (mImpl->initializers.contains(input.name()))
            continue; // an initializer listed as an input (IR < 4 style) keeps its stored value
        const auto feed = feeds.find(input.name());
        if (feed == feeds.end() || !feed->second.defined())
            throw Error(ErrorKind::InvalidInput, "the ONNX graph has an input '" + input.name() +
                                                     "' that was not given");
        values[input.name()] = feed->second.to(at::kCPU);
    }

    const auto lookup = [&](const std::string &name) -> at::Tensor {
        if (name.empty())
            return {};
        if (const auto found = values.find(name); found != values.end())
            return found->second;
        return mImpl->initializers.at(name);
    };

    for (const Step &step : mImpl->steps) {
        const onnx::NodeProto &node = *step.node;
        std::vector<at::Tensor> inputs;
        for (const std::string &name : node.input())
            inputs.push_back(lookup(name));
        std::vector<at::Tensor> outputs;
        try {
            outputs = step.kernel(node, inputs);
        } catch (const Error &e) {
            throw Error(e.kind(), describe(node) + ": " + e.what());
        } catch (const c10::Error &e) {
            throw Error(ErrorKind::InvalidInput, describe(node) + ": " + e.what_without_backtrace());
        }
        for (int o = 0; o < node.output_size(); ++o) {
            if (node.output(o).empty())
                continue;
            if (std::size_t(o) >= outputs.size())
                throw Error(ErrorKind::Incompatible, describe(node) + ": output " + std::to_string(o) +
                                                         " is not implemented");
            values[node.output(o)] = std::move(outputs[std::size_t(o)]);
        }
        for (const std::string &name : step.release)
            values.erase(name);
    }
    return lookup(graph.output(0).name());
}

std::string OnnxRunner::metadata(const std::string &key) const
{
    for (const onnx::StringStringEntryProto &entry : mImpl->model.metadata_props())
        if (entry.key() == key)
            return entry.value();
    return {};
}

} // namespace ft
