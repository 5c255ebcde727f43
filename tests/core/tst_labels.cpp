// tst_labels.cpp: label add/rename/merge/delete with their previews, bulk
// relabelling, per-split counts, and hostile label names kept as plain data.
#include "common/error.h"
#include "store/dataset_stats.h"
#include "store/datasets.h"
#include "store/labels.h"
#include "store/project.h"
#include "store/sqlite.h"
#include "tempproject.h"
#include "testhelpers.h"
#include "testregistry.h"

#include <QTemporaryDir>
#include <QTest>

#include <map>

namespace fs = std::filesystem;
using namespace ft;
using ft::test::toPath;

namespace {

Example row(const std::string &text, std::optional<std::string> label, const std::string &split)
{
    Example example;
    example.text = text;
    example.label = std::move(label);
    example.split = split;
    return example;
}

// a: train 2, validation 1; b: train 1, test 1; c: unassigned 1; unlabelled: train 1, unassigned 1.
std::int64_t makeDataset(Project &project, const std::string &name = "d")
{
    const std::int64_t id = createDataset(project, name, "test");
    const std::vector<Example> rows = {
        row("one", "a", "train"),      row("two", "b", "train"),     row("three", "a", "validation"),
        row("four", std::nullopt, "train"), row("five", "a", "train"), row("six", "b", "test"),
        row("seven", "c", "unassigned"),    row("eight", std::nullopt, "unassigned"),
    };
    addExamples(project, id, rows);
    return id;
}

// Each example's label (or "-") in id order, as one string: "a b a - a b c -".
QString labelsInOrder(Project &project, std::int64_t datasetId)
{
    QStringList names;
    for (const Example &e : examples(project, datasetId, 0, 1000))
        names << QString::fromStdString(e.label.value_or("-"));
    return names.join(QLatin1Char(' '));
}

QString labelNames(Project &project, std::int64_t datasetId)
{
    QStringList names;
    for (const Label &label : listLabels(project, datasetId))
        names << QString::fromStdString(label.name) + QLatin1Char('@') + QString::number(label.position);
    return names.join(QLatin1Char(' '));
}

std::vector<std::int64_t> exampleIds(Project &project, std::int64_t datasetId)
{
    std::vector<std::int64_t> ids;
    for (const Example &e : examples(project, datasetId, 0, 1000))
        ids.push_back(e.id);
    return ids;
}

void compareCounts(const SplitCounts &actual, std::int64_t train, std::int64_t validation, std::int64_t test,
                   std::int64_t unassigned, const std::source_location &where = std::source_location::current())
{
    const QString got = QStringLiteral("%1 %2 %3 %4").arg(actual.train).arg(actual.validation).arg(actual.test).arg(actual.unassigned);
    const QString want = QStringLiteral("%1 %2 %3 %4").arg(train).arg(validation).arg(test).arg(unassigned);
    QTest::qCompare(got, want, "counts", "expected", where.file_name(), static_cast<int>(where.line()));
}

} // namespace

class LabelsTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void breakdownCountsEveryLabelPerSplit()
    {
        QTemporaryDir dir;
        Project project = Project::create(toPath(dir.path()));
        const std::int64_t id = makeDataset(project);
        const Label added = addLabel(project, id, "d");
        QCOMPARE(added.position, std::int64_t{3});
        QCOMPARE(labelNames(project, id), QStringLiteral("a@0 b@1 c@2 d@3"));

        const LabelBreakdown breakdown = labelBreakdown(project, id);
        QCOMPARE(breakdown.labels.size(), std::size_t{4});
        QCOMPARE(breakdown.labels[0].label.name, std::string("a"));
        compareCounts(breakdown.labels[0].counts, 2, 1, 0, 0);
        compareCounts(breakdown.labels[1].counts, 1, 0, 1, 0);
        compareCounts(breakdown.labels[2].counts, 0, 0, 0, 1);
        QCOMPARE(breakdown.labels[3].label.id, added.id);
        compareCounts(breakdown.labels[3].counts, 0, 0, 0, 0);
        compareCounts(breakdown.unlabelled, 1, 0, 0, 1);
    }

    void addRefusesBadAndTakenNames()
    {
        QTemporaryDir dir;
        Project project = Project::create(toPath(dir.path()));
        const std::int64_t id = makeDataset(project);
        FT_VERIFY_ERROR(addLabel(project, id, "a"), ErrorKind::InvalidInput, "already has a label 'a'");
        FT_VERIFY_ERROR(addLabel(project, id, ""), ErrorKind::InvalidInput, "cannot be empty");
        FT_VERIFY_ERROR(addLabel(project, id, " x"), ErrorKind::InvalidInput, "whitespace");
        FT_VERIFY_ERROR(addLabel(project, id, "x\n"), ErrorKind::InvalidInput, "whitespace");
        FT_VERIFY_ERROR(addLabel(project, 999, "x"), ErrorKind::NotFound, "no dataset with id 999");
        FT_VERIFY_ERROR(requireLabel(project, id, "zz"), ErrorKind::NotFound, "has no label 'zz'",
                        "its labels: 'a', 'b', 'c'");
        QCOMPARE(labelNames(project, id), QStringLiteral("a@0 b@1 c@2"));
    }

    void renameKeepsExamplesAndRefusesATakenName()
    {
        QTemporaryDir dir;
        Project project = Project::create(toPath(dir.path()));
        const std::int64_t id = makeDataset(project);
        const Label a = requireLabel(project, id, "a");

        const LabelChangeImpact impact = previewRename(project, id, a.id, "alpha");
        QCOMPARE(impact.change, LabelChange::Rename);
        compareCounts(impact.examples, 2, 1, 0, 0);
        QCOMPARE(QString::fromStdString(impact.describe()),
                 QStringLiteral("label 'a' will be renamed to 'alpha'; its 3 examples (train 2, validation 1, test 0, "
                                "unassigned 0) keep it."));
        renameLabel(project, id, a.id, "alpha");
        QCOMPARE(labelsInOrder(project, id), QStringLiteral("alpha b alpha - alpha b c -"));
        QCOMPARE(labelNames(project, id), QStringLiteral("alpha@0 b@1 c@2"));

        FT_VERIFY_ERROR(renameLabel(project, id, a.id, "b"), ErrorKind::InvalidInput, "already has a label 'b'",
                        "merge the labels instead");
        FT_VERIFY_ERROR(previewRename(project, id, a.id, "b"), ErrorKind::InvalidInput, "merge");
        FT_VERIFY_ERROR(renameLabel(project, id, a.id, ""), ErrorKind::InvalidInput, "empty");
        FT_VERIFY_ERROR(renameLabel(project, id, 12345, "z"), ErrorKind::NotFound, "no label with id 12345");
        renameLabel(project, id, a.id, "alpha"); // to its own name: nothing to do
        QCOMPARE(labelsInOrder(project, id), QStringLiteral("alpha b alpha - alpha b c -"));
    }

    void mergeMovesExamplesAndRemovesSources()
    {
        QTemporaryDir dir;
        Project project = Project::create(toPath(dir.path()));
        const std::int64_t id = makeDataset(project);
        const Label a = requireLabel(project, id, "a");
        const Label b = requireLabel(project, id, "b");
        const Label c = requireLabel(project, id, "c");

        const std::vector<std::int64_t> sources = {a.id, c.id, a.id};
        const LabelChangeImpact impact = previewMerge(project, id, sources, b.id);
        QCOMPARE(impact.change, LabelChange::Merge);
        QCOMPARE(impact.labels, (std::vector<std::string>{"a", "c"}));
        QCOMPARE(impact.target, std::string("b"));
        compareCounts(impact.examples, 2, 1, 0, 1);
        QCOMPARE(QString::fromStdString(impact.describe()),
                 QStringLiteral("4 examples (train 2, validation 1, test 0, unassigned 1) will move from 'a', 'c' to "
                                "'b'; labels 'a', 'c' will be removed."));
        // The preview changed nothing.
        QCOMPARE(labelsInOrder(project, id), QStringLiteral("a b a - a b c -"));

        mergeLabels(project, id, sources, b.id);
        QCOMPARE(labelsInOrder(project, id), QStringLiteral("b b b - b b b -"));
        QCOMPARE(labelNames(project, id), QStringLiteral("b@1"));
        compareCounts(labelBreakdown(project, id).labels.at(0).counts, 3, 1, 1, 1);
    }

    void mergeRefusesAndChangesNothing()
    {
        QTemporaryDir dir;
        Project project = Project::create(toPath(dir.path()));
        const std::int64_t id = makeDataset(project);
        const std::int64_t other = makeDataset(project, "other");
        const Label a = requireLabel(project, id, "a");
        const Label b = requireLabel(project, id, "b");
        const Label otherA = requireLabel(project, other, "a");

        const std::vector<std::int64_t> withSelf = {a.id, b.id};
        FT_VERIFY_ERROR(mergeLabels(project, id, withSelf, b.id), ErrorKind::InvalidInput, "'b' into itself");
        const std::vector<std::int64_t> foreign = {a.id, otherA.id};
        FT_VERIFY_ERROR(mergeLabels(project, id, foreign, b.id), ErrorKind::NotFound, "has no label with id");
        FT_VERIFY_ERROR(previewMerge(project, id, foreign, b.id), ErrorKind::NotFound, "has no label with id");
        FT_VERIFY_ERROR(mergeLabels(project, id, {}, b.id), ErrorKind::InvalidInput, "at least one label");
        QCOMPARE(labelsInOrder(project, id), QStringLiteral("a b a - a b c -"));
        QCOMPARE(labelNames(project, id), QStringLiteral("a@0 b@1 c@2"));
        QCOMPARE(labelsInOrder(project, other), QStringLiteral("a b a - a b c -"));
    }

    void deleteUnlabelsItsExamples()
    {
        QTemporaryDir dir;
        Project project = Project::create(toPath(dir.path()));
        const std::int64_t id = makeDataset(project);
        const Label a = requireLabel(project, id, "a");

        const LabelChangeImpact impact = previewDelete(project, id, a.id);
        compareCounts(impact.examples, 2, 1, 0, 0);
        QCOMPARE(QString::fromStdString(impact.describe()),
                 QStringLiteral("3 examples (train 2, validation 1, test 0, unassigned 0) will become unlabelled; "
                                "label 'a' will be removed."));
        deleteLabel(project, id, a.id);
        QCOMPARE(labelsInOrder(project, id), QStringLiteral("- b - - - b c -"));
        QCOMPARE(labelNames(project, id), QStringLiteral("b@1 c@2"));
        QCOMPARE(project.database().queryInt("SELECT count(*) FROM examples"), std::int64_t{8});
        compareCounts(labelBreakdown(project, id).unlabelled, 3, 1, 0, 1);
        FT_VERIFY_ERROR(deleteLabel(project, id, a.id), ErrorKind::NotFound, "no label with id");

        // One example, in the singular.
        const Label c = requireLabel(project, id, "c");
        QCOMPARE(QString::fromStdString(previewDelete(project, id, c.id).describe()),
                 QStringLiteral("1 example (train 0, validation 0, test 0, unassigned 1) will become unlabelled; "
                                "label 'c' will be removed."));
    }

    void setLabelRelabelsInBulkAllOrNothing()
    {
        QTemporaryDir dir;
        Project project = Project::create(toPath(dir.path()));
        const std::int64_t id = makeDataset(project);
        const std::int64_t other = makeDataset(project, "other");
        const std::vector<std::int64_t> ids = exampleIds(project, id);
        const Label c = requireLabel(project, id, "c");

        const std::vector<std::int64_t> some = {ids[0], ids[1], ids[3]};
        setLabel(project, some, c.id);
        QCOMPARE(labelsInOrder(project, id), QStringLiteral("c c a c a b c -"));
        const std::vector<std::int64_t> two = {ids[2], ids[6]};
        setLabel(project, two, std::nullopt);
        QCOMPARE(labelsInOrder(project, id), QStringLiteral("c c - c a b - -"));
        const auto before = labelIdsOf(project, ids);
        QCOMPARE(before[0], std::optional(c.id));
        QCOMPARE(before[2], std::optional<std::int64_t>());

        // A missing example or a label of another dataset: nothing changes.
        const std::vector<std::int64_t> withMissing = {ids[7], 999999};
        FT_VERIFY_ERROR(setLabel(project, withMissing, c.id), ErrorKind::NotFound, "example 999999");
        FT_VERIFY_ERROR(setLabel(project, withMissing, std::nullopt), ErrorKind::NotFound, "example 999999");
        const std::vector<std::int64_t> last = {ids[7]};
        FT_VERIFY_ERROR(setLabel(project, last, requireLabel(project, other, "a").id), ErrorKind::NotFound,
                        "is not of its dataset");
        QCOMPARE(labelsInOrder(project, id), QStringLiteral("c c - c a b - -"));
        QCOMPARE(labelsInOrder(project, other), QStringLiteral("a b a - a b c -"));
        FT_VERIFY_ERROR(labelIdsOf(project, withMissing), ErrorKind::NotFound, "example 999999");
    }

    void statsSumUpTheDataset()
    {
        QTemporaryDir dir;
        Project project = Project::create(toPath(dir.path()));
        const std::int64_t id = makeDataset(project);
        const DatasetStats stats = datasetStats(project, id);
        QCOMPARE(stats.name, std::string("d"));
        QCOMPARE(stats.rows, std::int64_t{8});
        compareCounts(stats.splits, 4, 1, 1, 2);
        QCOMPARE(stats.labels.labels.size(), std::size_t{3});
        compareCounts(stats.labels.labels[1].counts, 1, 0, 1, 0);
        compareCounts(stats.labels.unlabelled, 1, 0, 0, 1);
        QCOMPARE(stats.withTextPair, std::int64_t{0});
        QCOMPARE(stats.textLength.min, std::int64_t{3});
        QCOMPARE(stats.textLength.max, std::int64_t{5});
        QCOMPARE(stats.textLength.mean, 4.0); // 32 code points over 8 texts

        // Code points, not bytes; an empty dataset is all zeros; a missing one is NotFound.
        const std::int64_t wide = createDataset(project, "wide", "test");
        const std::vector<Example> rows = {{0, "日本語", std::string("p"), std::nullopt, "test", {}, {}},
                                           {0, "😀", std::nullopt, std::nullopt, "test", {}, {}}};
        addExamples(project, wide, rows);
        const DatasetStats wideStats = datasetStats(project, wide);
        QCOMPARE(wideStats.textLength.min, std::int64_t{1});
        QCOMPARE(wideStats.textLength.max, std::int64_t{3});
        QCOMPARE(wideStats.textLength.mean, 2.0);
        QCOMPARE(wideStats.withTextPair, std::int64_t{1});
        compareCounts(wideStats.splits, 0, 0, 2, 0);
        const DatasetStats empty = datasetStats(project, createDataset(project, "empty", "test"));
        QCOMPARE(empty.rows, std::int64_t{0});
        QCOMPARE(empty.textLength.max, std::int64_t{0});
        QCOMPARE(empty.textLength.mean, 0.0);
        FT_VERIFY_ERROR(datasetStats(project, 777), ErrorKind::NotFound, "no dataset with id 777");
    }

    void hostileLabelNamesAreData()
    {
        QTemporaryDir dir;
        Project project = Project::create(toPath(dir.path()));
        const std::int64_t id = makeDataset(project);
        const std::string evil = "'); DROP TABLE examples;--";
        const Label added = addLabel(project, id, evil);
        QCOMPARE(findLabel(project, id, evil)->id, added.id);
        const std::vector<std::int64_t> first = {exampleIds(project, id)[0]};
        setLabel(project, first, added.id);
        const std::string evil2 = "x\" OR 1=1; DELETE FROM labels; --";
        renameLabel(project, id, added.id, evil2);
        const Label a = requireLabel(project, id, "a");
        const std::vector<std::int64_t> sources = {a.id};
        QVERIFY(previewMerge(project, id, sources, added.id).describe().find("to '" + evil2 + "'") != std::string::npos);
        mergeLabels(project, id, sources, added.id);
        const QString name = QString::fromStdString(evil2);
        QCOMPARE(labelsInOrder(project, id), QStringLiteral("%1 b %1 - %1 b c -").arg(name));
        QCOMPARE(project.database().queryInt("SELECT count(*) FROM examples"), std::int64_t{8});
        QCOMPARE(project.database().queryInt("SELECT count(*) FROM labels"), std::int64_t{3});
        FT_VERIFY_ERROR(requireLabel(project, id, evil), ErrorKind::NotFound, "has no label");
        deleteLabel(project, id, added.id);
        QCOMPARE(labelsInOrder(project, id), QStringLiteral("- b - - - b c -"));
        QCOMPARE(QString::fromStdString(project.integrityCheck()), QStringLiteral("ok"));
    }
};

FT_REGISTER_TEST(LabelsTest);

#include "tst_labels.moc"
