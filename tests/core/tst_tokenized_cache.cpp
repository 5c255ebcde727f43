// tst_tokenized_cache.cpp: a dataset is tokenised once: the next run on the
// same data, tokenizer and max_length reads the project's cache, anything
// that changes the tokens misses it, and a damaged entry is rebuilt.
#include "data/sample_dataset.h"
#include "hub/sha256.h"
#include "store/datasets.h"
#include "store/project.h"
#include "tempproject.h"
#include "testregistry.h"
#include "text/tokenizer.h"
#include "train/run_inputs.h"
#include "train/tokenized_cache.h"

#include <QTemporaryDir>
#include <QTest>

#include <fstream>

namespace fs = std::filesystem;
using namespace ft;

namespace {

const fs::path kTinyModel = fs::path(FT_SHARED_DIR) / "golden" / "tiny-bert-uncased";

bool sameSplit(const EncodedSplit &a, const EncodedSplit &b)
{
    return a.ids == b.ids && a.typeIds == b.typeIds && a.offsets == b.offsets && a.labels == b.labels
           && a.lengths == b.lengths && a.truncated == b.truncated;
}

bool sameData(const PreparedData &a, const PreparedData &b)
{
    return a.labels == b.labels && sameSplit(a.train, b.train) && sameSplit(a.validation, b.validation)
           && sameSplit(a.test, b.test);
}

struct Fixture {
    QTemporaryDir dir;
    Project project = Project::create(ft::test::toPath(dir.filePath(QStringLiteral("project"))));
    std::int64_t dataset = 0;
    Tokenizer tokenizer = Tokenizer::fromFolder(kTinyModel);

    Fixture()
    {
        dataset = createDataset(project, "reviews", "generated");
        auto rows = generateSampleReviews(120, 5);
        for (size_t i = 0; i < rows.size(); ++i)
            rows[i].split = i % 10 == 0 ? "validation" : i % 10 == 1 ? "test" : "train";
        rows[3].textB = "and a second text"; // a pair, with token type ids 1
        addExamples(project, dataset, rows);
    }
    PreparedData prepare(std::int64_t maxLength = 32, const fs::path &tokenizerFolder = kTinyModel)
    {
        return prepareData(project, dataset, "reviews", tokenizer, tokenizerFolder, maxLength);
    }
    std::vector<fs::path> entries() const
    {
        std::vector<fs::path> files;
        std::error_code ec;
        for (const auto &entry : fs::directory_iterator(project.folder() / "cache" / "tokenized", ec))
            files.push_back(entry.path());
        return files;
    }
};

} // namespace

class TokenizedCacheTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void secondRunReadsTheCache()
    {
        Fixture f;
        const PreparedData first = f.prepare();
        QVERIFY(!first.fromCache);
        QCOMPARE(f.entries().size(), size_t{1});
        const PreparedData second = f.prepare();
        QVERIFY(second.fromCache);
        QVERIFY(sameData(first, second));
        QCOMPARE(second.train.size(), std::int64_t{96});
        QVERIFY(std::count(second.train.typeIds.begin(), second.train.typeIds.end(), 1) > 0);
    }

    void whatChangesTheTokensMisses()
    {
        Fixture f;
        f.prepare();
        QVERIFY(!f.prepare(16).fromCache); // another max_length

        // The same tokenizer files elsewhere hit; an edited vocab.txt misses.
        const fs::path copy = f.project.folder().parent_path() / "tokenizer-copy";
        fs::create_directories(copy);
        for (const char *name : {"vocab.txt", "tokenizer_config.json", "special_tokens_map.json", "tokenizer.json"})
            fs::copy_file(kTinyModel / name, copy / name);
        QVERIFY(f.prepare(32, copy).fromCache);
        std::ofstream(copy / "vocab.txt", std::ios::app) << "zzzextra\n";
        QVERIFY(!f.prepare(32, copy).fromCache);

        // New examples in the dataset.
        QVERIFY(f.prepare().fromCache);
        auto more = generateSampleReviews(3, 99);
        for (auto &row : more)
            row.split = "train";
        addExamples(f.project, f.dataset, more);
        const PreparedData grown = f.prepare();
        QVERIFY(!grown.fromCache);
        QCOMPARE(grown.train.size(), std::int64_t{99});
    }

    void damagedEntryIsRebuilt()
    {
        Fixture f;
        const PreparedData original = f.prepare();
        const fs::path entry = f.entries().at(0);
        fs::resize_file(entry, fs::file_size(entry) - 7); // torn
        const PreparedData rebuilt = f.prepare();
        QVERIFY(!rebuilt.fromCache);
        QVERIFY(sameData(original, rebuilt));
        QVERIFY(f.prepare().fromCache); // and written again whole

        std::ofstream(entry, std::ios::trunc) << "not a cache file";
        QVERIFY(!f.prepare().fromCache);
    }

    void oldEntriesArePruned()
    {
        QTemporaryDir dir;
        const TokenizedCache cache(ft::test::toPath(dir.path()), 2);
        TokenizedSplits splits;
        splits.train.offsets = {0};
        for (const char *key : {"a", "b", "c"}) {
            cache.store(key, splits);
            const auto now = fs::file_time_type::clock::now();
            // Distinct ages without sleeping: a is the oldest.
            fs::last_write_time(cache.fileOf(key), now - std::chrono::hours(key[0] == 'a' ? 3 : key[0] == 'b' ? 2 : 1));
        }
        cache.store("d", splits);
        QVERIFY(!fs::exists(cache.fileOf("a")));
        QVERIFY(!fs::exists(cache.fileOf("b")));
        QVERIFY(fs::exists(cache.fileOf("c")));
        QVERIFY(cache.load("d").has_value());
    }
};

FT_REGISTER_TEST(TokenizedCacheTest);

#include "tst_tokenized_cache.moc"
