// bench_image_pipeline.cpp: images/s of the image input pipeline alone
// (decode, reduce, augment, normalise on background threads, vision/) and of
// training steps alone (forward, backward, AdamW on random pixels) for a
// scratch ResNet and ViT, at the same batch and image size, so the two can
// be compared: the pipeline is not the bottleneck while it delivers more
// images/s than a training step consumes. Pipeline: epoch 1 decodes every
// image (cold), epoch 2 reads the decoded-image cache (warm). A benchmark,
// not a test; the last line is JSON.
#include "models/resnet_model.h"
#include "models/vit_model.h"
#include "system/compute_threads.h"
#include "train/adamw.h"
#include "vision/augment.h"
#include "vision/image_batches.h"
#include "vision/image_cache.h"
#include "vision/image_processor.h"

#include <ATen/ATen.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>

namespace fs = std::filesystem;

namespace {

double seconds(std::chrono::steady_clock::time_point since)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// One epoch through the loader: images/s.
double epoch(ft::ImageCache &cache, const ft::PrepareImage &prepare, std::size_t images, int batch, int threads)
{
    std::vector<std::vector<std::int64_t>> batches;
    for (std::size_t start = 0; start < images; start += std::size_t(batch)) {
        std::vector<std::int64_t> rows;
        for (std::size_t i = start; i < std::min(images, start + std::size_t(batch)); ++i)
            rows.push_back(std::int64_t(i));
        batches.push_back(rows);
    }
    const auto start = std::chrono::steady_clock::now();
    ft::ImageBatchLoader loader(cache, prepare, batches, std::vector<std::int64_t>(images, 0), threads);
    std::size_t seen = 0;
    while (auto b = loader.next())
        seen += std::size_t(b->count);
    return double(seen) / seconds(start);
}

// Training steps on random pixels: images/s over `steps` after one warm-up step.
template <typename Model, typename Forward>
double trainSteps(Model &model, Forward forward, int batch, int size, int steps)
{
    model->train();
    std::vector<ft::AdamW::NamedParameter> parameters;
    for (const auto &item : model->named_parameters())
        parameters.emplace_back(item.key(), item.value());
    ft::AdamW optimizer(parameters, ft::AdamWOptions{});
    const at::Tensor pixels = at::randn({batch, 3, size, size});
    const at::Tensor labels = at::randint(0, 2, {batch}, at::kLong);
    std::chrono::steady_clock::time_point start;
    for (int step = 0; step <= steps; ++step) {
        if (step == 1)
            start = std::chrono::steady_clock::now();
        optimizer.zeroGrad();
        at::cross_entropy_loss(forward(model, pixels), labels).backward();
        optimizer.step(1e-4);
    }
    return double(batch) * steps / seconds(start);
}

} // namespace

int main(int argc, char **argv)
{
    std::string folder = std::string(FT_SHARED_DIR) + "/data/hymenoptera_subset/train";
    int threads = 2, batch = 16, size = 224, steps = 3;
    CLI::App app("Images/s of the image input pipeline against training steps");
    app.add_option("--images", folder, "a folder of class folders of images");
    app.add_option("--threads", threads, "pipeline threads, and compute threads for the training steps");
    app.add_option("--batch", batch, "images per batch");
    app.add_option("--size", size, "model input size (square)");
    app.add_option("--steps", steps, "timed training steps per model");
    CLI11_PARSE(app, argc, argv);

    std::vector<fs::path> files;
    for (const auto &entry : fs::recursive_directory_iterator(folder))
        if (entry.is_regular_file())
            files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    if (files.empty()) {
        std::cerr << "no images under " << folder << "\n";
        return 1;
    }

    // What training does: decode once and keep the image with its shorter side
    // at 1.15 x the input size (never enlarged), then crop, flip and jitter.
    const int cacheEdge = int(size * 1.15);
    const auto reduce = [&](std::int64_t example) {
        ft::RgbImage image = ft::readRgbImage(files[std::size_t(example)]);
        const int shorter = std::min(image.width, image.height);
        if (shorter <= cacheEdge)
            return image;
        const double f = double(cacheEdge) / shorter;
        return ft::resample(image, std::max(1, int(image.width * f)), std::max(1, int(image.height * f)),
                            ft::ResampleFilter::Bilinear);
    };
    ft::AugmentOptions augment;
    augment.colourJitter = 0.2;
    ft::ImageProcessorConfig normalise;
    normalise.mean = {0.485f, 0.456f, 0.406f};
    normalise.std = {0.229f, 0.224f, 0.225f};
    const ft::PrepareImage prepare = [&](const ft::RgbImage &image, std::int64_t example) {
        return ft::toPixelValues(ft::augmentImage(image, size, size, augment, ft::augmentSeed(42, 0, example)),
                                 normalise);
    };

    nlohmann::json result{{"images", files.size()}, {"batch", batch}, {"size", size}, {"threads", threads}};
    const auto decodeStart = std::chrono::steady_clock::now();
    for (const fs::path &file : files)
        (void)ft::readRgbImage(file);
    result["decode_only_images_per_s"] = double(files.size()) / seconds(decodeStart);
    for (const int t : {1, threads}) {
        ft::ImageCache cache(reduce, 4ull << 30);
        const double cold = epoch(cache, prepare, files.size(), batch, t);
        const double warm = epoch(cache, prepare, files.size(), batch, t);
        result["pipeline_threads_" + std::to_string(t)] = {{"cold_images_per_s", cold}, {"warm_images_per_s", warm}};
        std::printf("pipeline, %d thread(s): cold %.1f images/s, warm %.1f images/s\n", t, cold, warm);
        if (t == threads)
            break;
    }

    ft::setComputeThreads(threads);
    ft::ResNetConfig resnet; // ResNet-18's shape
    resnet.bottleneck = false;
    resnet.hiddenSizes = {64, 128, 256, 512};
    resnet.depths = {2, 2, 2, 2};
    resnet.id2label = {"a", "b"};
    ft::ResNetForImageClassification resnetModel(resnet);
    resnetModel->initWeights(1);
    const double resnetRate = trainSteps(
        resnetModel, [](auto &m, const at::Tensor &x) { return m->forward(x).logits; }, batch, size, steps);
    ft::VitConfig vit; // ViT-Tiny's shape
    vit.imageSize = size;
    vit.hiddenSize = 192;
    vit.numAttentionHeads = 3;
    vit.intermediateSize = 768;
    vit.id2label = {"a", "b"};
    ft::VitForImageClassification vitModel(vit);
    vitModel->initWeights(1);
    const double vitRate =
        trainSteps(vitModel, [](auto &m, const at::Tensor &x) { return m->forward(x).logits; }, batch, size, steps);
    std::printf("decode only: %.1f images/s\n", result["decode_only_images_per_s"].get<double>());
    std::printf("training steps: ResNet-18 shape %.1f images/s, ViT-Tiny shape %.1f images/s\n", resnetRate, vitRate);
    result["train_resnet18_images_per_s"] = resnetRate;
    result["train_vit_tiny_images_per_s"] = vitRate;
    std::cout << result.dump() << std::endl;
    return 0;
}
