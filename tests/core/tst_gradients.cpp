// tst_gradients.cpp: how one optimiser step's gradients are made: chunked
// micro-batches give the whole batches' gradient (with and without class
// weights), so do data-parallel workers' slices summed during backward,
// out-of-memory errors shrink the chunks and redo the step, and fp16 loss
// scaling follows torch.cuda.amp.GradScaler's policy.
#include "common/error.h"
#include "data/sample_dataset.h"
#include "models/bert_classifier.h"
#include "models/checkpoint.h"
#include "testhelpers.h"
#include "testregistry.h"
#include "text/tokenizer.h"
#include "train/adamw.h"
#include "train/distributed.h"
#include "train/gradient_buckets.h"
#include "train/encoded_split.h"
#include "train/gradient_accumulator.h"
#include "train/loss_scaler.h"
#include "train/token_batches.h"
#include "train/train_step.h"

#include <ATen/ATen.h>
#include <c10/util/Exception.h>

#include <QTest>

#include <array>
#include <cmath>
#include <set>
#include <thread>

namespace fs = std::filesystem;
using namespace ft;

namespace {

const fs::path kTinyModel = fs::path(FT_SHARED_DIR) / "golden" / "tiny-bert-uncased";

struct Fixture {
    LoadedBert loaded = loadBert(kTinyModel);
    BertClassifier classifier{loaded.model};
    std::unique_ptr<AdamW> optimizer;
    std::unique_ptr<TokenBatches> split;

    Fixture()
    {
        loaded.model->eval(); // no dropout: gradients depend on the rows alone
        std::vector<AdamW::NamedParameter> parameters;
        for (const auto &item : loaded.model->named_parameters())
            parameters.emplace_back(item.key(), item.value());
        optimizer = std::make_unique<AdamW>(parameters, AdamWOptions{});
        const Tokenizer tokenizer = Tokenizer::fromFolder(kTinyModel);
        const auto examples = generateSampleReviews(40, 3);
        split = std::make_unique<TokenBatches>(
            encodeSplit(tokenizer, examples, {{"negative", 0}, {"neutral", 1}, {"positive", 2}}, 32), tokenizer.padId(), 0);
    }

    // The flat gradient of every parameter, after accumulating `batches`.
    at::Tensor gradients(GradientAccumulatorOptions options, const std::vector<std::vector<std::int64_t>> &batches,
                         double lossScale = 1.0, AccumulatedGradients *result = nullptr)
    {
        optimizer->zeroGrad();
        GradientAccumulator accumulator(*split, std::move(options));
        const AccumulatedGradients r = accumulator.accumulate(classifier, *optimizer, batches, lossScale);
        if (result)
            *result = r;
        std::vector<at::Tensor> flat;
        for (const auto &parameter : loaded.model->parameters())
            flat.push_back(parameter.grad().flatten().clone());
        return at::cat(flat);
    }
};

// Equal up to rounding, measured against the largest gradient: some (the
// attention key biases) are mathematically zero, so relative checks per
// element would compare rounding noise.
bool sameGradients(const at::Tensor &actual, const at::Tensor &expected)
{
    return (actual - expected).abs().max().item<double>() <= 1e-5 * expected.abs().max().item<double>();
}

const std::vector<std::vector<std::int64_t>> kBatches{{0, 5, 9, 12, 3, 17, 21, 30}, {1, 2, 33, 8, 6, 7, 4, 39}};

void throwOutOfMemory()
{
    throw c10::OutOfMemoryError({__func__, __FILE__, static_cast<std::uint32_t>(__LINE__)},
                                "CUDA out of memory. Tried to allocate 2.00 GiB (simulated)");
}

} // namespace

class GradientAccumulationTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void fixtureHasThreeClasses()
    {
        Fixture f;
        QCOMPARE(f.split->size(), std::int64_t{40});
        QCOMPARE(std::set<std::int64_t>(f.split->labels().begin(), f.split->labels().end()).size(), size_t{3});
    }

    void chunksGiveTheWholeBatchGradient_data()
    {
        QTest::addColumn<bool>("classWeights");
        QTest::newRow("plain") << false;
        QTest::newRow("class weights") << true;
    }
    void chunksGiveTheWholeBatchGradient()
    {
        QFETCH(bool, classWeights);
        Fixture f;
        GradientAccumulatorOptions options;
        if (classWeights)
            options.classWeights = at::tensor({0.5f, 3.0f, 1.25f});
        AccumulatedGradients whole;
        const at::Tensor expected = f.gradients(options, kBatches, 1.0, &whole);
        for (const std::int64_t rows : {1, 3, 4}) {
            options.microBatchRows = rows;
            AccumulatedGradients chunked;
            const at::Tensor actual = f.gradients(options, kBatches, 1.0, &chunked);
            QVERIFY2(sameGradients(actual, expected), qPrintable(QStringLiteral("chunks of %1").arg(rows)));
            QVERIFY(std::abs(chunked.loss - whole.loss) < 1e-5);
            QCOMPARE(chunked.samples, std::int64_t{16});
        }
        QVERIFY(expected.abs().sum().item<double>() > 0);
    }

    // Data-parallel: the workers' slices, their gradients and losses summed, give the whole batches'.
    void workerSlicesSumToTheWholeBatchGradient_data() { chunksGiveTheWholeBatchGradient_data(); }
    void workerSlicesSumToTheWholeBatchGradient()
    {
        QFETCH(bool, classWeights);
        Fixture f;
        GradientAccumulatorOptions options;
        if (classWeights)
            options.classWeights = at::tensor({0.5f, 3.0f, 1.25f});
        AccumulatedGradients whole;
        const at::Tensor expected = f.gradients(options, kBatches, 1.0, &whole);
        for (const int workers : {2, 3, 16}) {
            at::Tensor sum = at::zeros_like(expected);
            double loss = 0;
            std::int64_t samples = 0;
            for (int rank = 0; rank < workers; ++rank) {
                options.rank = rank;
                options.worldSize = workers;
                AccumulatedGradients part;
                sum += f.gradients(options, kBatches, 1.0, &part);
                loss += part.loss;
                samples += part.samples;
            }
            QVERIFY2(sameGradients(sum, expected), qPrintable(QStringLiteral("%1 workers").arg(workers)));
            QVERIFY(std::abs(loss - whole.loss) < 1e-5);
            QCOMPARE(samples, std::int64_t{16});
        }
        // The slices partition a batch, as evenly as its rows allow.
        const std::vector<std::int64_t> batch{5, 6, 7, 8, 9};
        std::vector<std::int64_t> joined;
        for (int rank = 0; rank < 3; ++rank) {
            const auto slice = workerSlice(batch, rank, 3);
            QVERIFY(slice.size() == 1 || slice.size() == 2);
            joined.insert(joined.end(), slice.begin(), slice.end());
        }
        QCOMPARE(joined, batch);
    }

    // Two workers (threads here, each with its own model and Gloo process
    // group on loopback) whose gradients are summed in buckets during the
    // last backward pass: each ends with the whole batches' gradient, and
    // most buckets started before backward was over. Rank 0 runs out of
    // memory once at its last chunk (armed, nothing sent yet) and redoes
    // the step alone.
    void workerSumsDuringBackwardGiveTheWholeBatchGradient()
    {
        Fixture reference;
        const at::Tensor expected = reference.gradients({}, kBatches);
        DistributedSetup setup;
        setup.worldSize = 2;
        setup.masterPort = freeLoopbackPort();
        setup.timeout = std::chrono::seconds(60);
        std::array<at::Tensor, 2> sums;
        std::array<int, 2> buckets{}, early{};
        std::array<std::vector<std::int64_t>, 2> shrunk;
        std::array<std::string, 2> errors;
        auto worker = [&](int rank) {
            try {
                Fixture f;
                DistributedSetup mine = setup;
                mine.rank = rank;
                ProcessGroup group(mine);
                GradientBuckets workerSums(group, *f.optimizer, 48 << 10, 8 << 10);
                GradientAccumulatorOptions options;
                options.rank = rank;
                options.worldSize = 2;
                options.microBatchRows = 3;
                options.workerSums = &workerSums;
                int chunks = 0;
                if (rank == 0)
                    options.beforeChunk = [&](std::int64_t) {
                        if (++chunks == 4) // batch 2's second chunk: the last of rank 0's slice
                            throwOutOfMemory();
                    };
                options.onShrink = [&](std::int64_t rows) { shrunk[rank].push_back(rows); };
                sums[rank] = f.gradients(options, kBatches);
                buckets[rank] = workerSums.bucketCount();
                early[rank] = workerSums.startedDuringBackward();
            } catch (const std::exception &e) {
                errors[rank] = e.what();
            }
        };
        std::thread other(worker, 1);
        worker(0);
        other.join();
        QVERIFY2(errors[0].empty() && errors[1].empty(), (errors[0] + " / " + errors[1]).c_str());
        QVERIFY(sameGradients(sums[0], expected));
        QVERIFY(sameGradients(sums[1], expected));
        QCOMPARE(shrunk[0], std::vector<std::int64_t>{1});
        QVERIFY(shrunk[1].empty());
        QCOMPARE(buckets[0], buckets[1]);
        QVERIFY2(buckets[0] >= 4, qPrintable(QString::number(buckets[0])));
        for (const int started : early)
            QVERIFY2(started >= buckets[0] / 2, qPrintable(QStringLiteral("%1 of %2").arg(started).arg(buckets[0])));
    }

    // scikit-learn's compute_class_weight("balanced"): n / (classes x count); 0 for an absent class.
    void balancedClassWeights()
    {
        const at::Tensor weights = ft::balancedClassWeights({0, 0, 0, 1, 0, 1}, 3);
        QCOMPARE(weights.size(0), std::int64_t{3});
        QVERIFY(std::abs(weights[0].item<double>() - 6.0 / (3 * 4)) < 1e-6);
        QVERIFY(std::abs(weights[1].item<double>() - 6.0 / (3 * 2)) < 1e-6);
        QCOMPARE(weights[2].item<double>(), 0.0);
    }

    void lossScaleScalesTheGradients()
    {
        Fixture f;
        AccumulatedGradients plain;
        AccumulatedGradients scaled;
        const at::Tensor one = f.gradients({}, kBatches, 1.0, &plain);
        const at::Tensor big = f.gradients({}, kBatches, 1024.0, &scaled);
        QVERIFY(sameGradients(big / 1024.0, one));
        QCOMPARE(scaled.loss, plain.loss); // the loss is reported unscaled
    }

    void outOfMemoryHalvesTheChunksAndRedoesTheStep()
    {
        Fixture f;
        const at::Tensor expected = f.gradients({}, kBatches);
        std::vector<std::int64_t> shrunkTo;
        std::vector<std::int64_t> tried;
        GradientAccumulatorOptions options;
        options.beforeChunk = [&](std::int64_t rows) {
            tried.push_back(rows);
            if (rows > 3)
                throwOutOfMemory();
        };
        options.onShrink = [&](std::int64_t rows) { shrunkTo.push_back(rows); };
        f.optimizer->zeroGrad();
        GradientAccumulator accumulator(*f.split, options);
        accumulator.accumulate(f.classifier, *f.optimizer, kBatches, 1.0);
        QCOMPARE(shrunkTo, (std::vector<std::int64_t>{4, 2}));
        QCOMPARE(accumulator.microBatchRows(), std::int64_t{2});
        QCOMPARE(tried.front(), std::int64_t{8});
        std::vector<at::Tensor> flat;
        for (const auto &parameter : f.loaded.model->parameters())
            flat.push_back(parameter.grad().flatten());
        // Nothing of the failed attempts is left in the gradients.
        QVERIFY(sameGradients(at::cat(flat), expected));
    }

    void outOfMemoryAtOneRowIsReported()
    {
        Fixture f;
        GradientAccumulatorOptions options;
        options.beforeChunk = [](std::int64_t) { throwOutOfMemory(); };
        TokenBatches padded(f.split->split(), 0, 32);
        GradientAccumulator accumulator(padded, options);
        FT_VERIFY_ERROR(accumulator.accumulate(f.classifier, *f.optimizer, kBatches, 1.0), ErrorKind::Incompatible,
                        QStringLiteral("out of memory on cpu even with one example per micro-batch at 32 tokens"));
    }

    void otherErrorsPassThrough()
    {
        Fixture f;
        GradientAccumulatorOptions options;
        options.beforeChunk = [](std::int64_t) { throw std::runtime_error("disk on fire"); };
        GradientAccumulator accumulator(*f.split, options);
        QVERIFY_THROWS_EXCEPTION(std::runtime_error, accumulator.accumulate(f.classifier, *f.optimizer, kBatches, 1.0));
        QCOMPARE(accumulator.microBatchRows(), std::int64_t{0});
    }

    void lossScalerFollowsGradScaler()
    {
        LossScaler off(false);
        QCOMPARE(off.scale(), 1.0);
        QVERIFY(off.update(false)); // disabled: never skips

        LossScaler scaler(true);
        QCOMPARE(scaler.scale(), 65536.0);
        QVERIFY(!scaler.update(false)); // overflow: skip, back off
        QCOMPARE(scaler.scale(), 32768.0);
        QVERIFY(!scaler.update(false));
        QCOMPARE(scaler.state().skippedInARow, std::int64_t{2});
        for (std::int64_t i = 1; i < LossScaler::kGrowthInterval; ++i)
            QVERIFY(scaler.update(true));
        QCOMPARE(scaler.state().skippedInARow, std::int64_t{0});
        QCOMPARE(scaler.scale(), 16384.0);
        QVERIFY(scaler.update(true)); // the 2000th clean step in a row grows the scale
        QCOMPARE(scaler.scale(), 32768.0);
        QCOMPARE(scaler.state().growthTracker, std::int64_t{0});

        const LossScaler restored(true, scaler.state()); // from a checkpoint
        QCOMPARE(restored.scale(), 32768.0);
    }
};

FT_REGISTER_TEST(GradientAccumulationTest);

#include "tst_gradients.moc"
