// tst_metrics.cpp: classification metrics and sklearn's report against
// hand-computed and documented examples; learning-rate schedules against
// transformers' formulas and the golden training run; batch orders:
// determinism, length grouping and resuming.
#include "common/error.h"
#include "common/seeded_random.h"
#include "testregistry.h"
#include "train/batching.h"
#include "train/lr_schedule.h"
#include "train/metrics.h"
#include "train/throughput_meter.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>

using namespace ft;

namespace {

bool near(double a, double b, double tolerance = 1e-12)
{
    return std::abs(a - b) <= tolerance;
}

int codePoints(const QString &line)
{
    return int(line.toUcs4().size());
}

} // namespace

class MetricsTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    // scikit-learn's documented classification_report example.
    void sklearnExample()
    {
        const std::vector<std::int64_t> truth{0, 1, 2, 2, 2};
        const std::vector<std::int64_t> predicted{0, 0, 2, 2, 1};
        const ClassificationMetrics m = computeMetrics(predicted, truth, 3);
        QVERIFY(near(m.accuracy, 0.6));
        QVERIFY(near(m.perClass[0].precision, 0.5));
        QVERIFY(near(m.perClass[0].recall, 1.0));
        QVERIFY(near(m.perClass[0].f1, 2.0 / 3.0));
        QVERIFY(near(m.perClass[1].precision, 0.0));
        QVERIFY(near(m.perClass[2].recall, 2.0 / 3.0));
        QVERIFY(near(m.perClass[2].f1, 0.8));
        QCOMPARE(m.perClass[2].support, std::int64_t{3});
        QVERIFY(near(m.macro.precision, 0.5));
        QVERIFY(near(m.macro.recall, (1.0 + 0.0 + 2.0 / 3.0) / 3.0));
        QVERIFY(near(m.macro.f1, (2.0 / 3.0 + 0.0 + 0.8) / 3.0));
        QVERIFY(near(m.weighted.precision, 0.7));
        QVERIFY(near(m.weighted.recall, 0.6));
        QVERIFY(near(m.weighted.f1, (2.0 / 3.0 + 3 * 0.8) / 5.0));
        QCOMPARE(m.confusion, (std::vector<std::vector<std::int64_t>>{{1, 0, 0}, {1, 0, 0}, {0, 1, 2}}));
        QVERIFY(!m.anyUndefined());

        const std::vector<std::string> names{"class 0", "class 1", "class 2"};
        const std::string expected = "              precision    recall  f1-score   support\n"
                                     "\n"
                                     "     class 0       0.50      1.00      0.67         1\n"
                                     "     class 1       0.00      0.00      0.00         1\n"
                                     "     class 2       1.00      0.67      0.80         3\n"
                                     "\n"
                                     "    accuracy                           0.60         5\n"
                                     "   macro avg       0.50      0.56      0.49         5\n"
                                     "weighted avg       0.70      0.60      0.61         5\n";
        QCOMPARE(QString::fromStdString(classificationReport(m, names)), QString::fromStdString(expected));
    }

    // scikit-learn's precision_recall_fscore_support example (cat, dog, pig):
    // macro and weighted (0.22, 0.33, 0.27).
    void sklearnPrfExample()
    {
        const std::vector<std::int64_t> truth{0, 1, 2, 0, 1, 2};
        const std::vector<std::int64_t> predicted{0, 2, 1, 0, 0, 1};
        const ClassificationMetrics m = computeMetrics(predicted, truth, 3);
        QVERIFY(near(m.macro.precision, 2.0 / 9.0));
        QVERIFY(near(m.macro.recall, 1.0 / 3.0));
        QVERIFY(near(m.macro.f1, 4.0 / 15.0));
        QVERIFY(near(m.weighted.f1, 4.0 / 15.0));
        QVERIFY(near(m.accuracy, 1.0 / 3.0));
        QVERIFY(m.perClass[1].precisionUndefined == false); // predicted twice, never right
        QVERIFY(near(m.perClass[1].precision, 0.0));
    }

    void zeroDivisionIsZeroAndFlagged()
    {
        const std::vector<std::int64_t> truth{0, 0, 1};
        const std::vector<std::int64_t> predicted{0, 0, 0};
        const ClassificationMetrics m = computeMetrics(predicted, truth, 3);
        QVERIFY(m.perClass[1].precisionUndefined); // never predicted
        QVERIFY(!m.perClass[1].recallUndefined);
        QVERIFY(m.perClass[2].precisionUndefined && m.perClass[2].recallUndefined); // absent everywhere
        QCOMPARE(m.perClass[1].precision, 0.0);
        QCOMPARE(m.perClass[2].f1, 0.0);
        QVERIFY(m.anyUndefined());
        QVERIFY(near(m.perClass[0].precision, 2.0 / 3.0));
        QVERIFY(near(m.perClass[0].f1, 0.8));
        // Macro averages include the empty class, as sklearn with labels=range(3).
        QVERIFY(near(m.macro.f1, 0.8 / 3.0));
        QVERIFY(near(m.weighted.f1, 0.8 * 2.0 / 3.0));

        const ClassificationMetrics empty = computeMetrics({}, {}, 2);
        QCOMPARE(empty.accuracy, 0.0);
        QCOMPARE(empty.weighted.f1, 0.0);
    }

    void reportAlignsByCharacters()
    {
        const std::vector<std::int64_t> truth{0, 1, 1, 0};
        const std::vector<std::int64_t> predicted{0, 1, 0, 0};
        const ClassificationMetrics m = computeMetrics(predicted, truth, 2);
        const std::vector<std::string> names{"负面", "非常非常非常非常非常非常正面"}; // 14 characters
        const QString report = QString::fromStdString(classificationReport(m, names, 4));
        const QStringList lines = report.split('\n');
        QCOMPARE(lines.size(), 9); // header, blank, 2 classes, blank, 3 averages, "" after the last newline
        for (const int i : {0, 2, 3, 5, 6, 7})
            QCOMPARE(codePoints(lines[i]), 14 + 1 + 4 * 10);
        QVERIFY(lines[2].startsWith(QString(12, ' ') + QString::fromUtf8("负面")));
        QVERIFY(lines[3].contains("1.0000    0.5000    0.6667         2"));
        QVERIFY(lines[5].endsWith("0.7500         4"));
        // Without names, classes are numbered.
        QVERIFY(QString::fromStdString(classificationReport(m)).contains("\n           1       1.00      0.50"));
    }

    // Rates leave out the first (warm-up) step; ETA uses the measured step time.
    void throughputLeavesOutFirstStep()
    {
        using namespace std::chrono_literals;
        const auto t0 = ThroughputMeter::Clock::time_point{};
        ThroughputMeter meter;
        meter.start(t0);
        QCOMPARE(meter.samplesPerSecond(), 0.0);
        meter.stepDone(16, 400, t0 + 3s); // slow first step
        QCOMPARE(meter.firstStepSeconds(), 3.0);
        QCOMPARE(meter.samplesPerSecond(), 16.0 / 3.0); // one step: its own rate
        meter.stepDone(16, 300, t0 + 4s);
        meter.stepDone(8, 100, t0 + 5s); // a short last batch
        QCOMPARE(meter.steps(), std::int64_t{3});
        QCOMPARE(meter.samplesPerSecond(), 24.0 / 2.0);
        QCOMPARE(meter.tokensPerSecond(), 400.0 / 2.0);
        QCOMPARE(meter.secondsPerStep(), 1.0);
    }

    void badInputThrows()
    {
        const std::vector<std::int64_t> two{0, 1};
        const std::vector<std::int64_t> three{0, 1, 1};
        const std::vector<std::int64_t> outOfRange{0, 5};
        for (const auto &[predicted, truth] : {std::pair{two, three}, std::pair{outOfRange, two}}) {
            try {
                computeMetrics(predicted, truth, 2);
                QFAIL("accepted bad input");
            } catch (const Error &e) {
                QCOMPARE(int(e.kind()), int(ErrorKind::InvalidInput));
            }
        }
    }
};

class LrScheduleTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    // The golden README's hf_trainer_style: warmup 1 of 4 steps.
    void goldenLinearWarmup()
    {
        const double expected[] = {0.0, 1.0, 2.0 / 3.0, 1.0 / 3.0};
        for (int step = 0; step < 4; ++step)
            QVERIFY(near(lrFactor(LrSchedulerType::Linear, step, 1, 4), expected[step]));

        QFile file(QStringLiteral(FT_SHARED_DIR "/golden/train_golden.json"));
        QVERIFY2(file.open(QIODevice::ReadOnly), "the golden training file is needed");
        const QJsonObject scenario = QJsonDocument::fromJson(file.readAll())
                                         .object()["scenarios"].toObject()["hf_trainer_style"].toObject();
        const QJsonArray steps = scenario["steps"].toArray();
        QCOMPARE(steps.size(), 4);
        for (const auto &value : steps) {
            const QJsonObject step = value.toObject();
            const int taken = step["step"].toInt() - 1; // the golden file counts from 1
            QVERIFY(near(1e-3 * lrFactor(LrSchedulerType::Linear, taken, 1, 4), step["lr"].toDouble(), 1e-12));
        }
    }

    void schedules_data()
    {
        QTest::addColumn<QString>("type");
        QTest::addColumn<int>("step");
        QTest::addColumn<int>("warmup");
        QTest::addColumn<int>("total");
        QTest::addColumn<double>("factor");
        // Hand-computed from transformers' lambdas.
        QTest::newRow("linear, no warmup, start") << "linear" << 0 << 0 << 10 << 1.0;
        QTest::newRow("linear, middle") << "linear" << 4 << 0 << 10 << 0.6;
        QTest::newRow("linear, after the end") << "linear" << 12 << 2 << 10 << 0.0;
        QTest::newRow("linear, warmup") << "linear" << 3 << 4 << 10 << 0.75;
        QTest::newRow("linear, warmup done") << "linear" << 4 << 4 << 10 << 1.0;
        QTest::newRow("linear, warmup is all") << "linear" << 10 << 10 << 10 << 0.0;
        QTest::newRow("cosine, start") << "cosine" << 0 << 0 << 10 << 1.0;
        QTest::newRow("cosine, half") << "cosine" << 5 << 0 << 10 << 0.5;
        QTest::newRow("cosine, quarter") << "cosine" << 5 << 2 << 14 << 0.5 * (1 + std::cos(M_PI * 0.25));
        QTest::newRow("cosine, end") << "cosine" << 10 << 0 << 10 << 0.0;
        QTest::newRow("cosine, warmup") << "cosine" << 1 << 2 << 10 << 0.5;
        QTest::newRow("constant ignores warmup") << "constant" << 0 << 5 << 10 << 1.0;
        QTest::newRow("constant after end") << "constant" << 20 << 0 << 10 << 1.0;
        QTest::newRow("constant_with_warmup, warmup") << "constant_with_warmup" << 2 << 4 << 10 << 0.5;
        QTest::newRow("constant_with_warmup, after") << "constant_with_warmup" << 9 << 4 << 10 << 1.0;
    }

    void schedules()
    {
        QFETCH(QString, type);
        QFETCH(int, step);
        QFETCH(int, warmup);
        QFETCH(int, total);
        QFETCH(double, factor);
        const auto scheduler = parseScheduler(type.toStdString());
        QVERIFY(scheduler);
        QCOMPARE(QString(schedulerName(*scheduler)), type);
        QVERIFY2(near(lrFactor(*scheduler, step, warmup, total), factor, 1e-12),
                 qPrintable(QString::number(lrFactor(*scheduler, step, warmup, total), 'g', 17)));
        QVERIFY(!parseScheduler("polynomial"));
    }
};

class BatchingTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void portableRandomness()
    {
        // The C++ standard fixes this: the 10000th output of a default-seeded
        // mt19937_64 ([rand.predef]).
        std::mt19937_64 engine;
        engine.discard(9999);
        QCOMPARE(engine(), std::uint64_t{9981545732273789042ull});

        // uniformBelow stays below its bound and reaches every value.
        std::mt19937_64 rng(1);
        std::set<std::uint64_t> seen;
        for (int i = 0; i < 1000; ++i) {
            const auto value = uniformBelow(rng, 7);
            QVERIFY(value < 7);
            seen.insert(value);
        }
        QCOMPARE(seen.size(), size_t{7});

        // Pinned: a change here reorders the batches of runs resumed from
        // older checkpoints, so it must be deliberate.
        std::vector<std::int64_t> items(10);
        std::iota(items.begin(), items.end(), 0);
        std::mt19937_64 pinned(42);
        seededShuffle(std::span<std::int64_t>(items), pinned);
        QCOMPARE(items, (std::vector<std::int64_t>{1, 7, 9, 0, 3, 8, 4, 2, 5, 6}));
    }

    void ordersAreDeterministicPermutations_data()
    {
        QTest::addColumn<int>("order");
        QTest::newRow("shuffled") << int(BatchOrder::Shuffled);
        QTest::newRow("length grouped") << int(BatchOrder::LengthGrouped);
    }

    void ordersAreDeterministicPermutations()
    {
        QFETCH(int, order);
        std::vector<std::int64_t> lengths(1000);
        std::mt19937_64 rng(3);
        for (auto &length : lengths)
            length = 5 + std::int64_t(uniformBelow(rng, 120));
        const auto kind = BatchOrder(order);
        const auto a = epochOrder(lengths, 16, kind, 42, 0);
        QCOMPARE(epochOrder(lengths, 16, kind, 42, 0), a);
        QVERIFY(epochOrder(lengths, 16, kind, 43, 0) != a);
        QVERIFY(epochOrder(lengths, 16, kind, 42, 1) != a);
        std::vector<std::int64_t> sorted = a;
        std::sort(sorted.begin(), sorted.end());
        std::vector<std::int64_t> all(lengths.size());
        std::iota(all.begin(), all.end(), 0);
        QCOMPARE(sorted, all);

        const auto sequential = epochOrder(lengths, 16, BatchOrder::Sequential, 42, 5);
        QCOMPARE(sequential, all);
    }

    void lengthGroupingFollowsTransformers()
    {
        // 1000 examples, batch 4: megabatches of min(1000 / 16, 50) = 50
        // batches, 200 examples; 5 megabatches.
        std::vector<std::int64_t> lengths(1000);
        std::mt19937_64 rng(11);
        for (auto &length : lengths)
            length = 1 + std::int64_t(uniformBelow(rng, 200));
        const std::int64_t longest = *std::max_element(lengths.begin(), lengths.end());
        std::mt19937_64 shuffle(42);
        const auto order = lengthGroupedIndices(lengths, 4, shuffle);
        QCOMPARE(lengths[size_t(order[0])], longest);
        const auto lengthAt = [&](size_t i) { return lengths[size_t(order[i])]; };
        for (size_t start = 0; start < order.size(); start += 200) {
            // Sorted longest first; only the first element may have been swapped with megabatch 0's.
            for (size_t i = start + 2; i < start + 200; ++i)
                QVERIFY(lengthAt(i - 1) >= lengthAt(i));
        }
        // Batching by megabatch cuts padding against a plain shuffle.
        const auto padding = [&](const std::vector<std::int64_t> &indices) {
            std::int64_t padded = 0;
            for (size_t i = 0; i < indices.size(); i += 4) {
                std::int64_t top = 0;
                for (size_t k = i; k < i + 4; ++k)
                    top = std::max(top, lengths[size_t(indices[k])]);
                for (size_t k = i; k < i + 4; ++k)
                    padded += top - lengths[size_t(indices[k])];
            }
            return padded;
        };
        QVERIFY(padding(order) * 5 < padding(epochOrder(lengths, 4, BatchOrder::Shuffled, 42, 0)));

        // Small sets: one batch per megabatch (min(n / (4 * batch), 50) = 0 -> 1);
        // each pair sorted, except the one whose head was swapped with the longest.
        const std::vector<std::int64_t> few{3, 9, 1, 7, 5, 2};
        for (std::uint64_t seed = 0; seed < 20; ++seed) {
            std::mt19937_64 small(seed);
            const auto grouped = lengthGroupedIndices(few, 2, small);
            QCOMPARE(few[size_t(grouped[0])], std::int64_t{9});
            int unsorted = 0;
            for (size_t i = 0; i < grouped.size(); i += 2)
                unsorted += few[size_t(grouped[i])] < few[size_t(grouped[i + 1])] ? 1 : 0;
            QVERIFY(unsorted <= 1);
        }
    }

    void samplerResumesWhereItStopped_data()
    {
        QTest::addColumn<int>("stopAfter");
        QTest::newRow("mid-epoch") << 7;
        QTest::newRow("at an epoch boundary") << 13;
        QTest::newRow("second epoch") << 20;
    }

    void samplerResumesWhereItStopped()
    {
        QFETCH(int, stopAfter);
        std::vector<std::int64_t> lengths(50);
        for (size_t i = 0; i < lengths.size(); ++i)
            lengths[i] = std::int64_t((i * 37) % 64 + 1);
        BatchSampler uninterrupted(lengths, 4, BatchOrder::LengthGrouped, 7);
        QCOMPARE(uninterrupted.batchesPerEpoch(), std::int64_t{13});
        std::vector<std::vector<std::int64_t>> expected;
        BatchPosition saved;
        for (int i = 0; i < 39; ++i) {
            if (i == stopAfter)
                saved = uninterrupted.position();
            expected.push_back(uninterrupted.next());
        }
        QCOMPARE(saved, (BatchPosition{stopAfter / 13, stopAfter % 13}));
        QCOMPARE(expected[12].size(), size_t{2}); // 50 = 12 * 4 + 2
        QVERIFY(expected[0] != expected[13]);     // each epoch has its own order

        BatchSampler resumed(lengths, 4, BatchOrder::LengthGrouped, 7, saved);
        for (int i = stopAfter; i < 39; ++i)
            QCOMPARE(resumed.next(), expected[size_t(i)]);
        QCOMPARE(resumed.position(), (BatchPosition{3, 0}));
    }

    void samplerRejectsBadArguments()
    {
        const auto rejects = [](auto &&make) {
            try {
                make();
                return false;
            } catch (const Error &e) {
                return e.kind() == ErrorKind::InvalidInput;
            }
        };
        QVERIFY(rejects([] { BatchSampler({}, 4, BatchOrder::Shuffled, 1); }));
        QVERIFY(rejects([] { BatchSampler({1, 2}, 0, BatchOrder::Shuffled, 1); }));
        QVERIFY(rejects([] { BatchSampler({1, 2, 3}, 2, BatchOrder::Shuffled, 1, {0, 2}); }));
    }
};

FT_REGISTER_TEST(MetricsTest);
FT_REGISTER_TEST(LrScheduleTest);
FT_REGISTER_TEST(BatchingTest);

#include "tst_metrics.moc"
