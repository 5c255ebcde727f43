// tst_pickle_checkpoint.cpp: the pickle rule (models/pickle_checkpoint.h).
// Safetensors win over a pytorch_model.bin beside them, which is never
// opened; a folder whose only weights are a pickle is refused by every load
// that was not asked for one; the one-time conversion keeps every tensor bit
// for bit and leaves the source folder as it was, or makes nothing.
#include "common/error.h"
#include "models/checkpoint.h"
#include "models/model_info.h"
#include "models/model_validation.h"
#include "models/pickle_checkpoint.h"
#include "models/pytorch_bin.h"
#include "models/safetensors.h"
#include "models/state_dict_pickle.h"
#include "tempproject.h"
#include "testhelpers.h"
#include "testregistry.h"

#include <ATen/ATen.h>

#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>

namespace fs = std::filesystem;
using namespace ft;
using ft::test::folderListing;
using ft::test::readBytes;
using ft::test::toPath;
using ft::test::writeBytes;

namespace {

const fs::path kGolden = fs::path(FT_SHARED_DIR) / "golden";
const fs::path kMain = kGolden / "tiny-bert-uncased";
const fs::path kLegacyBin = kGolden / "tiny-bert-uncased-legacy-bin";
// Not a zip archive: any attempt to read it as a pickle fails loudly.
const QByteArray kNotAPickle("this is not a torch.save archive; reading it fails");

// A copy of `from`'s files, less those named in `skip`.
fs::path copyFolder(const fs::path &from, const fs::path &to, std::initializer_list<const char *> skip = {})
{
    fs::create_directories(to);
    for (const auto &entry : fs::directory_iterator(from)) {
        const std::string name = entry.path().filename().string();
        if (std::none_of(skip.begin(), skip.end(), [&](const char *s) { return name == s; }))
            fs::copy_file(entry.path(), to / name);
    }
    return to;
}

// Every entry, hidden ones (a staging folder) included, sorted.
QStringList allEntries(const fs::path &folder)
{
    QStringList names;
    for (const auto &entry : fs::directory_iterator(folder))
        names << QString::fromStdString(entry.path().filename().string());
    names.sort();
    return names;
}

bool sameBits(const at::Tensor &a, const at::Tensor &b)
{
    if (a.scalar_type() != b.scalar_type() || a.sizes() != b.sizes())
        return false;
    const at::Tensor x = a.contiguous(), y = b.contiguous();
    return std::memcmp(x.data_ptr(), y.data_ptr(), x.numel() * x.element_size()) == 0;
}

bool sameState(const BertForSequenceClassification &a, const BertForSequenceClassification &b)
{
    const TensorMap x = bertStateDict(*a), y = bertStateDict(*b);
    if (x.size() != y.size())
        return false;
    for (const auto &[name, tensor] : x)
        if (!y.count(name) || !sameBits(tensor, y.at(name)))
            return false;
    return true;
}

} // namespace

class PickleCheckpointTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    // A folder with both: every reader takes the safetensors; the .bin, which
    // would fail to parse, is never opened.
    void safetensorsWinAndTheBinIsNeverRead()
    {
        QTemporaryDir dir;
        const fs::path folder = copyFolder(kMain, toPath(dir.filePath("both")), {"pytorch_model.bin"});
        writeBytes(folder / kPickleWeightsName, kNotAPickle);

        const LoadedBert loaded = loadBert(folder);
        QCOMPARE(loaded.report.files, std::vector<std::string>{(folder / "model.safetensors").string()});
        QVERIFY(sameState(loaded.model, loadBert(kMain).model));
        QVERIFY(readCheckpointTensors(folder).source.ends_with("model.safetensors"));
        QCOMPARE(inspectModelFolder(folder).weightsFormat, std::string("safetensors"));
        const ModelValidation validation = validateModelFolder(folder);
        QVERIFY(validation.weightsLoaded);
        QCOMPARE(validation.report.files, std::vector<std::string>{(folder / "model.safetensors").string()});
        QVERIFY(!hasOnlyPickleWeights(folder));
        // Asked for by name, the .bin is read, and fails: proof the loads above did not touch it.
        LoadOptions bin;
        bin.format = WeightsFormat::PytorchBin;
        FT_VERIFY_ERROR(loadBert(folder, bin), ErrorKind::InvalidInput, "not a torch.save zip archive");
    }

    // A pickle-only folder: refused without being opened (a .bin that cannot
    // parse gets the refusal, not a parse error); read only when asked for.
    void pickleOnlyFoldersAreRefused()
    {
        QVERIFY(hasOnlyPickleWeights(kLegacyBin));
        const QString file = QString::fromStdString((kLegacyBin / kPickleWeightsName).string());
        FT_VERIFY_ERROR(loadBert(kLegacyBin), ErrorKind::Incompatible, file, "pickle", "--allow-pickle",
                        "model.safetensors");
        FT_VERIFY_ERROR(readCheckpointTensors(kLegacyBin), ErrorKind::Incompatible, file, "pickle");
        FT_VERIFY_ERROR(validateModelFolder(kLegacyBin), ErrorKind::Incompatible, file, "pickle");

        QTemporaryDir dir;
        const fs::path garbage = copyFolder(kLegacyBin, toPath(dir.filePath("garbage")), {"pytorch_model.bin"});
        writeBytes(garbage / kPickleWeightsName, kNotAPickle);
        FT_VERIFY_ERROR(loadBert(garbage), ErrorKind::Incompatible, "pickle");
        FT_VERIFY_ERROR(validateModelFolder(garbage), ErrorKind::Incompatible, "pickle");

        LoadOptions consent;
        consent.format = WeightsFormat::PytorchBin;
        QVERIFY(loadBert(kLegacyBin, consent).report.complete());
    }

    void conversionKeepsEveryTensorAndTheSource()
    {
        QTemporaryDir dir;
        const fs::path source = copyFolder(kLegacyBin, toPath(dir.filePath("source")));
        const QStringList sourceFiles = folderListing(source);
        const QByteArray sourceBin = readBytes(source / kPickleWeightsName);
        const fs::path target = toPath(dir.filePath("models/converted"));
        fs::create_directories(target.parent_path());

        bool checked = false;
        const PickleConversion conversion = convertPickleCheckpoint(source, target, [&](const fs::path &staged) {
            QVERIFY(staged != target && !fs::exists(target)); // checked before it is published
            QVERIFY(fs::exists(staged / "model.safetensors"));
            checked = true;
        });
        QVERIFY(checked);
        QCOMPARE(conversion.folder, target);
        QCOMPARE(conversion.source, source / kPickleWeightsName);
        QCOMPARE(folderListing(target),
                 (QStringList{"config.json", "finetune_conversion.json", "model.safetensors", "special_tokens_map.json",
                              "tokenizer.json", "tokenizer_config.json", "vocab.txt"}));
        QCOMPARE(allEntries(target.parent_path()), QStringList{"converted"}); // no staging left
        QCOMPARE(folderListing(source), sourceFiles);
        QCOMPARE(readBytes(source / kPickleWeightsName), sourceBin);
        QCOMPARE(readBytes(target / "config.json"), readBytes(source / "config.json"));

        // Every tensor under its stored name and dtype (the int64 position_ids too), bit for bit.
        const TensorMap fromBin = loadPytorchBin(source / kPickleWeightsName, at::ScalarType::Undefined);
        const TensorMap converted = loadSafetensors(target / "model.safetensors");
        QCOMPARE(converted.size(), fromBin.size());
        QCOMPARE(conversion.tensors, fromBin.size());
        for (const auto &[name, tensor] : fromBin)
            QVERIFY2(converted.count(name) && sameBits(converted.at(name), tensor), name.c_str());
        QCOMPARE(converted.at("bert.embeddings.position_ids").scalar_type(), at::kLong);

        // The converted folder loads as the pickle did, with no consent needed.
        LoadOptions consent;
        consent.format = WeightsFormat::PytorchBin;
        QVERIFY(sameState(loadBert(target).model, loadBert(source, consent).model));
        QVERIFY(validateModelFolder(target).weightsLoaded);
        const ConversionRecord record = conversionRecord(target);
        QCOMPARE(record.sourceFolder, source);
        QCOMPARE(record.sourceSha256, conversion.sourceSha256);
        QCOMPARE(record.sourceSha256.size(), std::size_t{64});
        QVERIFY(conversionRecord(source).sourceFolder.empty());
    }

    void failedConversionsLeaveNothing()
    {
        QTemporaryDir dir;
        const fs::path models = toPath(dir.filePath("models"));
        fs::create_directories(models);
        const fs::path source = copyFolder(kLegacyBin, toPath(dir.filePath("source")));

        // The check refuses the staged copy: its error names the source's files, and nothing is published.
        FT_VERIFY_ERROR(convertPickleCheckpoint(source, models / "a",
                                                [](const fs::path &staged) {
                                                    throw Error(ErrorKind::InvalidInput,
                                                                (staged / "model.safetensors").string() +
                                                                    ": tensor 'x' is wrong; see " +
                                                                    (staged / "config.json").string());
                                                }),
                        ErrorKind::InvalidInput,
                        QString::fromStdString((source / kPickleWeightsName).string()) + ": tensor 'x' is wrong",
                        QString::fromStdString((source / "config.json").string()));
        QVERIFY(allEntries(models).isEmpty());

        // A .bin that does not parse: named, nothing made.
        writeBytes(source / kPickleWeightsName, kNotAPickle);
        FT_VERIFY_ERROR(convertPickleCheckpoint(source, models / "b"), ErrorKind::InvalidInput,
                        QString::fromStdString((source / kPickleWeightsName).string()), "not a torch.save");
        QVERIFY(allEntries(models).isEmpty());

        // A broken config is found before the weights are read.
        const fs::path badConfig = copyFolder(kLegacyBin, toPath(dir.filePath("bad-config")));
        writeBytes(badConfig / "config.json", "{ \"model_type\": ");
        FT_VERIFY_ERROR(convertPickleCheckpoint(badConfig, models / "c"), ErrorKind::InvalidInput,
                        QString::fromStdString((badConfig / "config.json").string()));
        QVERIFY(allEntries(models).isEmpty());

        // An existing target is never overwritten.
        fs::create_directories(models / "taken");
        FT_VERIFY_ERROR(convertPickleCheckpoint(kLegacyBin, models / "taken"), ErrorKind::InvalidInput,
                        "already exists");
        QCOMPARE(allEntries(models), QStringList{"taken"});
        QVERIFY(allEntries(models / "taken").isEmpty());
    }

    // The pickles torch.save writes (the fuzz seeds, made by
    // tests/fuzz/make_pickle_seeds.py) parse, views and all.
    void stateDictPickleReadsTorchSaveOutput()
    {
        const fs::path corpus = fs::path(FT_TESTS_DIR) / "fuzz" / "corpus" / "state_dict_pickle";
        const auto parse = [&](const char *name) {
            std::ifstream in(corpus / name, std::ios::binary);
            const std::string bytes{std::istreambuf_iterator<char>(in), {}};
            return ft::parseStateDictPickle(bytes, name);
        };
        for (const char *name : {"dtypes.pkl", "empty_and_scalar.pkl", "linear_layernorm.pkl", "parameter.pkl",
                                 "position_ids.pkl"})
            QVERIFY2(!parse(name).empty(), name);
        const auto views = parse("shared_views.pkl");
        QCOMPARE(views.size(), std::size_t(4));
        for (const auto &view : views)
            QCOMPARE(view.storage.key, views[0].storage.key); // one storage, four views
        const auto find = [&](const std::string &name) {
            return *std::find_if(views.begin(), views.end(), [&](const auto &v) { return v.name == name; });
        };
        QCOMPARE(find("row").offset, std::int64_t(4));
        QVERIFY(find("row").contiguous);
        QCOMPARE(find("column").strides, std::vector<std::int64_t>({4}));
        QCOMPARE(find("column").offset, std::int64_t(2));
        QVERIFY(!find("column").contiguous);
        QCOMPARE(find("transposed").sizes, std::vector<std::int64_t>({4, 3}));
        QVERIFY(!find("transposed").contiguous);
        QCOMPARE(find("whole").numel, std::int64_t(12));

        // A view past its storage is refused before any byte is read.
        std::ifstream in(corpus / "shared_views.pkl", std::ios::binary);
        std::string bytes{std::istreambuf_iterator<char>(in), {}};
        // Each tensor's persistent id ('storage', FloatStorage, key, 'cpu', 12)
        // ends with the element count, BININT1 12, then TUPLE: shrink the
        // storage to 11 elements in all four.
        const std::string count("K\x0ct", 3);
        int shrunk = 0;
        for (auto at = bytes.find(count); at != std::string::npos; at = bytes.find(count, at + 1), ++shrunk)
            bytes[at + 1] = 11;
        QCOMPARE(shrunk, 4);
        try {
            ft::parseStateDictPickle(bytes, "short.pkl");
            QFAIL("a view past its storage was accepted");
        } catch (const ft::Error &e) {
            QVERIFY2(std::string(e.what()).find("reaches past the end of its storage") != std::string::npos, e.what());
        }
    }
};

FT_REGISTER_TEST(PickleCheckpointTest);

#include "tst_pickle_checkpoint.moc"
