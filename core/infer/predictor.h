// predictor.h: a fine-tuned sequence classifier run on texts, for `finetune
// predict` and the studio's try-it page. Torch-free (pimpl): callers get plain
// vectors. Rows are tokenized one by one, sorted by length and padded per
// batch, so batching changes speed, not results (beyond float rounding).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ft {

struct PredictorOptions {
    // The longest encoding, special tokens included; 0: the tokenizer's
    // model_max_length, capped by the config's max_position_embeddings.
    std::size_t maxLength = 0;
    std::size_t batchSize = 32;
    std::string device = "cpu"; // cpu, cuda, cuda:N or auto (CUDA when there is one)
    int threads = 0;            // CPU threads while predicting; 0 keeps the process's setting
    // "int8" or "int8-per-channel": the checkpoint's linear layers quantised for the CPU
    // (models/dynamic_quantization.h); "" or "none": float32.
    std::string quantize;
};

// Row-major results: row r's scores are [r * numLabels, (r + 1) * numLabels).
struct Predictions {
    std::size_t numLabels = 0;
    std::vector<std::int64_t> labelIds;  // argmax per row
    std::vector<std::string> labels;     // its name from config.json's id2label
    std::vector<float> probabilities;    // softmax of the logits, computed in float32
    std::vector<float> logits;

    std::size_t size() const { return labelIds.size(); }
};

// Called after each batch with the rows of the call done so far; returning
// false stops predict() with ft::Error (Cancelled).
using PredictProgress = std::function<bool(std::size_t rowsDone)>;

class Predictor {
public:
    Predictor();
    ~Predictor();
    Predictor(Predictor &&) noexcept;
    Predictor &operator=(Predictor &&) noexcept;

    // Loads config.json, the tokenizer and the weights (float32 compute, as
    // from_pretrained gives, whatever dtype the files store); or, in an export
    // folder without checkpoint weights, its model.pt (TorchScript) or
    // model.onnx, on the CPU. Throws ft::Error:
    // NotFound for a missing folder or file, InvalidInput for malformed ones,
    // Incompatible for an unsupported model or one without a trained
    // classification head (a base checkpoint would predict noise).
    void load(const std::filesystem::path &folder, const PredictorOptions &options = {});
    bool loaded() const;

    // One prediction per text, in the order given. `pairs` is empty, or has
    // one entry per text; an empty pair encodes the text alone (as a JSON
    // null or a missing field reads). Texts are truncated to maxLength().
    Predictions predict(std::span<const std::string_view> texts, std::span<const std::string_view> pairs = {},
                        const PredictProgress &progress = {}) const;

    const std::vector<std::string> &labelNames() const;
    std::size_t maxLength() const;
    std::string deviceName() const; // "cpu", "cuda:0"
    const std::filesystem::path &folder() const;

private:
    struct Impl;
    std::unique_ptr<Impl> mImpl;
};

} // namespace ft
