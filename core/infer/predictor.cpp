// predictor.cpp: tokenize, sort by length, pad per batch, forward in eval
// mode without autograd, and hand the scores back in input order.
#include "infer/predictor.h"

#include "common/error.h"
#include "models/checkpoint.h"
#include "system/compute_threads.h"
#include "text/tokenizer.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <torch/cuda.h>

#include <algorithm>
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

} // namespace

struct Predictor::Impl {
    std::filesystem::path folder;
    LoadedBert loaded;
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
    impl->device = resolveDevice(options.device);
    impl->batchSize = std::max<std::size_t>(1, options.batchSize);
    impl->threads = options.threads;

    // The cheap checks first: a wrong folder fails before any weight is read.
    const BertConfig config = loadBertConfig(folder / "config.json");
    if (config.problemType == "regression")
        throw Error(ErrorKind::Incompatible, (folder / "config.json").string() +
                                                 ": problem_type 'regression' has no classes to predict");
    impl->sigmoid = config.problemType == "multi_label_classification";
    impl->tokenizer = Tokenizer::fromFolder(folder);
    const Tokenizer &tokenizer = *impl->tokenizer;
    if (tokenizer.vocabSize() > config.vocabSize)
        throw Error(ErrorKind::InvalidInput, tokenizer.source().string() + ": the tokenizer has " +
                                                 std::to_string(tokenizer.vocabSize()) + " ids but config.json's "
                                                 "vocab_size is " + std::to_string(config.vocabSize));
    if (tokenizer.padId() < 0)
        throw Error(ErrorKind::InvalidInput, tokenizer.source().string() + ": the tokenizer has no pad token");

    const auto maxPositions = static_cast<std::size_t>(config.maxPositionEmbeddings);
    if (options.maxLength > maxPositions)
        throw Error(ErrorKind::InvalidInput, "max length " + std::to_string(options.maxLength) +
                                                 " exceeds the model's max_position_embeddings (" +
                                                 std::to_string(maxPositions) + ")");
    impl->maxLength = options.maxLength;
    if (impl->maxLength == 0) {
        const std::size_t fromTokenizer = tokenizer.modelMaxLength();
        impl->maxLength = fromTokenizer > 0 ? std::min(fromTokenizer, maxPositions) : maxPositions;
    }
    if (impl->maxLength <= tokenizer.specialTokenCount(true))
        throw Error(ErrorKind::InvalidInput, "max length " + std::to_string(impl->maxLength) +
                                                 " leaves no room for text beside the special tokens");

    LoadOptions load;
    load.device = impl->device;
    impl->loaded = loadBert(folder, load);
    // HF would start a missing head at random; predictions from it mean nothing.
    if (!impl->loaded.report.missing.empty())
        throw Error(ErrorKind::Incompatible, folder.string() + ": the checkpoint has no trained classification head "
                                                              "(missing " + joined(impl->loaded.report.missing) +
                                                              "); fine-tune it before predicting");
    impl->loaded.model->eval();
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
    const auto numLabels = static_cast<std::size_t>(d.loaded.config.numLabels());

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
    BertForSequenceClassificationImpl &model = *d.loaded.model.ptr();
    const std::vector<std::string> &names = d.loaded.config.id2label;
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
        const at::Tensor logits =
            model.forward(wrap(batch.inputIds), wrap(batch.attentionMask), wrap(batch.tokenTypeIds))
                .logits.to(at::kCPU, at::kFloat)
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
    return mImpl ? mImpl->loaded.config.id2label : none;
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
