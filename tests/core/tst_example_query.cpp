// tst_example_query.cpp: counts, pages, filters and sorts of the lazy table
// queries over 200,000 generated rows, checked against the same rows computed
// here independently (correctness only; no timings).
#include "common/error.h"
#include "store/datasets.h"
#include "store/example_query.h"
#include "store/labels.h"
#include "store/project.h"
#include "tempproject.h"
#include "testhelpers.h"
#include "testregistry.h"

#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <functional>
#include <memory>

using namespace ft;
using ft::test::toPath;

namespace {

constexpr int kRows = 200000;

// What row i of the generated dataset holds.
struct Generated {
    std::string text;
    bool hasPair = false;
    int label = -1; // 0..3, or -1 unlabelled
    Split split = Split::Train;
};

Generated generated(int i)
{
    Generated g;
    g.text = "Row " + std::to_string(i) + " " + std::string(static_cast<std::size_t>(i % 37), 'x');
    if (i % 1000 == 7)
        g.text += " NeEdLe";
    g.hasPair = i % 3 == 0;
    g.label = i % 5 == 4 ? -1 : i % 5;
    const int s = (i / 5) % 10;
    g.split = s < 7 ? Split::Train : s == 7 ? Split::Validation : s == 8 ? Split::Test : Split::Unassigned;
    return g;
}

std::string labelName(int label)
{
    // Names that sort differently from their numbers: l0 = "delta", l1 = "alpha", ...
    static const char *names[] = {"delta", "alpha", "charlie", "bravo"};
    return names[label];
}

std::string lower(std::string text)
{
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
    return text;
}

int splitOrder(Split split)
{
    return static_cast<int>(split); // Train, Validation, Test, Unassigned
}

// One project with the generated dataset, built once for every test function.
struct Fixture {
    QTemporaryDir dir;
    std::unique_ptr<Project> project;
    std::int64_t datasetId = 0;
    std::int64_t firstId = 0;
    std::int64_t labelIds[4] = {};
};

Fixture &fixture()
{
    static std::unique_ptr<Fixture> made;
    if (made)
        return *made;
    made = std::make_unique<Fixture>();
    made->project = std::make_unique<Project>(Project::create(toPath(made->dir.path())));
    Project &project = *made->project;
    // A small dataset before and after, so that filters must keep to theirs.
    const std::int64_t before = createDataset(project, "before", "test");
    const std::vector<Example> few = {{0, "Row 1 NeEdLe", std::nullopt, "alpha", "train", {}, {}}};
    addExamples(project, before, few);
    made->datasetId = createDataset(project, "big", "test");
    std::vector<Example> rows;
    rows.reserve(kRows);
    for (int i = 0; i < kRows; ++i) {
        const Generated g = generated(i);
        Example e;
        e.text = g.text;
        if (g.hasPair)
            e.textB = "pair " + std::to_string(i);
        if (g.label >= 0)
            e.label = labelName(g.label);
        e.split = splitName(g.split);
        rows.push_back(std::move(e));
    }
    // Labels in the order 0..3 so positions follow the label numbers.
    std::vector<Example> firstFour(rows.begin(), rows.begin() + 4);
    addExamples(project, made->datasetId, firstFour);
    addExamples(project, made->datasetId, std::span(rows).subspan(4));
    addExamples(project, before, few);
    made->firstId = examples(project, made->datasetId, 0, 1).at(0).id;
    for (int l = 0; l < 4; ++l)
        made->labelIds[l] = requireLabel(project, made->datasetId, labelName(l)).id;
    return *made;
}

// The generated rows (as indexes) that pass `keep`, in the order `less` gives (ties by index).
std::vector<std::int64_t> expectedIds(const std::function<bool(const Generated &)> &keep,
                                      const std::function<bool(int, int)> &less = {}, bool descending = false)
{
    std::vector<int> rows;
    for (int i = 0; i < kRows; ++i) {
        if (keep(generated(i)))
            rows.push_back(i);
    }
    if (less)
        std::stable_sort(rows.begin(), rows.end(), less);
    if (descending)
        std::reverse(rows.begin(), rows.end()); // keys and ids descend together
    std::vector<std::int64_t> ids;
    for (const int i : rows)
        ids.push_back(fixture().firstId + i);
    return ids;
}

ExampleFilter everything()
{
    return ExampleFilter{fixture().datasetId, {}, false, {}, {}};
}

} // namespace

class ExampleQueryTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void countsFollowTheFilter()
    {
        Fixture &f = fixture();
        Project &project = *f.project;
        QCOMPARE(countExamples(project, everything()), std::int64_t{kRows});

        ExampleFilter oneLabel = everything();
        oneLabel.labelIds = {f.labelIds[1]};
        QCOMPARE(countExamples(project, oneLabel), std::int64_t{40000});

        ExampleFilter unlabelled = everything();
        unlabelled.includeUnlabelled = true;
        QCOMPARE(countExamples(project, unlabelled), std::int64_t{40000});

        ExampleFilter mixed = everything();
        mixed.labelIds = {f.labelIds[0], f.labelIds[2]};
        mixed.includeUnlabelled = true;
        mixed.splits = {Split::Validation, Split::Test};
        const auto mixedIds = expectedIds([](const Generated &g) {
            return (g.label == 0 || g.label == 2 || g.label < 0)
                   && (g.split == Split::Validation || g.split == Split::Test);
        });
        QCOMPARE(countExamples(project, mixed), static_cast<std::int64_t>(mixedIds.size()));
        QCOMPARE(matchingIds(project, mixed, {}), mixedIds);

        ExampleFilter needle = everything();
        needle.text = "needle"; // any case
        QCOMPARE(countExamples(project, needle), std::int64_t{200});
        needle.text = "pair 1999"; // the text pair is searched too
        std::int64_t pairs = 0;
        for (int i = 0; i < kRows; ++i)
            pairs += generated(i).hasPair && ("pair " + std::to_string(i)).find("pair 1999") != std::string::npos;
        QCOMPARE(pairs, std::int64_t{3 + 33}); // 19992, 19995, 19998 and 199902..199998
        QCOMPARE(countExamples(project, needle), pairs);

        ExampleFilter none = everything();
        none.datasetId = 999;
        QCOMPARE(countExamples(project, none), std::int64_t{0});
    }

    void keysetPagesWalkTheWholeFilteredSet_data()
    {
        // Each walks a different index: one label, one split, or the rowid within the dataset.
        QTest::addColumn<int>("walk");
        QTest::newRow("one label, one split") << 0;
        QTest::newRow("unlabelled only") << 1;
        QTest::newRow("one split") << 2;
        QTest::newRow("two labels and unlabelled, two splits") << 3;
        QTest::newRow("text search") << 4;
        QTest::newRow("no filter") << 5;
    }

    void keysetPagesWalkTheWholeFilteredSet()
    {
        QFETCH(int, walk);
        Fixture &f = fixture();
        ExampleFilter filter = everything();
        std::function<bool(const Generated &)> keep;
        switch (walk) {
        case 0:
            filter.labelIds = {f.labelIds[3]};
            filter.splits = {Split::Train};
            keep = [](const Generated &g) { return g.label == 3 && g.split == Split::Train; };
            break;
        case 1:
            filter.includeUnlabelled = true;
            keep = [](const Generated &g) { return g.label < 0; };
            break;
        case 2:
            filter.splits = {Split::Unassigned};
            keep = [](const Generated &g) { return g.split == Split::Unassigned; };
            break;
        case 3:
            filter.labelIds = {f.labelIds[0], f.labelIds[2]};
            filter.includeUnlabelled = true;
            filter.splits = {Split::Test, Split::Train};
            keep = [](const Generated &g) {
                return (g.label == 0 || g.label == 2 || g.label < 0) && g.split != Split::Validation
                       && g.split != Split::Unassigned;
            };
            break;
        case 4:
            filter.text = "X NEEDLE";
            keep = [](const Generated &g) { return g.text.find("x NeEdLe") != std::string::npos; };
            break;
        default: keep = [](const Generated &) { return true; }; break;
        }
        const auto expected = expectedIds(keep);
        QVERIFY(expected.size() > 100);
        QCOMPARE(countExamples(*f.project, filter), static_cast<std::int64_t>(expected.size()));
        for (const bool descending : {false, true}) {
            std::vector<std::int64_t> walked;
            std::optional<std::int64_t> after;
            for (;;) {
                const auto page = fetchAfter(*f.project, filter, after, descending, 3000);
                if (page.empty())
                    break;
                for (const ExampleRow &row : page)
                    walked.push_back(row.id);
                after = page.back().id;
            }
            std::vector<std::int64_t> want = expected;
            if (descending)
                std::reverse(want.begin(), want.end());
            QCOMPARE(walked, want);
            QCOMPARE(matchingIds(*f.project, filter, {ExampleSortKey::Id, descending}), want);
            const std::size_t middle = want.size() / 2;
            const auto page = fetchPage(*f.project, filter, {ExampleSortKey::Id, descending},
                                        static_cast<std::int64_t>(middle), 2);
            QCOMPARE(page.size(), std::size_t{2});
            QCOMPARE(page[0].id, want[middle]);
            QCOMPARE(page[1].id, want[middle + 1]);
        }
    }

    void aDatasetSpreadAroundAnotherKeepsToItsRows()
    {
        // "before" has one row before the big dataset and one after it.
        Fixture &f = fixture();
        const std::int64_t before = *findDataset(*f.project, "before");
        const ExampleFilter filter{before, {}, false, {}, {}};
        const auto rows = fetchAfter(*f.project, filter, std::nullopt, false, 10);
        QCOMPARE(rows.size(), std::size_t{2});
        QCOMPARE(rows[0].id, f.firstId - 1);
        QCOMPARE(rows[1].id, f.firstId + kRows);
        QCOMPARE(fetchPage(*f.project, filter, {}, 1, 10).at(0).id, f.firstId + kRows);
        QVERIFY(fetchAfter(*f.project, filter, rows[1].id, false, 10).empty());
        QCOMPARE(fetchAfter(*f.project, filter, rows[1].id, true, 10).at(0).id, rows[0].id);
        const std::int64_t empty = createDataset(*f.project, "empty", "test");
        QVERIFY(fetchAfter(*f.project, {empty, {}, false, {}, {}}, std::nullopt, false, 10).empty());
        QVERIFY(fetchPage(*f.project, {empty, {}, false, {}, {}}, {}, 0, 10).empty());
        QCOMPARE(countExamples(*f.project, {empty, {}, false, {}, {}}), std::int64_t{0});
    }

    void deepPagesHoldTheRightRows()
    {
        Fixture &f = fixture();
        const auto page = fetchPage(*f.project, everything(), {}, 150000, 3);
        QCOMPARE(page.size(), std::size_t{3});
        for (int k = 0; k < 3; ++k) {
            const int i = 150000 + k;
            const Generated g = generated(i);
            QCOMPARE(page[k].id, f.firstId + i);
            QCOMPARE(page[k].text, g.text);
            QVERIFY(!page[k].textTruncated);
            QCOMPARE(page[k].hasTextPair, g.hasPair);
            QCOMPARE(page[k].label.has_value(), g.label >= 0);
            if (g.label >= 0) {
                QCOMPARE(*page[k].label, labelName(g.label));
                QCOMPARE(*page[k].labelId, f.labelIds[g.label]);
            }
            QCOMPARE(page[k].split, g.split);
            QVERIFY(!page[k].imagePath);
        }
        // Keyset from the row before gives the same page; past the end is empty.
        const auto after = fetchAfter(*f.project, everything(), f.firstId + 149999, false, 3);
        QCOMPARE(after.size(), std::size_t{3});
        QCOMPARE(after[2].id, page[2].id);
        QVERIFY(fetchPage(*f.project, everything(), {}, kRows, 10).empty());
        QCOMPARE(fetchPage(*f.project, everything(), {ExampleSortKey::Id, true}, 0, 1).at(0).id,
                 f.firstId + kRows - 1);
        FT_VERIFY_ERROR(fetchPage(*f.project, everything(), {}, -1, 10), ErrorKind::InvalidInput, "non-negative");
    }

    void sortsOrderEveryRow_data()
    {
        QTest::addColumn<int>("key");
        QTest::addColumn<bool>("descending");
        for (const bool descending : {false, true}) {
            const char *suffix = descending ? " desc" : " asc";
            QTest::newRow(qPrintable(QStringLiteral("text") + suffix)) << int(ExampleSortKey::Text) << descending;
            QTest::newRow(qPrintable(QStringLiteral("label") + suffix)) << int(ExampleSortKey::Label) << descending;
            QTest::newRow(qPrintable(QStringLiteral("split") + suffix)) << int(ExampleSortKey::Split) << descending;
            QTest::newRow(qPrintable(QStringLiteral("length") + suffix))
                << int(ExampleSortKey::TextLength) << descending;
        }
    }

    void sortsOrderEveryRow()
    {
        QFETCH(int, key);
        QFETCH(bool, descending);
        Fixture &f = fixture();
        const ExampleSort sort{static_cast<ExampleSortKey>(key), descending};
        std::function<bool(int, int)> less;
        switch (sort.key) {
        case ExampleSortKey::Text:
            less = [](int a, int b) { return lower(generated(a).text) < lower(generated(b).text); };
            break;
        case ExampleSortKey::Label:
            less = [](int a, int b) {
                const int la = generated(a).label, lb = generated(b).label;
                return (la < 0 ? "" : labelName(la)) < (lb < 0 ? "" : labelName(lb));
            };
            break;
        case ExampleSortKey::Split:
            less = [](int a, int b) { return splitOrder(generated(a).split) < splitOrder(generated(b).split); };
            break;
        default:
            less = [](int a, int b) { return generated(a).text.size() < generated(b).text.size(); };
            break;
        }
        // Everything outside train, to sort a filtered view.
        ExampleFilter filter = everything();
        filter.splits = {Split::Validation, Split::Test, Split::Unassigned};
        const auto expected = expectedIds([](const Generated &g) { return g.split != Split::Train; }, less, descending);
        const auto ids = matchingIds(*f.project, filter, sort);
        QCOMPARE(ids.size(), expected.size());
        QCOMPARE(ids, expected);
        const auto page = fetchPage(*f.project, filter, sort, 40000, 5);
        QCOMPARE(page.size(), std::size_t{5});
        for (int k = 0; k < 5; ++k)
            QCOMPARE(page[k].id, expected[static_cast<std::size_t>(40000 + k)]);
    }

    void textsAreCutByCodePointsAndSearchesAreLiteral()
    {
        QTemporaryDir dir;
        Project project = Project::create(toPath(dir.path()));
        const std::int64_t id = createDataset(project, "small", "test");
        const std::vector<Example> rows = {
            {0, "日本語のテキスト😀です", std::nullopt, std::nullopt, "test", {}, {}},
            {0, "100% sure", std::string("b"), std::nullopt, "train", {}, {}},
            {0, "a_b", std::nullopt, std::nullopt, "train", {}, {}},
            {0, "axb", std::nullopt, std::nullopt, "train", {}, {}},
            {0, "back\\slash", std::nullopt, std::nullopt, "train", {}, {}},
        };
        addExamples(project, id, rows);
        const ExampleFilter all{id, {}, false, {}, {}};
        const auto page = fetchPage(project, all, {}, 0, 10, 8);
        QCOMPARE(page.size(), std::size_t{5});
        QCOMPARE(page[0].text, std::string("日本語のテキスト"));
        QVERIFY(page[0].textTruncated);
        QCOMPARE(page[0].split, Split::Test);
        QCOMPARE(fetchPage(project, all, {}, 0, 1, 10).at(0).text, std::string("日本語のテキスト😀で"));
        QCOMPARE(page[1].text, std::string("100% sur"));
        QVERIFY(page[1].hasTextPair);
        QCOMPARE(page[2].text, std::string("a_b"));
        QVERIFY(!page[2].textTruncated);

        ExampleFilter search = all;
        search.text = "_";
        QCOMPARE(matchingIds(project, search, {}), (std::vector<std::int64_t>{page[2].id}));
        search.text = "0%";
        QCOMPARE(matchingIds(project, search, {}), (std::vector<std::int64_t>{page[1].id}));
        search.text = "\\";
        QCOMPARE(matchingIds(project, search, {}), (std::vector<std::int64_t>{page[4].id}));
        search.text = "テキスト😀";
        QCOMPARE(matchingIds(project, search, {}), (std::vector<std::int64_t>{page[0].id}));
        search.text = "'; DROP TABLE examples; --";
        QCOMPARE(countExamples(project, search), std::int64_t{0});

        // fetchRows keeps the order asked for and skips ids that are gone.
        const std::vector<std::int64_t> wanted = {page[3].id, 424242, page[0].id};
        const auto picked = fetchRows(project, wanted, 3);
        QCOMPARE(picked.size(), std::size_t{2});
        QCOMPARE(picked[0].text, std::string("axb"));
        QCOMPARE(picked[1].text, std::string("日本語"));
    }
};

FT_REGISTER_TEST(ExampleQueryTest);

#include "tst_example_query.moc"
