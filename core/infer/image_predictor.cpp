// image_predictor.cpp: preprocessing, batched forward passes without
// gradients, softmax in float32.
#include "infer/image_predictor.h"

#include "common/error.h"
#include "models/vision_config.h"
#include "models/vision_folder.h"
#include "system/compute_threads.h"
#include "train/device_precision.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

namespace ft {

struct ImagePredictor::Impl {
    VitForImageClassification vit{nullptr};
    ResNetForImageClassification resnet{nullptr};
    ImageProcessorConfig processor;
    std::vector<std::string> labels;
    c10::Device device = c10::Device(c10::kCPU);
    PredictorOptions options;

    at::Tensor logits(const at::Tensor &pixels)
    {
        return vit ? vit->forward(pixels).logits : resnet->forward(pixels).logits;
    }
};

ImagePredictor::ImagePredictor(const std::filesystem::path &folder, const PredictorOptions &options)
    : mImpl(std::make_unique<Impl>())
{
    mImpl->options = options;
    if (options.threads > 0)
        setComputeThreads(options.threads);
    mImpl->device = resolveDevice(options.device);
    const std::string type = modelTypeOf(folder);
    if (type == "vit") {
        LoadedVit loaded = loadVit(folder);
        mImpl->vit = loaded.model;
        mImpl->processor = loaded.processor;
        mImpl->labels = mImpl->vit->config().id2label;
        mImpl->vit->to(mImpl->device);
    } else if (type == "resnet") {
        LoadedResNet loaded = loadResNet(folder);
        mImpl->resnet = loaded.model;
        mImpl->processor = loaded.processor;
        mImpl->labels = mImpl->resnet->config().id2label;
        mImpl->resnet->to(mImpl->device);
    } else {
        throw Error(ErrorKind::Incompatible, (folder / "config.json").string() + ": model_type '" + type
                                                 + "' is not an image classifier (supported: vit, resnet)");
    }
}

ImagePredictor::~ImagePredictor() = default;

bool ImagePredictor::handles(const std::filesystem::path &folder)
{
    std::error_code error;
    if (!std::filesystem::is_regular_file(folder / "config.json", error))
        return false;
    try {
        return isImageModelType(modelTypeOf(folder));
    } catch (const Error &) {
        return false; // the text predictor reports what is wrong with the folder
    }
}

const std::vector<std::string> &ImagePredictor::labelNames() const
{
    return mImpl->labels;
}

std::string ImagePredictor::deviceName() const
{
    return mImpl->device.str();
}

const ImageProcessorConfig &ImagePredictor::processor() const
{
    return mImpl->processor;
}

Predictions ImagePredictor::predict(const std::vector<RgbImage> &images, const PredictProgress &progress)
{
    std::vector<RgbImage> resized;
    resized.reserve(images.size());
    for (const RgbImage &image : images)
        resized.push_back(resizeForModel(image, mImpl->processor));
    return predictResized(resized, progress);
}

Predictions ImagePredictor::predictResized(const std::vector<RgbImage> &images, const PredictProgress &progress)
{
    const c10::NoGradGuard noGrad;
    Predictions out;
    out.numLabels = mImpl->labels.size();
    const std::size_t batch = std::max<std::size_t>(1, mImpl->options.batchSize);
    for (std::size_t start = 0; start < images.size(); start += batch) {
        std::vector<at::Tensor> pixels;
        for (std::size_t i = start; i < std::min(images.size(), start + batch); ++i) {
            PixelValues values = toPixelValues(images[i], mImpl->processor);
            pixels.push_back(at::from_blob(values.chw.data(), {1, 3, values.height, values.width}, at::kFloat).clone());
        }
        const at::Tensor logits = mImpl->logits(at::cat(pixels, 0).to(mImpl->device)).to(at::kCPU, at::kFloat);
        const at::Tensor probabilities = at::softmax(logits, -1).contiguous();
        const at::Tensor ids = logits.argmax(-1);
        for (std::int64_t r = 0; r < logits.size(0); ++r) {
            const std::int64_t id = ids[r].item<std::int64_t>();
            out.labelIds.push_back(id);
            out.labels.push_back(mImpl->labels.at(std::size_t(id)));
        }
        const at::Tensor flatLogits = logits.contiguous();
        out.logits.insert(out.logits.end(), flatLogits.data_ptr<float>(), flatLogits.data_ptr<float>() + flatLogits.numel());
        out.probabilities.insert(out.probabilities.end(), probabilities.data_ptr<float>(),
                                 probabilities.data_ptr<float>() + probabilities.numel());
        if (progress && !progress(out.size()))
            throw Error(ErrorKind::Cancelled, "prediction cancelled");
    }
    return out;
}

} // namespace ft
