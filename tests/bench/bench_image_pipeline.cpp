// bench_image_pipeline.cpp: images/s of the image input pipeline alone
// (train/image_split_batches: decode, reduce, augment, normalise on worker
// threads), of bare training steps (forward, backward, AdamW on random pixels
// already in memory) and of the trainer itself on the same images (the
// pipeline feeding the steps), for a scratch ResNet and ViT at the same batch
// and image size. The pipeline is not the bottleneck while it delivers more
// images/s than a step consumes, and then the trainer runs at the bare
// steps' rate. Pipeline: epoch 1 decodes every image (cold), epoch 2 reads
// the decoded-image cache (warm). A benchmark, not a test; the last line is
// JSON.
#include "data/dataset_import.h"
#include "models/resnet_model.h"
#include "models/vit_model.h"
#include "store/project.h"
#include "system/compute_threads.h"
#include "train/adamw.h"
#include "train/image_split_batches.h"
#include "train/run_inputs.h"
#include "train/trainer.h"
#include "vision/image_processor.h"

#include <ATen/ATen.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

namespace fs = std::filesystem;

namespace {

double seconds(std::chrono::steady_clock::time_point since)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// One epoch through the pipeline as the trainer drives it (the next batch
// requested while this one is taken): images/s.
double epoch(ft::SplitBatches &split, int batch, std::int64_t epochIndex)
{
    std::vector<std::vector<std::int64_t>> batches;
    for (std::int64_t start = 0; start < split.size(); start += batch) {
        std::vector<std::int64_t> rows;
        for (std::int64_t i = start; i < std::min(split.size(), start + batch); ++i)
            rows.push_back(i);
        batches.push_back(rows);
    }
    const auto start = std::chrono::steady_clock::now();
    std::int64_t seen = 0;
    for (std::size_t b = 0; b < batches.size(); ++b) {
        if (b + 1 < batches.size())
            split.prefetch(batches[b + 1], epochIndex);
        seen += split.batch(batches[b], epochIndex, c10::Device(c10::kCPU)).size();
    }
    return double(seen) / seconds(start);
}

// Null progress: the trainer reports to the terminal otherwise.
class QuietSink : public ft::ProgressSink {
public:
    void metric(const ft::MetricPoint &) override {}
    void progress(const ft::TrainingProgress &) override {}
    void log(ft::LogLevel, const std::string &) override {}
    void stateChanged(ft::RunState, const std::string &) override {}
};

// The trainer on the image folder (imported into a scratch project) with a
// scratch model of `config`: its images/s over `steps` steps after the first.
double trainerRate(const fs::path &project, const nlohmann::json &config, int size, int batch, int steps, int threads)
{
    const fs::path folder = project / ("model-" + config["model_type"].get<std::string>());
    fs::create_directories(folder);
    std::ofstream(folder / "config.json") << config.dump();
    std::ofstream(folder / "preprocessor_config.json")
        << nlohmann::json{{"image_processor_type", "ViTImageProcessor"}, {"size", {{"height", size}, {"width", size}}},
                          {"image_mean", {0.485, 0.456, 0.406}}, {"image_std", {0.229, 0.224, 0.225}}}
               .dump();
    ft::TrainingRequest request;
    request.project = project;
    request.dataset = "images";
    request.model = ft::kScratchModelPrefix + (folder / "config.json").string();
    request.config.maxSteps = steps + 1;
    request.config.perDeviceTrainBatchSize = batch;
    request.config.evalStrategy = ft::EvalStrategy::No;
    request.config.saveSteps = 1000;
    request.config.threads = threads;
    request.config.imageColorJitter = 0.2;
    QuietSink sink;
    ft::RunControl control;
    return ft::train(request, sink, control).samplesPerSecond;
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
    app.add_option("--threads", threads, "cores: pipeline threads alone; all but one compute the steps with the pipeline beside them");
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

    // What training does (train/image_split_batches.h): decode once into the cache, then
    // RandomResizedCrop, flip, colour jitter 0.2 and normalisation on `threads` workers.
    ft::ImageSplitOptions options;
    options.processor.height = options.processor.width = size;
    options.processor.mean = {0.485f, 0.456f, 0.406f};
    options.processor.std = {0.229f, 0.224f, 0.225f};
    ft::AugmentOptions augment;
    augment.colourJitter = 0.2;
    options.augment = augment;
    options.cacheBytes = 4ull << 30;

    nlohmann::json result{{"images", files.size()}, {"batch", batch}, {"size", size}, {"threads", threads}};
    const auto decodeStart = std::chrono::steady_clock::now();
    for (const fs::path &file : files)
        (void)ft::readRgbImage(file);
    result["decode_only_images_per_s"] = double(files.size()) / seconds(decodeStart);
    for (const int t : {1, threads}) {
        options.threads = t;
        ft::ImageSplitBatches split(files, std::vector<std::int64_t>(files.size(), 0), options);
        const double cold = epoch(split, batch, 0);
        const double warm = epoch(split, batch, 1);
        result["pipeline_threads_" + std::to_string(t)] = {{"cold_images_per_s", cold}, {"warm_images_per_s", warm}};
        std::printf("pipeline, %d thread(s): cold %.1f images/s, warm %.1f images/s\n", t, cold, warm);
        if (t == threads)
            break;
    }

    // Bare steps on the cores the trainer gives the computation: all but one.
    const int computeThreads = std::max(1, threads - 1);
    result["compute_threads"] = computeThreads;
    ft::setComputeThreads(computeThreads);
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
    std::printf("bare training steps: ResNet-18 shape %.1f images/s, ViT-Tiny shape %.1f images/s\n", resnetRate,
                vitRate);
    result["train_resnet18_images_per_s"] = resnetRate;
    result["train_vit_tiny_images_per_s"] = vitRate;

    // The trainer: the same models from scratch, fed by the pipeline, with as
    // many compute threads as the bare steps had; the pipeline takes the rest.
    const fs::path project = fs::temp_directory_path() / ("bench-image-trainer-" + std::to_string(::getpid()));
    {
        ft::Project created = ft::Project::create(project);
        ft::ImportOptions import;
        import.file = folder;
        import.datasetName = "images";
        ft::importDataset(created, import);
    }
    const double resnetTrainer = trainerRate(
        project, {{"model_type", "resnet"}, {"embedding_size", 64}, {"hidden_sizes", {64, 128, 256, 512}},
                  {"depths", {2, 2, 2, 2}}, {"layer_type", "basic"}},
        size, batch, steps, computeThreads);
    const double vitTrainer = trainerRate(
        project, {{"model_type", "vit"}, {"image_size", size}, {"patch_size", 16}, {"hidden_size", 192},
                  {"num_hidden_layers", 12}, {"num_attention_heads", 3}, {"intermediate_size", 768}},
        size, batch, steps, computeThreads);
    fs::remove_all(project);
    std::printf("trainer (pipeline + steps): ResNet-18 shape %.1f images/s, ViT-Tiny shape %.1f images/s\n",
                resnetTrainer, vitTrainer);
    result["trainer_resnet18_images_per_s"] = resnetTrainer;
    result["trainer_vit_tiny_images_per_s"] = vitTrainer;
    std::cout << result.dump() << std::endl;
    return 0;
}
