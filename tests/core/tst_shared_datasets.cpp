// tst_shared_datasets.cpp: every dataset in ../shared/data imports cleanly,
// with the row and label counts its SOURCE.md states (each number is also
// looked up in SOURCE.md, so the two cannot drift apart silently). Text
// datasets import from their files; image datasets from class folders: the
// hymenoptera folders as they are, and the digit and Fashion-MNIST arrays
// written out here as class folders of PGM images. Each imports once.
#include "data/dataset_import.h"
#include "data/row_source.h"
#include "store/datasets.h"
#include "store/project.h"
#include "tempproject.h"
#include "testregistry.h"

#include <QElapsedTimer>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <fstream>
#include <map>

namespace fs = std::filesystem;
using namespace ft;
using ft::test::readBytes;
using ft::test::toPath;

namespace {

using Counts = std::map<std::string, std::int64_t>;

fs::path sharedData(const std::string &relative)
{
    return fs::path(FT_SHARED_DIR) / "data" / relative;
}

Counts tallies(const ImportResult &result)
{
    Counts counts;
    for (const auto &label : result.labels)
        counts[label.name] = label.count;
    return counts;
}

// The decompressed bytes of a .gz file (gzip is part of every Debian).
QByteArray gunzip(const fs::path &file)
{
    QProcess gzip;
    gzip.start(QStringLiteral("gzip"), {QStringLiteral("-dc"), QString::fromStdString(file.string())});
    if (!gzip.waitForFinished(60000) || gzip.exitCode() != 0)
        return {};
    return gzip.readAllStandardOutput();
}

// A binary PGM, which stb_image decodes.
void writePgm(const fs::path &file, int width, int height, const unsigned char *pixels)
{
    std::ofstream out(file, std::ios::binary);
    out << "P5\n" << width << ' ' << height << "\n255\n";
    out.write(reinterpret_cast<const char *>(pixels), std::streamsize(width) * height);
}

} // namespace

class SharedDatasetsTest : public QObject {
    Q_OBJECT

    QTemporaryDir mDir;
    std::optional<Project> mProject;
    int mImports = 0;

    // Imports `options` into the shared project, checks it kept every row
    // with no error, and that SOURCE.md states `rows` and each label count.
    ImportResult importClean(ImportOptions options, const std::string &folder, std::int64_t rows)
    {
        options.datasetName = "dataset " + std::to_string(++mImports);
        QElapsedTimer timer;
        timer.start();
        const ImportResult result = importDataset(*mProject, options);
        qInfo("%s: %lld rows in %.2f s", options.file.string().c_str(), static_cast<long long>(result.rows),
              double(timer.elapsed()) / 1000.0);
        const QByteArray source = readBytes(sharedData(folder) / "SOURCE.md");
        [&] {
            QVERIFY2(source.contains(QByteArray::number(qlonglong(rows))),
                     qPrintable(QStringLiteral("%1/SOURCE.md does not state %2").arg(folder.c_str()).arg(rows)));
            QCOMPARE(result.errorCount, std::int64_t{0});
            QCOMPARE(result.rows, rows);
        }();
        return result;
    }

private Q_SLOTS:
    void initTestCase()
    {
        if (!fs::exists(sharedData("")))
            QSKIP("../shared/data is not here");
        mProject.emplace(Project::create(toPath(mDir.filePath(QStringLiteral("project")))));
    }

    void sst2()
    {
        ImportOptions options;
        options.file = sharedData("sst2/train.tsv");
        QCOMPARE(tallies(importClean(options, "sst2", 6920)), (Counts{{"0", 3310}, {"1", 3610}}));
        options.file = sharedData("sst2/dev.tsv");
        QCOMPARE(tallies(importClean(options, "sst2", 872)), (Counts{{"0", 428}, {"1", 444}}));
    }

    void trec6()
    {
        ImportOptions options;
        options.file = sharedData("trec6/train.tsv");
        options.columns.label = "coarse_label"; // no column is named label
        const ImportResult train = importClean(options, "trec6", 5452);
        QCOMPARE(train.textColumn, std::string("question"));
        QCOMPARE(tallies(train),
                 (Counts{{"ABBR", 86}, {"DESC", 1162}, {"ENTY", 1250}, {"HUM", 1223}, {"LOC", 835}, {"NUM", 896}}));
        options.file = sharedData("trec6/test.tsv");
        QCOMPARE(tallies(importClean(options, "trec6", 500)),
                 (Counts{{"ABBR", 9}, {"DESC", 138}, {"ENTY", 94}, {"HUM", 65}, {"LOC", 81}, {"NUM", 113}}));
    }

    void smsSpam()
    {
        ImportOptions options;
        options.file = sharedData("sms_spam/SMSSpamCollection");
        options.read.hasHeader = false;
        options.read.quoting = false;
        options.columns.text = "2";
        options.columns.label = "1";
        QCOMPARE(tallies(importClean(options, "sms_spam", 5574)), (Counts{{"ham", 4827}, {"spam", 747}}));
    }

    void banking77()
    {
        ImportOptions options;
        options.file = sharedData("banking77/train.csv");
        const ImportResult train = importClean(options, "banking77", 10003);
        QCOMPARE(train.labels.size(), size_t{77});
        options.file = sharedData("banking77/test.csv");
        const ImportResult test = importClean(options, "banking77", 3080);
        QCOMPARE(test.labels.size(), size_t{77});
        for (const LabelTally &label : test.labels)
            QCOMPARE(label.count, std::int64_t{40});
    }

    void chineseReviews()
    {
        ImportOptions options;
        options.file = sharedData("chnsenticorp_htl/train.csv");
        QCOMPARE(tallies(importClean(options, "chnsenticorp_htl", 5178)), (Counts{{"0", 1630}, {"1", 3548}}));
        options.file = sharedData("waimai_10k/waimai_10k.csv");
        QCOMPARE(tallies(importClean(options, "waimai_10k", 11987)), (Counts{{"0", 7987}, {"1", 4000}}));
        options.file = sharedData("online_shopping_10cats/online_shopping_10_cats_subset.csv");
        options.columns.label = "cat";
        const ImportResult shopping = importClean(options, "online_shopping_10cats", 5800);
        QCOMPARE(shopping.labels.size(), size_t{10});
        for (const LabelTally &label : shopping.labels)
            QCOMPARE(label.count, std::int64_t(label.name == "热水器" ? 400 : 600));
    }

    void hymenopteraFolders()
    {
        ImportOptions options;
        options.file = sharedData("hymenoptera_subset"); // train/ and val/, each with ants/ and bees/
        const ImportResult result = importClean(options, "hymenoptera_subset", 150);
        QCOMPARE(result.format, std::string("image-folder"));
        QVERIFY(result.splitsFromFile);
        QCOMPARE(result.splits.train, std::int64_t{100});
        QCOMPARE(result.splits.validation, std::int64_t{50});
        QCOMPARE(tallies(result), (Counts{{"ants", 75}, {"bees", 75}}));
        QCOMPARE(result.duplicateCount, std::int64_t{0});
    }

    void sklearnDigitsAsImages()
    {
        const QByteArray csv = gunzip(sharedData("sklearn_digits/digits.csv.gz"));
        QVERIFY(!csv.isEmpty());
        const fs::path folder = toPath(mDir.filePath(QStringLiteral("digits")));
        int written = 0;
        for (const QByteArray &line : csv.split('\n')) {
            const QList<QByteArray> fields = line.trimmed().split(',');
            if (fields.size() != 65)
                continue;
            unsigned char pixels[64];
            for (int i = 0; i < 64; ++i)
                pixels[i] = static_cast<unsigned char>(std::min(255, int(fields[i].toDouble()) * 16));
            const fs::path cls = folder / std::to_string(int(fields[64].toDouble()));
            fs::create_directories(cls);
            writePgm(cls / (std::to_string(written++) + ".pgm"), 8, 8, pixels);
        }
        ImportOptions options;
        options.file = folder;
        const ImportResult result = importClean(options, "sklearn_digits", 1797);
        QCOMPARE(tallies(result), (Counts{{"0", 178}, {"1", 182}, {"2", 177}, {"3", 183}, {"4", 181}, {"5", 182},
                                          {"6", 181}, {"7", 179}, {"8", 174}, {"9", 180}}));
    }

    void fashionMnistAsImages()
    {
        const QByteArray images = gunzip(sharedData("fashion_mnist_t10k/t10k-images-idx3-ubyte.gz"));
        const QByteArray labels = gunzip(sharedData("fashion_mnist_t10k/t10k-labels-idx1-ubyte.gz"));
        QCOMPARE(images.size(), 7840016);
        QCOMPARE(labels.size(), 10008);
        const fs::path folder = toPath(mDir.filePath(QStringLiteral("fashion")));
        for (int c = 0; c < 10; ++c)
            fs::create_directories(folder / std::to_string(c));
        for (int i = 0; i < 10000; ++i) {
            const auto *pixels = reinterpret_cast<const unsigned char *>(images.constData() + 16 + i * 784);
            writePgm(folder / std::to_string(int(labels[8 + i])) / (std::to_string(i) + ".pgm"), 28, 28, pixels);
        }
        ImportOptions options;
        options.file = folder;
        const ImportResult result = importClean(options, "fashion_mnist_t10k", 10000);
        QCOMPARE(result.labels.size(), size_t{10});
        for (const LabelTally &label : result.labels)
            QCOMPARE(label.count, std::int64_t{1000});
        qInfo("Fashion-MNIST t10k: %lld exact duplicate images", static_cast<long long>(result.duplicateCount));
    }

    void cleanupTestCase()
    {
        if (mProject)
            QCOMPARE(QString::fromStdString(mProject->integrityCheck()), QStringLiteral("ok"));
    }
};

FT_REGISTER_TEST(SharedDatasetsTest);

#include "tst_shared_datasets.moc"
