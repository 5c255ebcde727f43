// tst_sample.cpp: the sample project's generated data, and its scratch CNN learning the shapes.
#include "data/sample_dataset.h"
#include "nullsink.h"
#include "store/datasets.h"
#include "store/project.h"
#include "tempproject.h"
#include "testregistry.h"
#include "train/run_config.h"
#include "train/run_inputs.h"
#include "train/trainer.h"

#include <QTemporaryDir>
#include <QTest>

#include <map>
#include <set>

namespace fs = std::filesystem;
using namespace ft;

class SampleDatasetTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void generationIsDeterministic()
    {
        const auto a = generateSampleReviews(300, 7);
        const auto b = generateSampleReviews(300, 7);
        const auto c = generateSampleReviews(300, 8);
        QCOMPARE(a.size(), size_t{300});
        bool allSame = true, anyDifferent = false;
        for (size_t i = 0; i < a.size(); ++i) {
            allSame = allSame && a[i].text == b[i].text && a[i].label == b[i].label && a[i].split == b[i].split;
            anyDifferent = anyDifferent || a[i].text != c[i].text;
        }
        QVERIFY(allSame);
        QVERIFY(anyDifferent);
    }

    void labelsAndSplitsAreBalancedAndVaried()
    {
        const auto rows = generateSampleReviews(1200, 2024);
        std::map<std::string, int> labels, splits;
        std::set<std::string> texts;
        for (const auto &row : rows) {
            ++labels[row.label.value()];
            ++splits[row.split];
            texts.insert(row.text);
        }
        QCOMPARE(labels.size(), size_t{3});
        for (const auto &[label, count] : labels)
            QVERIFY2(count > 300 && count < 500, label.c_str());
        QVERIFY(splits["train"] > 850 && splits["validation"] > 80 && splits["test"] > 80);
        QVERIFY2(texts.size() > 1000, "the templates should rarely repeat a review");
    }

    void ensureSampleProjectCreatesOnce()
    {
        QTemporaryDir dir;
        const auto folder = ft::test::toPath(dir.filePath("sample"));
        QVERIFY(ensureSampleProject(folder));
        QVERIFY(!ensureSampleProject(folder));
        Project project = Project::open(folder);
        const auto datasets = listDatasets(project);
        QCOMPARE(datasets.size(), size_t{2});
        QCOMPARE(datasets[0].examples, std::int64_t{1200});
        QCOMPARE(datasets[0].labels, std::int64_t{3});
        QCOMPARE(datasets[1].name, std::string("shapes"));
        QCOMPARE(datasets[1].examples, std::int64_t{600});
        QCOMPARE(datasets[1].train, std::int64_t{420});
        QCOMPARE(datasets[1].validation, std::int64_t{90});
        QCOMPARE(datasets[1].test, std::int64_t{90});
        // Stored relative to the project, whose folder holds the pictures: the project moves whole.
        QCOMPARE(datasets[1].source, std::string("sample-images"));
        const fs::path moved = ft::test::toPath(dir.filePath("moved"));
        fs::rename(folder, moved);
        Project reopened = Project::open(moved);
        QCOMPARE(datasetImageFolder(reopened, datasets[1].id), moved / "sample-images");
        for (const char *model : {"scratch-model", "scratch-cnn", "scratch-vit"})
            for (const char *file : {"config.json", "run.json"})
                QVERIFY2(fs::is_regular_file(moved / model / file), (std::string(model) + "/" + file).c_str());
    }

    void sampleShapesTrainTheSampleCnn()
    {
        QTemporaryDir dir;
        const auto folder = ft::test::toPath(dir.filePath("sample"));
        QVERIFY(ensureSampleProject(folder));
        TrainingRequest request;
        request.project = folder;
        request.dataset = "shapes";
        request.model = kScratchModelPrefix + (folder / "scratch-cnn" / "config.json").string();
        request.config = loadRunConfig(folder / "scratch-cnn" / "run.json");
        test::NullSink sink;
        RunControl control;
        const TrainingSummary summary = train(request, sink, control);
        qInfo("sample CNN on the shapes: validation accuracy %.3f, test accuracy %.3f, %.1f s",
              summary.evalMetrics.at("eval_accuracy"), summary.testMetrics.at("test_accuracy"), summary.runtimeSeconds);
        // Three classes (chance 1/3); the shapes are learnt, not the colours.
        QVERIFY2(summary.testMetrics.at("test_accuracy") >= 0.7,
                 qPrintable(QString::number(summary.testMetrics.at("test_accuracy"))));
    }
};

FT_REGISTER_TEST(SampleDatasetTest);

#include "tst_sample.moc"
