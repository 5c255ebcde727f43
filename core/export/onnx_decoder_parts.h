// onnx_decoder_parts.h: what the ONNX writers of the decoder classifiers (GPT-2, Llama) share: their
// weights as initializers, the input's length, the causal-and-padding mask, the logits read at the
// last token that is not padding, and the file with its metadata.
#pragma once

#include "export/onnx_export.h"

#include <ATen/core/Tensor.h>
#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace torch::nn {
class Module;
}

namespace ft {

class OnnxGraphBuilder;

// A model's parameters, each added to the graph as a float32 initializer the first time a node asks.
class OnnxWeights {
public:
    OnnxWeights(const torch::nn::Module &model, OnnxGraphBuilder &graph);
    // The initializer of parameter `name`, under that name.
    std::string operator()(const std::string &name);
    // Its transpose, "<name>.T": a bias-free Linear's [out, in] weight as a MatMul's right side.
    std::string transposed(const std::string &name);

private:
    at::Tensor tensorOf(const std::string &name) const;

    OnnxGraphBuilder &mGraph;
    std::map<std::string, at::Tensor> mParameters;
    std::set<std::string> mWritten;
};

// The input's length, [1] int64, from input_ids.
std::string addInputLength(OnnxGraphBuilder &graph, const std::string &scope);
// The first `length` entries of `table` along `axis`.
std::string sliceToLength(OnnxGraphBuilder &graph, const std::string &name, const std::string &table,
                          const std::string &length, std::int64_t axis);
// The additive mask [batch, 1, length, length]: 0 where a query may attend a key (itself, the keys before it
// that attention_mask keeps), the lowest float elsewhere, as the models fill. `positions` sizes the table.
std::string addCausalPaddingMask(OnnxGraphBuilder &graph, const std::string &scope, const std::string &length,
                                 std::int64_t positions);
// The graph's output "logits" [batch, labels]: `scoreWeight` [labels, hidden] (no bias) times the hidden
// state `x` [batch, length, hidden] at each row's last token that is not `padId`.
void addLastTokenLogits(OnnxGraphBuilder &graph, const std::string &x, const std::string &length, std::int64_t padId,
                        std::int64_t hidden, std::int64_t positions, std::int64_t labels, const std::string &scoreWeight);

// The file: the text classifiers' inputs, the graph `write` adds, id2label and config as metadata; written
// atomically. ft::Error: InvalidInput for a model with LoRA branches, Incompatible for int8 quantisation
// (built for the BERT family only), Io when the file cannot be written.
OnnxExportReport writeDecoderOnnx(const torch::nn::Module &model, const std::string &architecture,
                                  const std::vector<std::string> &id2label, const nlohmann::json &config,
                                  const std::filesystem::path &file, const OnnxExportOptions &options,
                                  const std::function<void(OnnxGraphBuilder &)> &write);

} // namespace ft
