// tst_fuzz_regressions.cpp: the fuzz targets of tests/fuzz in the normal
// build, so CI exercises them without clang: every seed of every corpus and
// every input that once crashed a target (tests/fuzz/regressions/<target>/)
// goes through the same harness and must end in success or a clean
// ft::Error. The other tests pin the error each fixed finding now gives.
#include "../fuzz/fuzz_targets.h"
#include "common/error.h"
#include "data/row_source.h"
#include "models/bert_config.h"
#include "models/safetensors_format.h"
#include "testhelpers.h"
#include "testregistry.h"
#include "text/tokenizer.h"

#include <QTest>

#include <algorithm>
#include <fstream>
#include <iterator>

namespace fs = std::filesystem;
using namespace ft;
using ft::test::expectError;

namespace {

const fs::path kFuzzDir = fs::path(FT_TESTS_DIR) / "fuzz";

std::vector<std::uint8_t> readBytes(const fs::path &file)
{
    std::ifstream in(file, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<fs::path> filesIn(const fs::path &folder)
{
    std::vector<fs::path> files;
    std::error_code ec;
    for (const auto &entry : fs::directory_iterator(folder, ec))
        if (entry.is_regular_file())
            files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    return files;
}

} // namespace

class FuzzRegressionsTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void everyTargetHasSeeds()
    {
        for (const fuzz::NamedTarget &target : fuzz::kTargets)
            QVERIFY2(!filesIn(kFuzzDir / "corpus" / target.name).empty(), target.name);
    }

    void harness_data()
    {
        QTest::addColumn<int>("target");
        QTest::addColumn<QString>("file");
        for (int i = 0; i < int(std::size(fuzz::kTargets)); ++i) {
            for (const char *kind : {"corpus", "regressions"}) {
                for (const fs::path &file : filesIn(kFuzzDir / kind / fuzz::kTargets[i].name)) {
                    const std::string row = std::string(kind) + "/" + fuzz::kTargets[i].name + "/"
                                            + file.filename().string();
                    QTest::newRow(row.c_str()) << i << QString::fromStdString(file.string());
                }
            }
        }
    }

    // Whatever the bytes, the parser answers with a result or ft::Error:
    // never another exception, a broken invariant or (under the sanitizers
    // of the fuzz build) a memory error.
    void harness()
    {
        QFETCH(int, target);
        QFETCH(QString, file);
        const std::vector<std::uint8_t> bytes = readBytes(file.toStdString());
        try {
            fuzz::kTargets[target].run(bytes);
        } catch (const std::exception &e) {
            QFAIL(qPrintable(QStringLiteral("%1 escaped with: %2").arg(file, QString::fromUtf8(e.what()))));
        }
    }

    // A number beyond a double (1e400) made nlohmann throw out_of_range,
    // which only parse_error handlers were waiting for: it escaped every JSON
    // reader. Now an import row error, or ft::Error naming the file.
    void numberOverflowIsBadJson()
    {
        const fs::path jsonl = kFuzzDir / "regressions/jsonl/number_overflow.jsonl";
        const auto source = openRowSource(jsonl, {});
        SourceRow row;
        QVERIFY(source->next(row));
        QVERIFY(row.error.empty());
        QVERIFY(source->next(row));
        QCOMPARE(row.line, std::int64_t{2});
        QCOMPARE(QString::fromStdString(row.error), QStringLiteral("not valid JSON: number overflow parsing '1e400'"));
        QVERIFY(!source->next(row));

        expectError([] { Tokenizer::fromTokenizerJson(kFuzzDir / "regressions/tokenizer_json/number_overflow.json"); },
                    ErrorKind::InvalidInput, {"number_overflow.json: invalid JSON", "1e400"});
        expectError([] { loadBertConfig(kFuzzDir / "regressions/bert_config/number_overflow.json"); },
                    ErrorKind::InvalidInput, {"number_overflow.json: invalid JSON", "1e400"});
    }

    // An empty first object ({}) gave no columns, so its row came back
    // "good" with no values while later rows had some: the importer then
    // read past the row's values. Its columns now read as "", and a file of
    // nothing but empty objects is refused.
    void emptyFirstJsonObject()
    {
        const auto source = openRowSource(kFuzzDir / "regressions/jsonl/empty_first_object.jsonl", {});
        QCOMPARE(source->columns(), (std::vector<std::string>{"text", "label"}));
        SourceRow row;
        QVERIFY(source->next(row));
        QVERIFY(row.error.empty());
        QCOMPARE(row.values, (std::vector<std::string>{"", ""}));
        QVERIFY(source->next(row));
        QCOMPARE(row.values, (std::vector<std::string>{"second", "1"}));

        expectError([] { openRowSource(kFuzzDir / "regressions/jsonl/only_empty_objects.json", {}); },
                    ErrorKind::InvalidInput, "only_empty_objects.json:1: no columns: every JSON object is empty");
    }

    // Absurd sizes in config.json made bertParameterCount (model info)
    // overflow int64, and a huge num_labels allocated a name per class.
    void configSizesAreBounded()
    {
        expectError([] { loadBertConfig(kFuzzDir / "regressions/bert_config/parameter_count_overflow.json"); },
                    ErrorKind::InvalidInput,
                    {"parameter_count_overflow.json", "key 'vocab_size' must be at most 16777216"});
        expectError([] { loadBertConfig(kFuzzDir / "regressions/bert_config/huge_num_labels.json"); },
                    ErrorKind::InvalidInput, {"huge_num_labels.json", "key 'num_labels' must be at most 1048576"});
    }

    // A zero-size tensor whose other dimensions multiply past int64
    // ([2^62, 3, 0]) passed the header check, then overflowed numel().
    void safetensorsShapeProductIsBounded()
    {
        expectError(
            [] { safetensors::readHeader(kFuzzDir / "regressions/safetensors/zero_size_numel_overflow.safetensors"); },
            ErrorKind::InvalidInput, {"zero_size_numel_overflow.safetensors", "tensor 't' has a shape too large"});
    }

    // JSON nested a few hundred thousand levels deep parsed, then overflowed
    // the stack in nlohmann's recursive dump() (error messages, nested
    // import cells, saved configs). Nesting past 512 levels is now refused
    // with its position, before parsing.
    void deepJsonIsRefused()
    {
        const fs::path regressions = kFuzzDir / "regressions";
        expectError([&] { safetensors::readHeader(regressions / "safetensors/deep_nesting.safetensors"); },
                    ErrorKind::InvalidInput, {"deep_nesting.safetensors", "nested deeper than 512 levels at line 1"});
        expectError([&] { loadBertConfig(regressions / "bert_config/deep_nesting.json"); }, ErrorKind::InvalidInput,
                    "deep_nesting.json: invalid JSON: nested deeper than 512 levels at line 1, column 544");
        expectError([&] { Tokenizer::fromTokenizerJson(regressions / "tokenizer_json/deep_nesting.json"); },
                    ErrorKind::InvalidInput, "deep_nesting.json: invalid JSON: nested deeper than 512 levels");
        const auto source = openRowSource(regressions / "jsonl/deep_nesting.jsonl", {});
        SourceRow row;
        QVERIFY(source->next(row) && row.error.empty());
        QVERIFY(source->next(row));
        QCOMPARE(QString::fromStdString(row.error),
                 QStringLiteral("not valid JSON: nested deeper than 512 levels at line 1, column 521"));

        // The depth that overflowed the stack, through every JSON target.
        const std::string deep = std::string(1'000'000, '[') + std::string(1'000'000, ']');
        const std::string texts[] = {"{\"text\": " + deep + "}\n", "{\"model_type\": \"bert\", \"x\": " + deep + "}",
                                     "{\"model\": " + deep + "}"};
        for (const std::string &text : texts) {
            const fuzz::Bytes bytes(reinterpret_cast<const std::uint8_t *>(text.data()), text.size());
            fuzz::fuzzJsonl(bytes);
            fuzz::fuzzBertConfig(bytes);
            fuzz::fuzzTokenizerJson(bytes);
        }
        std::string header = "{\"t\": {\"dtype\": \"F32\", \"shape\": " + deep + ", \"data_offsets\": [0, 0]}}";
        const std::uint64_t length = header.size();
        header.insert(0, reinterpret_cast<const char *>(&length), sizeof length);
        fuzz::fuzzSafetensors({reinterpret_cast<const std::uint8_t *>(header.data()), header.size()});
    }
};

FT_REGISTER_TEST(FuzzRegressionsTest);

#include "tst_fuzz_regressions.moc"
