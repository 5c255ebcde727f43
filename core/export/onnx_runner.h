// onnx_runner.h: evaluates an ONNX file written by our exports with LibTorch
// ops, so the app can check an export (its logits against the run's own)
// without ONNX Runtime, which has no C++ package here. It implements the ops
// writeOnnx emits, float and int8, with ONNX's semantics (DynamicQuantizeLinear's
// rounding and saturation, MatMulInteger's zero points, Slice's clamping, ...);
// any other op is refused when the file is opened.
#pragma once

#include <ATen/core/Tensor.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>

namespace ft {

class OnnxRunner {
public:
    // Parses `file` and checks that every node is an op this runner implements and every value it
    // reads is made before. Throws ft::Error: NotFound, InvalidInput for a malformed model,
    // Incompatible for an unknown op (naming the op and the node) or an opset before 17.
    explicit OnnxRunner(const std::filesystem::path &file);
    ~OnnxRunner();
    OnnxRunner(OnnxRunner &&) noexcept;
    OnnxRunner &operator=(OnnxRunner &&) noexcept;

    // The graph's first output (logits) for int64 [batch, sequence] inputs, fed to the graph inputs
    // named input_ids, attention_mask and token_type_ids. A failing node throws ft::Error naming it.
    at::Tensor run(const at::Tensor &inputIds, const at::Tensor &attentionMask, const at::Tensor &tokenTypeIds) const;
    // The same for any graph: every graph input fed from `feeds` by name (an image classifier's
    // float pixel_values, say). ft::Error (InvalidInput) for an input `feeds` lacks.
    at::Tensor run(const std::map<std::string, at::Tensor> &feeds) const;

    // A metadata_props value ("id2label", "quantization", ...); empty when absent.
    std::string metadata(const std::string &key) const;

private:
    struct Impl;
    std::unique_ptr<Impl> mImpl;
};

} // namespace ft
