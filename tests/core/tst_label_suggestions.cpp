// tst_label_suggestions.cpp: model-assisted labelling: a trained run's model
// suggests labels for the unlabelled examples with confidence, margin and
// entropy that match the predictor's probabilities, and orders them most
// uncertain first.
#include "common/error.h"
#include "data/sample_dataset.h"
#include "infer/label_suggestions.h"
#include "infer/predictor.h"
#include "infer/split_evaluation.h"
#include "store/datasets.h"
#include "store/labels.h"
#include "store/project.h"
#include "tempproject.h"
#include "testhelpers.h"
#include "nullsink.h"
#include "testregistry.h"
#include "train/trainer.h"

#include <QTemporaryDir>
#include <QTest>

#include <cmath>

namespace fs = std::filesystem;
using namespace ft;

namespace {

const fs::path kTinyModel = fs::path(FT_SHARED_DIR) / "golden" / "tiny-bert-uncased";

using QuietSink = ft::test::NullSink;

} // namespace

class LabelSuggestionsTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(mDir.isValid());
        const fs::path folder = ft::test::toPath(mDir.filePath(QStringLiteral("project")));
        Project project = Project::create(folder);
        mDataset = createDataset(project, "reviews", "generated");
        auto rows = generateSampleReviews(160, 4);
        for (size_t i = 120; i < rows.size(); ++i)
            rows[i].label.reset(); // 40 left to label
        rows[130].textB = "second text of a pair";
        addExamples(project, mDataset, rows);

        TrainingRequest request;
        request.project = folder;
        request.dataset = "reviews";
        request.model = kTinyModel.string();
        request.config.maxSteps = 12;
        request.config.perDeviceTrainBatchSize = 8;
        request.config.learningRate = 5e-4;
        request.config.evalStrategy = EvalStrategy::No;
        request.config.threads = 1;
        request.config.maxLength = 32;
        QuietSink sink;
        RunControl control;
        mModelFolder = train(request, sink, control).modelFolder;
        mProjectFolder = folder;
    }

    void suggestionsMatchThePredictor()
    {
        Project project = Project::open(mProjectFolder);
        std::vector<std::int64_t> progressCalls;
        SuggestionOptions options;
        options.chunkRows = 16;
        const auto suggestions = suggestLabels(project, mDataset, mModelFolder, options,
                                               [&](std::int64_t done, std::int64_t total) {
                                                   progressCalls.push_back(done);
                                                   return total == 40;
                                               });
        QCOMPARE(suggestions.size(), size_t{40});
        QCOMPARE(progressCalls, (std::vector<std::int64_t>{16, 32, 40}));

        const auto unlabelled = examples(project, mDataset, 120, 40);
        Predictor predictor;
        predictor.load(mModelFolder);
        std::vector<std::string_view> texts;
        std::vector<std::string_view> pairs;
        for (const Example &example : unlabelled) {
            texts.emplace_back(example.text);
            pairs.emplace_back(example.textB ? std::string_view(*example.textB) : std::string_view());
        }
        const Predictions expected = predictor.predict(texts, pairs);
        for (size_t i = 0; i < suggestions.size(); ++i) {
            const LabelSuggestion &s = suggestions[i];
            QCOMPARE(s.exampleId, unlabelled[i].id);
            QCOMPARE(s.label, expected.labels[i]);
            QCOMPARE(s.labelId, std::optional<std::int64_t>(requireLabel(project, mDataset, s.label).id));
            std::vector<double> p(expected.probabilities.begin() + long(i * 3), expected.probabilities.begin() + long(i * 3 + 3));
            std::sort(p.rbegin(), p.rend());
            QVERIFY(std::abs(s.confidence - p[0]) < 1e-6);
            QVERIFY(std::abs(s.margin - (p[0] - p[1])) < 1e-6);
            double entropy = 0;
            for (const double q : p)
                entropy -= q > 0 ? q * std::log(q) : 0;
            QVERIFY(std::abs(s.entropy - entropy) < 1e-6);
        }
    }

    // The evaluation view's data: per example prediction and loss, metrics
    // and confusion consistent with them, cells and likely label errors.
    void splitEvaluationIsConsistent()
    {
        Project project = Project::open(mProjectFolder);
        const SplitEvaluation e = evaluateSplit(project, mDataset, mModelFolder, Split::Train);
        std::int64_t labelledTrain = 0;
        for (const Example &example : examples(project, mDataset, 0, 1000))
            labelledTrain += example.split == "train" && example.label ? 1 : 0;
        QCOMPARE(std::int64_t(e.examples.size()), labelledTrain);
        QCOMPARE(e.metrics.total, labelledTrain);
        std::int64_t correct = 0, cells = 0;
        for (const ExamplePrediction &p : e.examples)
            correct += p.truth == p.predicted ? 1 : 0;
        QCOMPARE(e.metrics.accuracy, double(correct) / double(labelledTrain));
        for (std::size_t t = 0; t < e.labels.size(); ++t) {
            for (std::size_t p = 0; p < e.labels.size(); ++p) {
                const auto cell = e.cell(t, p);
                QCOMPARE(std::int64_t(cell.size()), e.metrics.confusion[t][p]);
                cells += std::int64_t(cell.size());
                for (size_t i = 1; i < cell.size(); ++i)
                    QVERIFY(cell[i - 1].loss >= cell[i].loss);
            }
        }
        QCOMPARE(cells, labelledTrain);

        // One example's loss, from the predictor directly.
        const ExamplePrediction &first = e.examples.front();
        const Example example = examplesById(project, std::vector<std::int64_t>{first.exampleId}).front();
        Predictor predictor;
        predictor.load(mModelFolder);
        const std::vector<std::string_view> text{example.text};
        const Predictions p = predictor.predict(text);
        QVERIFY(std::abs(first.loss + std::log(double(p.probabilities[first.truth]))) < 1e-6);

        for (const ExamplePrediction &flagged : likelyLabelErrors(e, 0.4)) {
            QVERIFY(flagged.truth != flagged.predicted);
            QVERIFY(flagged.confidence >= 0.4);
        }
    }

    void mostUncertainFirstOrders()
    {
        std::vector<LabelSuggestion> suggestions(4);
        const double margins[] = {0.5, 0.1, 0.1, 0.9};
        const double entropies[] = {0.2, 1.0, 0.3, 0.05};
        for (int i = 0; i < 4; ++i)
            suggestions[size_t(i)] = {10 + i, "x", std::nullopt, 0.9, margins[i], entropies[i]};
        QCOMPARE(mostUncertainFirst(suggestions), (std::vector<std::int64_t>{11, 12, 10, 13}));
        QCOMPARE(mostUncertainFirst(suggestions, Uncertainty::Entropy), (std::vector<std::int64_t>{11, 12, 10, 13}));
        suggestions[2].entropy = 2.0;
        QCOMPARE(mostUncertainFirst(suggestions, Uncertainty::Entropy), (std::vector<std::int64_t>{12, 11, 10, 13}));
    }

    void cancelAndBadModel()
    {
        Project project = Project::open(mProjectFolder);
        SuggestionOptions options;
        options.chunkRows = 8;
        FT_VERIFY_ERROR(suggestLabels(project, mDataset, mModelFolder, options, [](std::int64_t, std::int64_t) { return false; }),
                        ErrorKind::Cancelled, QStringLiteral("cancelled"));
        FT_VERIFY_ERROR(suggestLabels(project, mDataset, mProjectFolder / "no-such-model"), ErrorKind::NotFound,
                        QStringLiteral("no-such-model"));
    }

private:
    QTemporaryDir mDir;
    fs::path mProjectFolder;
    fs::path mModelFolder;
    std::int64_t mDataset = 0;
};

FT_REGISTER_TEST(LabelSuggestionsTest);

#include "tst_label_suggestions.moc"
