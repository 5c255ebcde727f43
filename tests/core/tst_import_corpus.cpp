// tst_import_corpus.cpp: the import's exact report on a corpus of malformed
// and awkward inputs (tests/data/import-corpus, described case by case in its
// manifest.json): how many rows are kept, every rejected row with its file,
// line and reason, the duplicate count, and the kept rows themselves in
// order. Inputs too big to commit, and symbolic links, are made here.
// Set FT_CORPUS_DUMP=1 to print each case's actual report as manifest JSON.
#include "common/error.h"
#include "data/dataset_import.h"
#include "store/datasets.h"
#include "store/project.h"
#include "tempproject.h"
#include "testhelpers.h"
#include "testregistry.h"

#include <QTemporaryDir>
#include <QTest>

#include <nlohmann/json.hpp>

#include <fstream>

namespace fs = std::filesystem;
using namespace ft;
using nlohmann::json;
using ft::test::toPath;

namespace {

const fs::path kCorpus = fs::path(FT_TEST_DATA_DIR) / "import-corpus";

std::string replaced(std::string text, const std::string &from, const std::string &to)
{
    for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
        text.replace(at, from.size(), to);
    return text;
}

// Files too big to commit.
void generate(const std::string &kind, const fs::path &file)
{
    std::ofstream out(file, std::ios::binary);
    if (kind == "ten_mb_single_line") {
        out << std::string(10 * 1024 * 1024, 'a'); // no line end at all
    } else if (kind == "over_long_record") {
        out << "text,label\nbefore,a\n" << std::string(17 * 1024 * 1024, 'b') << ",a\nafter,b\n";
    } else if (kind == "ten_mb_json_line") {
        out << "{\"text\": \"" << std::string(10 * 1024 * 1024, 'c') << "\", \"label\": 1}\n{\"text\": \"short\"}\n";
    }
}

ImportOptions optionsFor(const json &spec)
{
    ImportOptions options;
    options.datasetName = "corpus";
    const json o = spec.value("options", json::object());
    if (o.contains("format"))
        options.read.format = parseFileFormat(o["format"]);
    if (o.contains("encoding"))
        options.read.encoding = parseEncoding(o["encoding"]);
    options.read.hasHeader = o.value("header", true);
    options.read.quoting = o.value("quoting", true);
    if (o.contains("labels"))
        options.labels = o["labels"].get<std::vector<std::string>>();
    const json columns = o.value("columns", json::object());
    options.columns.text = columns.value("text", "");
    options.columns.textPair = columns.value("text_pair", "");
    options.columns.label = columns.value("label", "");
    options.columns.split = columns.value("split", "");
    options.columns.image = columns.value("image", "");
    return options;
}

// What a kept row is, for comparison: its text (or, for a long one, its
// length), its image path, and its label.
std::string describe(const Example &example)
{
    std::string text = example.text.size() > 200 ? "#len:" + std::to_string(example.text.size()) : example.text;
    if (example.textB)
        text += " || " + *example.textB;
    if (example.imagePath)
        text = (text.empty() ? "" : text + " ") + "@" + *example.imagePath;
    return text + " -> " + example.label.value_or("(none)");
}

} // namespace

class ImportCorpusTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void cases_data()
    {
        QTest::addColumn<QByteArray>("spec");
        const json manifest = ft::test::readJsonFile(kCorpus / "manifest.json");
        for (const json &spec : manifest["cases"])
            QTest::newRow(spec["name"].get<std::string>().c_str()) << QByteArray::fromStdString(spec.dump());
    }

    void cases()
    {
        QFETCH(QByteArray, spec);
        const json c = json::parse(spec.toStdString());
        QTemporaryDir dir;
        ImportOptions options = optionsFor(c);

        // The input: from the corpus as it is, or a copy (with the links the
        // case asks for), or generated.
        fs::path input = kCorpus / c.value("input", "");
        if (c.contains("generate")) {
            input = toPath(dir.filePath(QString::fromStdString(c["input"].get<std::string>())));
            generate(c["generate"], input);
        } else if (c.contains("symlinks")) {
            const fs::path copy = toPath(dir.filePath("input"));
            fs::copy(input, copy, fs::copy_options::recursive);
            input = copy;
            for (const json &link : c["symlinks"]) {
                const std::string target = replaced(link["target"], "{outside}", dir.path().toStdString());
                if (link.value("make_target", false))
                    std::ofstream(target) << "outside the imported folder\n";
                fs::create_symlink(target, input / link["path"].get<std::string>());
            }
        }
        options.file = input;
        const auto expand = [&](std::string text) {
            text = replaced(text, "{input}", input.string());
            text = replaced(text, "{corpus}", kCorpus.string());
            return replaced(text, "{outside}", dir.path().toStdString());
        };

        Project project = Project::create(toPath(dir.filePath("project")));
        if (c.contains("error")) {
            FT_VERIFY_ERROR(importDataset(project, options), ErrorKind::InvalidInput,
                            QString::fromStdString(expand(c["error"])));
            QCOMPARE(listDatasets(project).size(), size_t{0});
            return;
        }
        ImportResult result;
        try {
            result = importDataset(project, options);
        } catch (const Error &e) {
            QFAIL(qPrintable(QStringLiteral("unexpected error: ") + QString::fromUtf8(e.what())));
        }

        json actual = {{"imported", result.rows}, {"duplicates", result.duplicateCount}};
        json rejected = json::array();
        for (const RowError &error : result.errors) {
            json entry = {{"line", error.line}, {"reason", error.reason}};
            if (error.file != input.string())
                entry["file"] = fs::path(error.file).lexically_relative(input).generic_string();
            rejected.push_back(entry);
        }
        actual["rejected"] = rejected;
        json kept = json::array();
        for (const Example &example : examples(project, result.datasetId, 0, 1000))
            kept.push_back(describe(example));
        actual["kept"] = kept;
        if (qEnvironmentVariableIsSet("FT_CORPUS_DUMP"))
            qInfo("%s", actual.dump().c_str());

        QCOMPARE(result.errorCount, std::int64_t(result.errors.size()));
        QCOMPARE(result.rows, c["imported"].get<std::int64_t>());
        json expectedRejected = json::array();
        for (json entry : c["rejected"]) {
            entry["reason"] = expand(entry["reason"]);
            expectedRejected.push_back(entry);
        }
        QCOMPARE(QString::fromStdString(rejected.dump(2)), QString::fromStdString(expectedRejected.dump(2)));
        QCOMPARE(result.duplicateCount, c["duplicates"].get<std::int64_t>());
        QCOMPARE(QString::fromStdString(kept.dump(2)), QString::fromStdString(c["kept"].dump(2)));
        if (c.contains("format"))
            QCOMPARE(result.format, c["format"].get<std::string>());
        if (c.contains("encoding"))
            QCOMPARE(result.encoding, c["encoding"].get<std::string>());
        // Nothing kept: nothing created.
        QCOMPARE(listDatasets(project).size(), size_t(result.rows > 0 ? 1 : 0));
    }
};

FT_REGISTER_TEST(ImportCorpusTest);

#include "tst_import_corpus.moc"
