// tst_sample.cpp: the sample project's generated data.
#include "data/sample_dataset.h"
#include "store/datasets.h"
#include "store/project.h"
#include "tempproject.h"
#include "testregistry.h"

#include <QTemporaryDir>
#include <QTest>

#include <map>
#include <set>

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
        QCOMPARE(datasets.size(), size_t{1});
        QCOMPARE(datasets[0].examples, std::int64_t{1200});
        QCOMPARE(datasets[0].labels, std::int64_t{3});
    }
};

FT_REGISTER_TEST(SampleDatasetTest);

#include "tst_sample.moc"
