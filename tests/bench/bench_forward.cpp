// bench_forward.cpp: inference throughput of a bert-base-shaped model with
// random HF-style weights (eval mode, no grad), the C++ half of
// run_forward_bench.sh. Prints sequences/s; the last line is JSON.
#include "models/bert_model.h"
#include "system/compute_threads.h"

#include <ATen/ATen.h>
#include <CLI/CLI.hpp>
#include <c10/core/GradMode.h>

#include <chrono>
#include <cstdio>

int main(int argc, char **argv)
{
    int threads = 0;
    int batch = 32;
    int length = 128;
    int warmup = 1;
    int iterations = 3;
    std::uint64_t seed = 0;
    CLI::App app("Forward-pass throughput of a bert-base-shaped BertForSequenceClassification");
    app.add_option("--threads", threads, "LibTorch and OpenBLAS threads (0: leave as they are)");
    app.add_option("--batch", batch, "sequences per forward pass");
    app.add_option("--length", length, "tokens per sequence");
    app.add_option("--warmup", warmup, "untimed passes first");
    app.add_option("--iters", iterations, "timed passes");
    app.add_option("--seed", seed, "weight and input seed");
    CLI11_PARSE(app, argc, argv);

    if (threads > 0)
        ft::setComputeThreads(threads);
    ft::BertConfig config; // HF's BertConfig defaults are bert-base: 768 x 12 layers x 12 heads, 3072, vocab 30522
    config.setLabels({"LABEL_0", "LABEL_1"});
    ft::BertForSequenceClassification model = ft::makeScratchBert(config, seed);
    model->eval();

    at::manual_seed(seed);
    const at::Tensor ids = at::randint(1, config.vocabSize, {batch, length}, at::kLong);
    const at::Tensor mask = at::ones({batch, length}, at::kLong);
    const at::Tensor types = at::zeros({batch, length}, at::kLong);

    c10::NoGradGuard noGrad;
    for (int i = 0; i < warmup; ++i)
        model->forward(ids, mask, types);
    const auto start = std::chrono::steady_clock::now();
    double checksum = 0.0;
    for (int i = 0; i < iterations; ++i)
        checksum += model->forward(ids, mask, types).logits.sum().item<double>();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double rate = double(batch) * iterations / seconds;

    std::printf("ours (LibTorch C++): %.2f sequences/s, %.3f s per pass (batch %d, length %d, %d passes, "
                "%d threads, checksum %.4f)\n",
                rate, seconds / iterations, batch, length, iterations, ft::computeThreads(), checksum);
    std::printf("{\"sequences_per_s\": %.4f, \"seconds_per_pass\": %.4f, \"threads\": %d}\n", rate,
                seconds / iterations, ft::computeThreads());
    return 0;
}
