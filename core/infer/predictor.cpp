// predictor.cpp: tokenize, sort by length, pad per batch, forward in eval
// mode without autograd, and hand the scores back in input order.
#include "infer/predictor.h"

#include "common/error.h"
#include "export/onnx_runner.h"
#include "export/torchscript_export.h"
#include "models/model_family.h"
#include "models/classifier_factory.h"
#include "models/dynamic_quantization.h"
#include "system/compute_threads.h"
#include "text/tokenizer.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <torch/cuda.h>

#include <algorithm>
#include <functional>
#include <numeric>
#include <optional>

namespace ft {

namespace {

c10::Device resolveDevice(const std::string &name)
{
    if (name == "cpu")
        return c10::Device(c10::kCPU);
    if (name == "auto")
        return torch::cuda::is_available() ? c10::Device(c10::kCUDA, 0) : c10::Device(c10::kCPU);
    if (name != "cuda" && name.rfind("cuda:", 0) != 0)
        throw Error(ErrorKind::InvalidInput, "unknown device '" + name + "' (expected cpu, cuda, cuda:N or auto)");
    if (!torch::cuda::is_available())
        throw Error(ErrorKind::Incompatible, "device '" + name + "' was asked for, but no CUDA device is available");
    try {
        return c10::Device(name);
    } catch (const c10::Error &) {
        throw Error(ErrorKind::InvalidInput, "unknown device '" + name + "' (expected cpu, cuda, cuda:N or auto)");
    }
}

std::string joined(const std::vector<std::string> &names)
{
    std::string text;
    for (std::size_t i = 0; i < names.size() && i < 3; ++i)
        text += (i ? ", " : "") + names[i];
    if (names.size() > 3)
        text += ", ...";
    return text;
}

// int64 [batch, sequence] ids, mask and token types to logits [batch, labels].
using LogitsFunction = std::function<at::Tensor(const at::Tensor &, const at::Tensor &, const at::Tensor &)>;

// The model of an export folder that holds no checkpoint weights (export/run_export.h):
// model.pt or model.onnx, run on the CPU. Empty when the folder has neither.
LogitsFunction exportedModel(const std::filesystem::path &folder, c10::Device device)
{
    std::error_code error;
    for (const char *weights : {"model.safetensors", "model.safetensors.index.json", "pytorch_model.bin"})
        if (std::filesystem::exists(folder / weights, error))
            return {};
    const bool torchScript = std::filesystem::exists(folder / "model.pt", error);
    const bool onnx = std::filesystem::exists(folder / "model.onnx", error);
    if ((torchScript || onnx) && !device.is_cpu())
        throw Error(ErrorKind::Incompatible, folder.string() + ": a TorchScript or ONNX export runs on the CPU here");
    if (torchScript) {
        auto module = std::make_shared<TorchScriptClassifier>(folder / "model.pt");
        return [module](const at::Tensor &ids, const at::Tensor &mask, const at::Tensor &types) {
            return module->logits(ids, mask, types);
        };
    }
    if (onnx) {
        auto runner = std::make_shared<OnnxRunner>(folder / "model.onnx");
        return [runner](const at::Tensor &ids, const at::Tensor &mask, const at::Tensor &types) {
            return runner->run(ids, mask, types);
        };
    }
    return {};
}

} // namespace

struct Predictor::Impl {
    std::filesystem::path folder;
    TextModelShape config;
    ClassifierPtr model;     // a checkpoint folder's model
    LogitsFunction exported; // or an export's TorchScript or ONNX model
    std::optional<Tokenizer> tokenizer;
    c10::Device device = c10::Device(c10::kCPU);
    std::size_t maxLength = 0;
    std::size_t batchSize = 32;
    int threads = 0;
    bool sigmoid = false; // multi-label heads score each class on its own
};

Predictor::Predictor() = default;
Predictor::~Predictor() = default;
Predictor::Predictor(Predictor &&) noexcept = default;
Predictor &Predictor::operator=(Predictor &&) noexcept = default;

void Predictor::load(const std::filesystem::path &folder, const PredictorOptions &options)
{
    std::error_code error;
    if (!std::filesystem::is_directory(folder, error))
        throw Error(ErrorKind::NotFound, folder.string() + ": no such model folder");
    auto impl = std::make_unique<Impl>();
    impl->folder = folder;
    const bool quantized = !options.quantize.empty() && options.quantize != "none"; // int8 kernels: CPU only
    impl->device = resolveDevice(quantized && options.device == "auto" ? "cpu" : options.device);
    impl->batchSize = std::max<std::size_t>(1, options.batchSize);
    impl->threads = options.threads;

    // The cheap checks first: a wrong folder fails before any weight is read.
    impl->config = readTextModelShape(folder / "config.json");
    const TextModelShape &config = impl->config;
    if (config.problemType == "regression")
        throw Error(ErrorKind::Incompatible, (folder / "config.json").string() +
                                                 ": problem_type 'regression' has no classes to predict");
    impl->sigmoid = config.problemType == "multi_label_classification";
    impl->tokenizer = modelTokenizer(folder);
    const Tokenizer &tokenizer = *impl->tokenizer;
    if (tokenizer.vocabSize() > config.vocabSize)
        throw Error(ErrorKind::InvalidInput, tokenizer.source().string() + ": the tokenizer has " +
                                                 std::to_string(tokenizer.vocabSize()) + " ids but config.json's "
                                                 "vocab_size is " + std::to_string(config.vocabSize));
    if (tokenizer.padId() < 0)
        throw Error(ErrorKind::InvalidInput, tokenizer.source().string() + ": the tokenizer has no pad token");

    const auto maxPositions = static_cast<std::size_t>(config.maxLength);
    if (options.maxLength > maxPositions)
        throw Error(ErrorKind::InvalidInput, "max length " + std::to_string(options.maxLength) +
                                                 " exceeds the " + std::to_string(maxPositions) +
                                                 " positions the model takes (max_position_embeddings)");
    impl->maxLength = options.maxLength;
    if (impl->maxLength == 0) {
        const std::size_t fromTokenizer = tokenizer.modelMaxLength();
        impl->maxLength = fromTokenizer > 0 ? std::min(fromTokenizer, maxPositions) : maxPositions;
    }
    if (impl->maxLength <= tokenizer.specialTokenCount(true))
        throw Error(ErrorKind::InvalidInput, "max length " + std::to_string(impl->maxLength) +
                                                 " leaves no room for text beside the special tokens");

    impl->exported = exportedModel(folder, impl->device);
    if (impl->exported && quantized)
        throw Error(ErrorKind::Incompatible, folder.string() + " is an export; --quantize takes a checkpoint folder "
                                                               "(an onnx-int8 export is quantised already)");
    if (impl->exported) {
        mImpl = std::move(impl);
        return;
    }
    ClassifierOptions load;
    load.device = impl->device;
    LoadedClassifier loaded = loadClassifier(folder, load);
    // HF would start a missing head at random; predictions from it mean nothing.
    if (!loaded.initialised.empty())
        throw Error(ErrorKind::Incompatible, folder.string() + ": the checkpoint has no trained classification head "
                                                              "(missing " + joined(loaded.initialised) +
                                                              "); fine-tune it before predicting");
    impl->model = std::move(loaded.model);
    if (quantized) {
        if (!impl->device.is_cpu())
            throw Error(ErrorKind::Incompatible, "--quantize " + options.quantize + " runs on the CPU, not on "
                                                     + impl->device.str());
        quantizeDynamic(*impl->model, dynamicQuantizationFromString(options.quantize));
    }
    mImpl = std::move(impl);
}

bool Predictor::loaded() const
{
    return mImpl != nullptr;
}

Predictions Predictor::predict(std::span<const std::string_view> texts, std::span<const std::string_view> pairs,
                               const PredictProgress &progress) const
{
    if (!mImpl)
        throw Error(ErrorKind::Internal, "Predictor::predict before load");
    if (!pairs.empty() && pairs.size() != texts.size())
        throw Error(ErrorKind::Internal, "Predictor::predict: " + std::to_string(texts.size()) + " texts but " +
                                             std::to_string(pairs.size()) + " pairs");
    const Impl &d = *mImpl;
    const Tokenizer &tokenizer = *d.tokenizer;
    const std::size_t n = texts.size();
    const auto numLabels = static_cast<std::size_t>(d.config.numLabels());

    EncodeOptions encode;
    encode.maxLength = d.maxLength;
    std::vector<Encoding> encodings(n);
    for (std::size_t i = 0; i < n; ++i)
        encodings[i] = pairs.empty() || pairs[i].empty() ? tokenizer.encode(texts[i], encode)
                                                         : tokenizer.encode(texts[i], pairs[i], encode);
    // Similar lengths share a batch, so little compute goes to padding.
    std::vector<std::size_t> order(n);
    std::iota(order.begin(), order.end(), std::size_t(0));
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return encodings[a].size() < encodings[b].size(); });

    Predictions result;
    result.numLabels = numLabels;
    result.labelIds.assign(n, 0);
    result.labels.assign(n, std::string());
    result.probabilities.assign(n * numLabels, 0.0f);
    result.logits.assign(n * numLabels, 0.0f);

    std::optional<ScopedComputeThreads> threads;
    if (d.threads > 0)
        threads.emplace(d.threads);
    at::NoGradGuard noGrad;
    const LogitsFunction forward = d.exported ? d.exported : [&d](const at::Tensor &ids, const at::Tensor &mask,
                                                                   const at::Tensor &types) {
        TensorBatch batch;
        batch.inputIds = ids;
        batch.attentionMask = mask;
        batch.tokenTypeIds = types;
        return d.model->logits(batch);
    };
    const std::vector<std::string> &names = d.config.id2label;
    std::vector<Encoding> batchRows;
    for (std::size_t start = 0; start < n; start += d.batchSize) {
        const std::size_t count = std::min(d.batchSize, n - start);
        batchRows.clear();
        for (std::size_t r = 0; r < count; ++r)
            batchRows.push_back(std::move(encodings[order[start + r]]));
        BatchEncoding batch = tokenizer.pad(batchRows, EncodeOptions{});
        const auto wrap = [&](std::vector<std::int64_t> &values) {
            const at::Tensor tensor = at::from_blob(values.data(), {batch.rows, batch.cols}, at::kLong);
            return d.device.is_cpu() ? tensor : tensor.to(d.device);
        };
        const at::Tensor logits = forward(wrap(batch.inputIds), wrap(batch.attentionMask), wrap(batch.tokenTypeIds))
                                      .to(at::kCPU, at::kFloat)
                                      .contiguous();
        const at::Tensor scores = (d.sigmoid ? at::sigmoid(logits) : at::softmax(logits, -1)).contiguous();
        const at::Tensor best = logits.argmax(-1).contiguous();
        const float *logitData = logits.data_ptr<float>();
        const float *scoreData = scores.data_ptr<float>();
        const std::int64_t *bestData = best.data_ptr<std::int64_t>();
        for (std::size_t r = 0; r < count; ++r) {
            const std::size_t row = order[start + r];
            std::copy_n(logitData + r * numLabels, numLabels, result.logits.begin() + std::ptrdiff_t(row * numLabels));
            std::copy_n(scoreData + r * numLabels, numLabels,
                        result.probabilities.begin() + std::ptrdiff_t(row * numLabels));
            result.labelIds[row] = bestData[r];
            result.labels[row] = names[static_cast<std::size_t>(bestData[r])];
        }
        if (progress && !progress(start + count))
            throw Error(ErrorKind::Cancelled, "prediction cancelled");
    }
    return result;
}

const std::vector<std::string> &Predictor::labelNames() const
{
    static const std::vector<std::string> none;
    return mImpl ? mImpl->config.id2label : none;
}

std::size_t Predictor::maxLength() const
{
    return mImpl ? mImpl->maxLength : 0;
}

std::string Predictor::deviceName() const
{
    return mImpl ? mImpl->device.str() : std::string();
}

const std::filesystem::path &Predictor::folder() const
{
    static const std::filesystem::path none;
    return mImpl ? mImpl->folder : none;
}

} // namespace ft
