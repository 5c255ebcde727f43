// tst_request_batcher.cpp: RequestBatcher on the golden checkpoint: requests
// from many threads share batches yet each gets exactly its own rows, as
// predicting them one by one gives; long requests span batches; a failing
// batch fails only its requests; stop() cancels what is queued. Also
// resolveModelFolder (ModelLocationTest), which `serve` and `predict` use.
#include "common/error.h"
#include "infer/model_location.h"
#include "infer/predictor.h"
#include "infer/request_batcher.h"
#include "tempproject.h"
#include "testhelpers.h"
#include "testregistry.h"

#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <chrono>
#include <cmath>
#include <future>
#include <latch>
#include <thread>

namespace fs = std::filesystem;
using namespace ft;
using namespace std::chrono_literals;

namespace {

const fs::path kGolden = fs::path(FT_SHARED_DIR) / "golden";

// Texts of many lengths, some with a pair ("" where none).
struct Corpus {
    std::vector<std::string> texts;
    std::vector<std::string> pairs;
};

Corpus corpus(std::size_t size)
{
    const std::vector<std::string> words = {"the", "kettle", "works", "perfectly", "awful", "players", "cafe",
                                            "world", "unaffable", "refund", "never", "again", "fine"};
    Corpus result;
    for (std::size_t i = 0; i < size; ++i) {
        std::string text = "row " + std::to_string(i);
        for (std::size_t w = 0; w < (i * 7) % 19; ++w)
            text += " " + words[(i + w * 3) % words.size()];
        result.texts.push_back(text);
        result.pairs.push_back(i % 4 == 3 ? "and " + words[i % words.size()] + " again?" : "");
    }
    return result;
}

Predictor loadGolden(std::size_t batchSize)
{
    PredictorOptions options;
    options.maxLength = 32;
    options.batchSize = batchSize;
    Predictor predictor;
    predictor.load(kGolden / "tiny-bert-uncased", options);
    return predictor;
}

// Predictions of rows [begin, begin + count) of the corpus, one text per forward pass.
Predictions oneByOne(const Predictor &predictor, const Corpus &texts, std::size_t begin, std::size_t count)
{
    Predictions all;
    for (std::size_t r = begin; r < begin + count; ++r) {
        const std::string_view text = texts.texts[r];
        const std::string_view pair = texts.pairs[r];
        const Predictions one = predictor.predict({&text, 1}, {&pair, 1});
        all.numLabels = one.numLabels;
        all.labelIds.push_back(one.labelIds[0]);
        all.labels.push_back(one.labels[0]);
        all.probabilities.insert(all.probabilities.end(), one.probabilities.begin(), one.probabilities.end());
        all.logits.insert(all.logits.end(), one.logits.begin(), one.logits.end());
    }
    return all;
}

// Empty when equal (labels exactly, scores within float rounding); else what differs.
QString difference(const Predictions &got, const Predictions &want)
{
    if (got.size() != want.size() || got.numLabels != want.numLabels)
        return QStringLiteral("%1 rows of %2 labels, expected %3 of %4")
            .arg(got.size()).arg(got.numLabels).arg(want.size()).arg(want.numLabels);
    for (std::size_t r = 0; r < got.size(); ++r) {
        if (got.labelIds[r] != want.labelIds[r] || got.labels[r] != want.labels[r])
            return QStringLiteral("row %1: label %2, expected %3").arg(r).arg(got.labelIds[r]).arg(want.labelIds[r]);
        for (std::size_t c = 0; c < got.numLabels; ++c) {
            const std::size_t i = r * got.numLabels + c;
            if (std::abs(got.logits[i] - want.logits[i]) > 1e-5f ||
                std::abs(got.probabilities[i] - want.probabilities[i]) > 1e-5f)
                return QStringLiteral("row %1 class %2: logit %3, expected %4").arg(r).arg(c).arg(got.logits[i]).arg(want.logits[i]);
        }
    }
    return {};
}

std::vector<std::string> slice(const std::vector<std::string> &all, std::size_t begin, std::size_t count)
{
    return {all.begin() + std::ptrdiff_t(begin), all.begin() + std::ptrdiff_t(begin + count)};
}

} // namespace

class RequestBatcherTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    // 16 threads, 5 requests each of 1 to 4 texts (some pairs), all at once:
    // every thread gets its own rows, equal to one-by-one prediction, and
    // rows of different requests shared batches.
    void manyThreadsGetTheirOwnRows()
    {
        const Predictor predictor = loadGolden(32);
        const std::size_t threads = 16, requestsPerThread = 5;
        struct Request {
            std::size_t begin = 0, count = 0;
        };
        std::vector<std::vector<Request>> plan(threads);
        std::size_t rows = 0;
        for (std::size_t t = 0; t < threads; ++t)
            for (std::size_t i = 0; i < requestsPerThread; ++i) {
                const std::size_t count = 1 + (t + i) % 4;
                plan[t].push_back({rows, count});
                rows += count;
            }
        const Corpus texts = corpus(rows);

        // The first batch takes a while, as a real model does under load, so the other requests queue meanwhile.
        std::atomic<int> calls{0};
        RequestBatcher batcher(
            [&](std::span<const std::string_view> t, std::span<const std::string_view> p) {
                if (calls++ == 0)
                    std::this_thread::sleep_for(50ms);
                return predictor.predict(t, p);
            },
            BatcherOptions{8, 5ms});
        std::vector<std::vector<Predictions>> results(threads);
        std::latch start{std::ptrdiff_t(threads)};
        std::vector<std::thread> workers;
        for (std::size_t t = 0; t < threads; ++t)
            workers.emplace_back([&, t] {
                start.arrive_and_wait();
                for (const Request &request : plan[t])
                    results[t].push_back(batcher.predict(slice(texts.texts, request.begin, request.count),
                                                         slice(texts.pairs, request.begin, request.count)));
            });
        for (std::thread &worker : workers)
            worker.join();

        for (std::size_t t = 0; t < threads; ++t)
            for (std::size_t i = 0; i < requestsPerThread; ++i) {
                const Request &request = plan[t][i];
                const QString diff = difference(results[t][i], oneByOne(predictor, texts, request.begin, request.count));
                QVERIFY2(diff.isEmpty(), qPrintable(QStringLiteral("thread %1 request %2: %3").arg(t).arg(i).arg(diff)));
            }
        const BatcherStats stats = batcher.stats();
        QCOMPARE(stats.requests, std::uint64_t(threads * requestsPerThread));
        QCOMPARE(stats.rows, std::uint64_t(rows));
        QVERIFY2(stats.largestBatch > 1 && stats.largestBatch <= 8, qPrintable(QString::number(stats.largestBatch)));
        QVERIFY2(stats.batches < stats.requests, qPrintable(QStringLiteral("%1 batches").arg(stats.batches)));
        QCOMPARE(stats.batches, std::uint64_t(calls.load()));
    }

    // A request longer than a batch spans several, in order; pairs and texts
    // alone may share a batch.
    void longRequestSpansBatches()
    {
        const Predictor predictor = loadGolden(32);
        const Corpus texts = corpus(21);
        RequestBatcher batcher(predictor, BatcherOptions{8, 1ms});
        const Predictions got = batcher.predict(texts.texts, texts.pairs);
        const QString diff = difference(got, oneByOne(predictor, texts, 0, 21));
        QVERIFY2(diff.isEmpty(), qPrintable(diff));
        QCOMPARE(batcher.stats().batches, std::uint64_t(3));
        QCOMPARE(batcher.stats().largestBatch, std::uint64_t(8));
        QCOMPARE(batcher.predict({}).size(), std::size_t(0));
    }

    // An error of the batch function reaches the requests of that batch
    // only, rows of theirs still queued are dropped, and the batcher goes on.
    void failingBatchFailsItsRequests()
    {
        std::atomic<int> calls{0};
        RequestBatcher batcher(
            [&](std::span<const std::string_view> texts, std::span<const std::string_view>) {
                ++calls;
                for (const std::string_view text : texts)
                    if (text == "boom")
                        throw Error(ErrorKind::InvalidInput, "cannot predict 'boom'");
                Predictions out;
                out.numLabels = 1;
                for (std::size_t r = 0; r < texts.size(); ++r) {
                    out.labelIds.push_back(std::int64_t(texts[r].size()));
                    out.labels.push_back(std::string(texts[r]));
                    out.probabilities.push_back(1.0f);
                    out.logits.push_back(float(r));
                }
                return out;
            },
            BatcherOptions{2, 0ms});
        FT_VERIFY_ERROR(batcher.predict({"fine", "boom", "never", "reached"}), ErrorKind::InvalidInput, "boom");
        QCOMPARE(calls.load(), 1);
        const Predictions after = batcher.predict({"a", "bcd", "ef"});
        QCOMPARE(after.labels, (std::vector<std::string>{"a", "bcd", "ef"}));
        QCOMPARE(after.labelIds, (std::vector<std::int64_t>{1, 3, 2}));
        QCOMPARE(batcher.stats().requests, std::uint64_t(2));
    }

    // stop(): the running batch completes, but requests with rows still
    // queued, partly predicted ones too, and later ones fail with Cancelled.
    void stopCancelsWhatIsQueued()
    {
        std::promise<void> entered;
        std::promise<void> release;
        std::shared_future<void> released = release.get_future().share();
        std::atomic<int> calls{0};
        RequestBatcher batcher(
            [&](std::span<const std::string_view> texts, std::span<const std::string_view>) {
                if (calls++ == 0) {
                    entered.set_value();
                    released.wait();
                }
                Predictions out;
                out.numLabels = 1;
                out.labelIds.assign(texts.size(), 0);
                out.labels.assign(texts.size(), "x");
                out.probabilities.assign(texts.size(), 1.0f);
                out.logits.assign(texts.size(), 0.0f);
                return out;
            },
            BatcherOptions{2, 0ms});
        // Two of its three rows run in the first batch; the third is still queued at the stop.
        auto partly = std::async(std::launch::async, [&] { return batcher.predict({"a", "b", "c"}); });
        entered.get_future().wait();
        auto queued = std::async(std::launch::async, [&] { return batcher.predict({"d"}); });
        std::this_thread::sleep_for(50ms);
        batcher.stop();
        release.set_value();
        FT_VERIFY_ERROR(partly.get(), ErrorKind::Cancelled, "stopping");
        FT_VERIFY_ERROR(queued.get(), ErrorKind::Cancelled, "stopping");
        FT_VERIFY_ERROR(batcher.predict({"c"}), ErrorKind::Cancelled, "stopping");
        QCOMPARE(calls.load(), 1);
    }
};

class ModelLocationTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void resolvesModelAndRunFolders()
    {
        QCOMPARE(resolveModelFolder(kGolden / "tiny-bert-uncased"), kGolden / "tiny-bert-uncased");
        QTemporaryDir dir;
        const fs::path root = test::toPath(dir.path());
        const fs::path run = root / "project" / "runs" / "3";
        fs::create_directories(run / "model");
        test::writeBytes(run / "model" / "config.json", "{}");
        QCOMPARE(resolveModelFolder(run), run / "model");
        QCOMPARE(resolveModelFolder(run / "model"), run / "model");
    }

    void refusesWhatHoldsNoModel()
    {
        QTemporaryDir dir;
        const fs::path root = test::toPath(dir.path());
        FT_VERIFY_ERROR(resolveModelFolder(root / "missing"), ErrorKind::NotFound, "missing", "config.json");
        test::writeBytes(root / "file.txt", "x");
        FT_VERIFY_ERROR(resolveModelFolder(root / "file.txt"), ErrorKind::InvalidInput, "file.txt", "config.json");
        fs::create_directories(root / "empty");
        FT_VERIFY_ERROR(resolveModelFolder(root / "empty"), ErrorKind::NotFound, "empty", "config.json", "runs/N");
        // A run that has not finished: checkpoints, no model/ yet.
        const fs::path run = root / "project" / "runs" / "2";
        fs::create_directories(run / "checkpoint-4");
        FT_VERIFY_ERROR(resolveModelFolder(run), ErrorKind::NotFound, "runs/2", "completed");
    }
};

FT_REGISTER_TEST(RequestBatcherTest);
FT_REGISTER_TEST(ModelLocationTest);

#include "tst_request_batcher.moc"
