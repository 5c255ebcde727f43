// tst_checkpoint.cpp: config.json, safetensors and pytorch_model.bin reading
// and writing, checkpoint loading (renames, prefixes, heads, shards), and
// the malformed files each reader must refuse with a precise error.
#include "common/error.h"
#include "models/bert_config.h"
#include "models/checkpoint.h"
#include "models/model_info.h"
#include "models/pytorch_bin.h"
#include "models/safetensors.h"
#include "models/safetensors_format.h"
#include "tempproject.h"
#include "testregistry.h"

#include <ATen/ATen.h>
#include <caffe2/serialize/inline_container.h>
#include <nlohmann/json.hpp>

#include <QTemporaryDir>
#include <QTest>

#include <cstring>
#include <functional>

namespace fs = std::filesystem;
using namespace ft;
using ft::test::readBytes;
using ft::test::toPath;
using ft::test::writeBytes;

namespace {

const fs::path kGolden = fs::path(FT_SHARED_DIR) / "golden";
const fs::path kMain = kGolden / "tiny-bert-uncased";

template <typename Call>
QString expectError(Call &&call, ErrorKind kind, const QStringList &needles)
{
    try {
        call();
    } catch (const Error &e) {
        const QString message = QString::fromStdString(e.what());
        if (int(e.kind()) != int(kind))
            return "wrong kind " + QString::number(int(e.kind())) + ": " + message;
        for (const QString &needle : needles)
            if (!message.contains(needle))
                return "message lacks '" + needle + "': " + message;
        return {};
    }
    return QStringLiteral("no ft::Error thrown");
}

#define EXPECT_ERROR(call, kind, ...)                                                                                  \
    do {                                                                                                               \
        const QString failure = expectError([&] { call; }, kind, QStringList{__VA_ARGS__});                           \
        QVERIFY2(failure.isEmpty(), qPrintable(failure));                                                              \
    } while (0)

bool sameBits(const at::Tensor &a, const at::Tensor &b)
{
    if (a.scalar_type() != b.scalar_type() || a.sizes() != b.sizes())
        return false;
    const at::Tensor x = a.contiguous(), y = b.contiguous();
    return std::memcmp(x.data_ptr(), y.data_ptr(), x.numel() * x.element_size()) == 0;
}

bool sameTensors(const TensorMap &a, const TensorMap &b)
{
    if (a.size() != b.size())
        return false;
    for (const auto &[name, tensor] : a) {
        const auto other = b.find(name);
        if (other == b.end() || !sameBits(tensor, other->second))
            return false;
    }
    return true;
}

// A copy of the golden safetensors file with its header JSON edited.
QByteArray editHeader(const QByteArray &file, const std::function<void(nlohmann::ordered_json &)> &edit)
{
    std::uint64_t length = 0;
    std::memcpy(&length, file.constData(), 8);
    auto header = nlohmann::ordered_json::parse(file.mid(8, qsizetype(length)).toStdString());
    edit(header);
    QByteArray text = QByteArray::fromStdString(header.dump());
    while (text.size() % 8)
        text.append(' ');
    std::uint64_t newLength = std::uint64_t(text.size());
    return QByteArray(reinterpret_cast<const char *>(&newLength), 8) + text + file.mid(8 + qsizetype(length));
}

QByteArray withLength(QByteArray file, std::uint64_t length)
{
    std::memcpy(file.data(), &length, 8);
    return file;
}

void copyFile(const fs::path &from, const fs::path &to)
{
    fs::copy_file(from, to, fs::copy_options::overwrite_existing);
}

// Pickle protocol 2 opcodes, enough to spell a state dict.
struct PickleWriter {
    std::string out = "\x80\x02";

    void op(const char *codes) { out += codes; }
    void text(const std::string &value)
    {
        const std::uint32_t size = std::uint32_t(value.size());
        out += 'X';
        out.append(reinterpret_cast<const char *>(&size), 4);
        out += value;
    }
    void integer(std::int32_t value)
    {
        out += 'J';
        out.append(reinterpret_cast<const char *>(&value), 4);
    }
    void ints(const std::vector<std::int32_t> &values)
    {
        out += '(';
        for (const std::int32_t value : values)
            integer(value);
        out += 't';
    }
    void global(const std::string &module, const std::string &name) { out += "c" + module + "\n" + name + "\n"; }
};

nlohmann::json readJson(const fs::path &file)
{
    return nlohmann::json::parse(readBytes(file).toStdString());
}

} // namespace

class CheckpointTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void realConfigsParse_data()
    {
        QTest::addColumn<QString>("folder");
        QTest::addColumn<qint64>("vocab");
        QTest::addColumn<int>("labels");
        QTest::newRow("bert-base-uncased") << QString(FT_SHARED_DIR "/data/tokenizers/bert-base-uncased") << 30522LL << 2;
        QTest::newRow("bert-base-chinese") << QString(FT_SHARED_DIR "/data/tokenizers/bert-base-chinese") << 21128LL << 2;
        QTest::newRow("tiny-bert-uncased") << QString::fromStdString(kMain.string()) << 1000LL << 3;
    }

    void realConfigsParse()
    {
        QFETCH(QString, folder);
        QFETCH(qint64, vocab);
        QFETCH(int, labels);
        const BertConfig config = loadBertConfig(toPath(folder));
        QCOMPARE(config.vocabSize, vocab);
        QCOMPARE(config.numLabels(), std::int64_t(labels));
        QCOMPARE(config.hiddenSize % config.numAttentionHeads, std::int64_t(0));
        QVERIFY(config.hiddenAct == HiddenAct::Gelu);
        QCOMPARE(config.layerNormEps, 1e-12);
        QVERIFY(!config.classifierDropout);
        // Fields we do not model survive a save.
        const nlohmann::json out = config.toJson();
        for (const auto &[key, value] : config.original.items())
            if (key != "id2label" && key != "label2id" && key != "num_labels")
                QVERIFY2(out.contains(key) && out[key] == value, key.c_str());
        QVERIFY(BertConfig::fromJson(out, "again").toJson() == out);
    }

    void tinyConfigLabels()
    {
        const BertConfig config = loadBertConfig(kMain);
        QCOMPARE(config.id2label, (std::vector<std::string>{"negative", "neutral", "positive"}));
        QCOMPARE(config.labelId("positive").value_or(-1), std::int64_t(2));
        QCOMPARE(config.problemType, std::string("single_label_classification"));
        QCOMPARE(config.toJson()["label2id"]["neutral"].get<int>(), 1);
        QCOMPARE(loadBertConfig(kGolden / "tiny-bert-uncased-gelu-new").hiddenAct, HiddenAct::GeluNew);
        QCOMPARE(loadBertConfig(kGolden / "tiny-bert-uncased-relu").hiddenAct, HiddenAct::Relu);
        QCOMPARE(loadBertConfig(kGolden / "tiny-bert-uncased-ln-eps").layerNormEps, 0.05);
    }

    void badConfigs_data()
    {
        QTest::addColumn<QString>("edit");
        QTest::addColumn<int>("kind");
        QTest::addColumn<QString>("needle");
        const int invalid = int(ErrorKind::InvalidInput), incompatible = int(ErrorKind::Incompatible);
        QTest::newRow("missing hidden_size") << "remove:hidden_size" << invalid << "'hidden_size'";
        QTest::newRow("missing vocab_size") << "remove:vocab_size" << invalid << "'vocab_size'";
        QTest::newRow("missing model_type") << "remove:model_type" << invalid << "'model_type'";
        QTest::newRow("roberta") << R"(set:model_type:"roberta")" << incompatible << "supported: bert";
        QTest::newRow("electra") << R"(set:model_type:"electra")" << incompatible << "not supported yet";
        QTest::newRow("silu") << R"(set:hidden_act:"silu")" << incompatible << "gelu, gelu_new, gelu_pytorch_tanh, relu";
        QTest::newRow("heads") << "set:num_attention_heads:5" << invalid << "'num_attention_heads'";
        QTest::newRow("string size") << R"(set:hidden_size:"32")" << invalid << "'hidden_size'";
        QTest::newRow("negative layers") << "set:num_hidden_layers:-1" << invalid << "'num_hidden_layers'";
        QTest::newRow("label2id mismatch") << R"(set:label2id:{"negative":0,"neutral":2,"positive":1})" << invalid
                                           << "'label2id'";
        QTest::newRow("id2label gap") << R"(set:id2label:{"0":"a","2":"b"})" << invalid << "'id2label'";
        QTest::newRow("relative positions") << R"(set:position_embedding_type:"relative_key")" << incompatible
                                            << "'position_embedding_type'";
        QTest::newRow("problem type") << R"(set:problem_type:"ranking")" << invalid << "'problem_type'";
        QTest::newRow("pad id") << "set:pad_token_id:1000" << invalid << "'pad_token_id'";
        QTest::newRow("not json") << "text:{\"model_type\": " << invalid << "invalid JSON";
        QTest::newRow("not an object") << "text:[1, 2]" << invalid << "JSON object";
    }

    void badConfigs()
    {
        QFETCH(QString, edit);
        QFETCH(int, kind);
        QFETCH(QString, needle);
        nlohmann::json config = readJson(kMain / "config.json");
        QByteArray text;
        const QString what = edit.section(':', 0, 0), key = edit.section(':', 1, 1), rest = edit.section(':', 2);
        if (what == "remove")
            config.erase(key.toStdString());
        else if (what == "set")
            config[key.toStdString()] = nlohmann::json::parse(rest.toStdString());
        text = what == "text" ? edit.section(':', 1).toUtf8() : QByteArray::fromStdString(config.dump(2));
        QTemporaryDir dir;
        const fs::path file = toPath(dir.filePath("config.json"));
        writeBytes(file, text);
        EXPECT_ERROR(loadBertConfig(file), ErrorKind(kind), QString::fromStdString(file.string()), needle);
        // The same through the model loader, with the weights next to it.
        copyFile(kMain / "model.safetensors", toPath(dir.filePath("model.safetensors")));
        EXPECT_ERROR(loadBert(toPath(dir.path())), ErrorKind(kind), QString::fromStdString(file.string()), needle);
    }

    void safetensorsRoundTripIsBitIdentical()
    {
        at::manual_seed(3);
        TensorMap tensors;
        tensors["a.f32"] = at::randn({3, 5});
        tensors["b.f16"] = at::randn({7}).to(at::kHalf);
        tensors["c.bf16"] = at::randn({2, 2, 3}).to(at::kBFloat16);
        tensors["d.i64"] = at::arange(10, at::kLong).view({1, 10});
        tensors["e.i32"] = at::arange(4, at::kInt);
        tensors["f.bool"] = at::arange(3).remainder(2).to(at::kBool);
        tensors["g.scalar"] = at::scalar_tensor(2.5);
        tensors["h.empty"] = at::empty({0, 4});
        tensors["i.u8"] = at::arange(5, at::kByte);
        QTemporaryDir dir;
        const fs::path file = toPath(dir.filePath("model.safetensors"));
        saveSafetensors(file, tensors, {{"format", "pt"}, {"note", "round trip"}});
        QVERIFY(!fs::exists(file.string() + ".tmp"));

        // Loading as each float type gives the stored bits back for that type.
        for (const at::ScalarType type : {at::kHalf, at::kBFloat16, at::kFloat, at::kDouble}) {
            const TensorMap loaded = loadSafetensors(file, type);
            QCOMPARE(loaded.size(), tensors.size());
            for (const auto &[name, tensor] : tensors) {
                const at::Tensor &got = loaded.at(name);
                if (at::isFloatingType(tensor.scalar_type()) && tensor.scalar_type() == type)
                    QVERIFY2(sameBits(got, tensor), name.c_str());
                else if (at::isFloatingType(tensor.scalar_type()) && type != at::kHalf && type != at::kBFloat16)
                    QVERIFY2(sameBits(got, tensor.to(type)), name.c_str()); // widening is exact
                else if (!at::isFloatingType(tensor.scalar_type()))
                    QVERIFY2(sameBits(got, tensor), name.c_str());
            }
        }
        const safetensors::Header header = safetensors::readHeader(file);
        QCOMPARE(header.dataStart % 8, std::uint64_t(0));
        QCOMPARE(header.metadata.at("note"), std::string("round trip"));
        // Wider dtypes first, as HF's writer orders them: the I64 tensor starts the data.
        for (const auto &info : header.tensors)
            if (info.name == "d.i64")
                QCOMPARE(info.begin, std::uint64_t(0));

        // Deterministic: the same tensors give the same bytes.
        const QByteArray first = readBytes(file);
        saveSafetensors(file, tensors, {{"format", "pt"}, {"note", "round trip"}});
        QCOMPARE(readBytes(file), first);

        // The golden F32 file written back is byte-for-byte the original.
        saveSafetensors(file, loadSafetensors(kMain / "model.safetensors"));
        QCOMPARE(readBytes(file), readBytes(kMain / "model.safetensors"));
    }

    void halfFilesWidenExactly()
    {
        const TensorMap f32 = loadSafetensors(kMain / "model.safetensors");
        for (const auto &[folder, type] : {std::pair{"tiny-bert-uncased-f16", at::kHalf},
                                           std::pair{"tiny-bert-uncased-bf16", at::kBFloat16}}) {
            const TensorMap narrow = loadSafetensors(kGolden / folder / "model.safetensors", type);
            const TensorMap wide = loadSafetensors(kGolden / folder / "model.safetensors");
            QCOMPARE(wide.size(), f32.size());
            for (const auto &[name, tensor] : wide) {
                QCOMPARE(tensor.scalar_type(), at::kFloat);
                QVERIFY(sameBits(tensor, narrow.at(name).to(at::kFloat)));
                QVERIFY(sameBits(narrow.at(name), f32.at(name).to(type))); // the file holds rounded F32 values
            }
        }
    }

    void malformedSafetensors_data()
    {
        QTest::addColumn<QString>("damage");
        QTest::addColumn<int>("kind");
        QTest::addColumn<QString>("needle");
        const int invalid = int(ErrorKind::InvalidInput);
        QTest::newRow("truncated") << "truncate" << invalid << "outside the data area";
        QTest::newRow("too short") << "short" << invalid << "too short";
        QTest::newRow("length beyond file") << "length" << invalid << "longer than the file";
        QTest::newRow("length over limit") << "huge" << invalid << "exceeds the limit";
        QTest::newRow("overlap") << "overlap" << invalid << "tensor 'bert.pooler.dense.bias' overlaps";
        QTest::newRow("outside") << "outside" << invalid << "tensor 'classifier.weight' has data_offsets";
        QTest::newRow("begin after end") << "reversed" << invalid << "tensor 'classifier.bias' has data_offsets";
        QTest::newRow("byte size") << "size" << invalid << "tensor 'bert.embeddings.LayerNorm.weight' holds 128";
        QTest::newRow("negative dim") << "negative" << invalid << "tensor 'bert.embeddings.LayerNorm.weight'";
        QTest::newRow("unknown dtype") << "dtype" << int(ErrorKind::Incompatible)
                                       << "tensor 'bert.embeddings.LayerNorm.bias' has the unsupported dtype 'F17'";
        QTest::newRow("invalid json") << "json" << invalid << "not valid JSON";
        QTest::newRow("not an object") << "array" << invalid << "not a JSON object";
        QTest::newRow("hole") << "hole" << invalid << "tensor 'bert.pooler.dense.bias' starts at byte";
        QTest::newRow("missing offsets") << "nooffsets" << invalid << "tensor 'classifier.bias' must have data_offsets";
        QTest::newRow("metadata") << "metadata" << invalid << "__metadata__";
    }

    void malformedSafetensors()
    {
        QFETCH(QString, damage);
        QFETCH(int, kind);
        QFETCH(QString, needle);
        const QByteArray golden = readBytes(kMain / "model.safetensors");
        const auto shift = [](nlohmann::ordered_json &entry, std::int64_t by) {
            auto &offsets = entry["data_offsets"];
            offsets = {offsets[0].get<std::int64_t>() + by, offsets[1].get<std::int64_t>() + by};
        };
        QByteArray bytes;
        if (damage == "truncate")
            bytes = golden.left(golden.size() * 6 / 10);
        else if (damage == "short")
            bytes = golden.left(5);
        else if (damage == "length")
            bytes = withLength(golden, std::uint64_t(golden.size()));
        else if (damage == "huge")
            bytes = withLength(golden, 200'000'000);
        else if (damage == "json")
            bytes = editHeader(golden, [](auto &) {}).replace("\"format\":\"pt\"}", "\"format\":\"pt\" ");
        else if (damage == "array") {
            bytes = QByteArray("[1, 2, 3]       ");
            bytes = withLength(QByteArray(8, '\0'), 16) + bytes + golden.mid(8 + 4376);
        } else {
            bytes = editHeader(golden, [&](nlohmann::ordered_json &h) {
                if (damage == "overlap")
                    shift(h["bert.pooler.dense.bias"], -4);
                else if (damage == "hole")
                    shift(h["bert.pooler.dense.bias"], 4);
                else if (damage == "outside")
                    shift(h["classifier.weight"], 1 << 20);
                else if (damage == "reversed")
                    h["classifier.bias"]["data_offsets"] = {h["classifier.bias"]["data_offsets"][1],
                                                            h["classifier.bias"]["data_offsets"][0]};
                else if (damage == "size")
                    h["bert.embeddings.LayerNorm.weight"]["shape"] = {31};
                else if (damage == "negative")
                    h["bert.embeddings.LayerNorm.weight"]["shape"] = {-32};
                else if (damage == "dtype")
                    h["bert.embeddings.LayerNorm.bias"]["dtype"] = "F17";
                else if (damage == "nooffsets")
                    h["classifier.bias"].erase("data_offsets");
                else if (damage == "metadata")
                    h["__metadata__"]["format"] = 3;
            });
        }
        QTemporaryDir dir;
        const fs::path file = toPath(dir.filePath("model.safetensors"));
        writeBytes(file, bytes);
        const QString path = QString::fromStdString(file.string());
        EXPECT_ERROR(loadSafetensors(file), ErrorKind(kind), path, needle);
        EXPECT_ERROR(safetensors::readHeader(file), ErrorKind(kind), path, needle);
        copyFile(kMain / "config.json", toPath(dir.filePath("config.json")));
        EXPECT_ERROR(loadBert(toPath(dir.path())), ErrorKind(kind), path, needle);
        EXPECT_ERROR(inspectModelFolder(toPath(dir.path())), ErrorKind(kind), path, needle);
    }

    void shapeMismatchAgainstConfig()
    {
        TensorMap tensors = loadSafetensors(kMain / "model.safetensors");
        tensors["classifier.weight"] = at::randn({5, 32});
        tensors["classifier.bias"] = at::zeros({5});
        QTemporaryDir dir;
        const fs::path folder = toPath(dir.path());
        saveSafetensors(folder / "model.safetensors", tensors);
        copyFile(kMain / "config.json", folder / "config.json");
        const QString path = QString::fromStdString((folder / "model.safetensors").string());
        EXPECT_ERROR(loadBert(folder), ErrorKind::InvalidInput, path, "tensor 'classifier.weight' has shape [5, 32]",
                     "[3, 32]");

        // HF's ignore_mismatched_sizes: a new head for a new label set.
        LoadOptions options;
        options.ignoreMismatchedSizes = true;
        const LoadedBert loaded = loadBert(folder, options);
        QCOMPARE(loaded.report.shapeMismatches.size(), std::size_t(2));
        QCOMPARE(loaded.report.initialized, (std::vector<std::string>{"classifier.weight", "classifier.bias"}));
        QCOMPARE(loaded.model->named_parameters()["classifier.bias"].abs().sum().item<double>(), 0.0);

        // A wrong encoder shape is never forgiven.
        tensors["bert.encoder.layer.1.intermediate.dense.weight"] = at::randn({65, 32});
        saveSafetensors(folder / "model.safetensors", tensors);
        EXPECT_ERROR(loadBert(folder, options), ErrorKind::InvalidInput, path,
                     "tensor 'bert.encoder.layer.1.intermediate.dense.weight' has shape [65, 32]");
    }

    void missingAndExtraEncoderTensors()
    {
        TensorMap tensors = loadSafetensors(kMain / "model.safetensors");
        QTemporaryDir dir;
        const fs::path folder = toPath(dir.path());
        copyFile(kMain / "config.json", folder / "config.json");
        const QString path = QString::fromStdString((folder / "model.safetensors").string());

        TensorMap missing = tensors;
        missing.erase("bert.encoder.layer.0.attention.self.key.bias");
        saveSafetensors(folder / "model.safetensors", missing);
        EXPECT_ERROR(loadBert(folder), ErrorKind::InvalidInput, path,
                     "missing tensor 'bert.encoder.layer.0.attention.self.key.bias'");

        TensorMap extra = tensors;
        extra["bert.encoder.layer.2.output.dense.bias"] = at::zeros({32});
        saveSafetensors(folder / "model.safetensors", extra);
        EXPECT_ERROR(loadBert(folder), ErrorKind::InvalidInput, path, "'bert.encoder.layer.2.output.dense.bias'",
                     "num_hidden_layers 2");

        TensorMap wrongType = tensors;
        wrongType["bert.pooler.dense.bias"] = at::zeros({32}, at::kLong);
        saveSafetensors(folder / "model.safetensors", wrongType);
        EXPECT_ERROR(loadBert(folder), ErrorKind::InvalidInput, path, "'bert.pooler.dense.bias'", "floating point");
    }

    void binEqualsSafetensorsBitwise()
    {
        const CheckpointTensors st = readCheckpointTensors(kMain, WeightsFormat::Safetensors);
        const CheckpointTensors bin = readCheckpointTensors(kMain, WeightsFormat::PytorchBin);
        QCOMPARE(st.tensors.size(), std::size_t(41));
        QVERIFY(sameTensors(st.tensors, bin.tensors));
        QVERIFY(bin.source.ends_with("pytorch_model.bin"));

        const std::vector<PytorchBinEntry> entries = readPytorchBinEntries(kMain / "pytorch_model.bin");
        QCOMPARE(entries.size(), std::size_t(41));
        QCOMPARE(entries.front().name, std::string("bert.embeddings.word_embeddings.weight"));
        QCOMPARE(entries.front().shape, (std::vector<std::int64_t>{1000, 32}));

        LoadOptions options;
        options.format = WeightsFormat::PytorchBin;
        const LoadedBert fromBin = loadBert(kMain, options);
        const LoadedBert fromSt = loadBert(kMain);
        QVERIFY(sameTensors(bertStateDict(*fromBin.model), bertStateDict(*fromSt.model)));
        QVERIFY(fromSt.report.complete());
        QCOMPARE(fromSt.report.loaded.size(), std::size_t(41));
    }

    void legacyBinRenamesAndSkipsBuffers()
    {
        const LoadedBert legacy = loadBert(kGolden / "tiny-bert-uncased-legacy-bin");
        const LoadedBert main = loadBert(kMain);
        QVERIFY(sameTensors(bertStateDict(*legacy.model), bertStateDict(*main.model)));
        QCOMPARE(legacy.report.renamed.size(), std::size_t(10)); // 5 LayerNorms x gamma/beta
        QCOMPARE(legacy.report.ignored, (std::vector<std::string>{"bert.embeddings.position_ids"}));
        QVERIFY(legacy.report.unexpected.empty());
        QVERIFY(legacy.report.complete());
        const TensorMap raw = loadPytorchBin(kGolden / "tiny-bert-uncased-legacy-bin" / "pytorch_model.bin");
        QCOMPARE(raw.at("bert.embeddings.position_ids").scalar_type(), at::kLong); // buffers keep their type
    }

    void baseCheckpointGetsPrefixAndNewHead()
    {
        LoadOptions options;
        options.seed = 11;
        const LoadedBert base = loadBert(kGolden / "tiny-bert-uncased-base", options);
        const std::vector<std::string> head = {"classifier.weight", "classifier.bias"};
        QCOMPARE(base.report.missing, head);
        QCOMPARE(base.report.initialized, head);
        QCOMPARE(base.report.unexpected, (std::vector<std::string>{"cls.predictions.bias"}));
        QVERIFY(!base.report.complete());
        QCOMPARE(base.config.numLabels(), std::int64_t(2)); // no id2label: HF's default of two
        const TensorMap state = bertStateDict(*base.model);
        const TensorMap main = bertStateDict(*loadBert(kMain).model);
        for (const auto &[name, tensor] : state)
            if (name.starts_with("bert."))
                QVERIFY2(sameBits(tensor, main.at(name)), name.c_str());
        // The new head: N(0, initializer_range), bias 0, the same for the same seed.
        const at::Tensor weight = state.at("classifier.weight");
        QVERIFY(weight.abs().max().item<double>() > 0.0 && weight.std().item<double>() < 0.05);
        QCOMPARE(state.at("classifier.bias").abs().sum().item<double>(), 0.0);
        QVERIFY(sameBits(weight, bertStateDict(*loadBert(kGolden / "tiny-bert-uncased-base", options).model)
                                     .at("classifier.weight")));
    }

    void shardedEqualsSingleFile()
    {
        const CheckpointTensors sharded = readCheckpointTensors(kGolden / "tiny-bert-uncased-sharded");
        QCOMPARE(sharded.files.size(), std::size_t(2));
        QVERIFY(sameTensors(sharded.tensors, loadSafetensors(kMain / "model.safetensors")));

        // An index naming the wrong shard for a tensor is refused.
        QTemporaryDir dir;
        const fs::path folder = toPath(dir.path());
        for (const char *name : {"config.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"})
            copyFile(kGolden / "tiny-bert-uncased-sharded" / name, folder / name);
        nlohmann::json index = readJson(kGolden / "tiny-bert-uncased-sharded" / "model.safetensors.index.json");
        index["weight_map"]["classifier.bias"] = "model-00001-of-00002.safetensors";
        writeBytes(folder / "model.safetensors.index.json", QByteArray::fromStdString(index.dump()));
        EXPECT_ERROR(loadBert(folder), ErrorKind::InvalidInput, "model.safetensors.index.json", "'classifier.bias'");
        index["weight_map"]["classifier.bias"] = "../elsewhere.safetensors";
        writeBytes(folder / "model.safetensors.index.json", QByteArray::fromStdString(index.dump()));
        EXPECT_ERROR(loadBert(folder), ErrorKind::InvalidInput, "model.safetensors.index.json", "'classifier.bias'");
    }

    void badBinFiles()
    {
        QTemporaryDir dir;
        const fs::path file = toPath(dir.filePath("pytorch_model.bin"));
        const QString path = QString::fromStdString(file.string());
        writeBytes(file, QByteArray("\x80\x02\x8a\x0alegacy pickle", 16));
        EXPECT_ERROR(loadPytorchBin(file), ErrorKind::Incompatible, path, "legacy torch.save format");
        writeBytes(file, QByteArray("definitely not a zip archive"));
        EXPECT_ERROR(loadPytorchBin(file), ErrorKind::InvalidInput, path, "not a torch.save zip archive");
        const QByteArray golden = readBytes(kMain / "pytorch_model.bin");
        writeBytes(file, golden.left(golden.size() / 2));
        EXPECT_ERROR(loadPytorchBin(file), ErrorKind::InvalidInput, path, "damaged zip archive");
    }

    void binPickles_data()
    {
        QTest::addColumn<QString>("variant");
        QTest::addColumn<QString>("needle"); // empty: must load
        QTest::newRow("valid") << "valid" << "";
        QTest::newRow("parameter") << "parameter" << "";
        QTest::newRow("foreign global") << "global" << "refusing to load 'os.system'";
        QTest::newRow("view past storage") << "past" << "tensor 'b' reaches past the end of its storage";
        QTest::newRow("record size") << "record" << "tensor 'a': record data/0 has 32 bytes";
        QTest::newRow("missing record") << "missing" << "tensor 'b': record data/7 is missing";
        QTest::newRow("not a tensor") << "int" << "entry 'c' is not a tensor";
        QTest::newRow("truncated pickle") << "truncated" << "truncated pickle";
        QTest::newRow("unknown opcode") << "opcode" << "unsupported pickle opcode 0xff";
    }

    // Archives written with LibTorch's own zip writer around pickles built here,
    // laid out as torch.save lays out a state dict.
    void binPickles()
    {
        QFETCH(QString, variant);
        QFETCH(QString, needle);
        PickleWriter p;
        p.global("collections", "OrderedDict");
        p.op(")R(");
        const auto tensor = [&](const char *name, const char *key, std::int32_t offset,
                                std::vector<std::int32_t> sizes, std::vector<std::int32_t> strides) {
            p.text(name);
            if (variant == "parameter")
                p.global("torch._utils", "_rebuild_parameter"), p.op("(");
            p.global(variant == "global" ? "os" : "torch._utils", variant == "global" ? "system" : "_rebuild_tensor_v2");
            p.op("((");
            p.text("storage");
            p.global("torch", "FloatStorage");
            p.text(key), p.text("cpu"), p.integer(6);
            p.op("tQ");
            p.integer(offset);
            p.ints(sizes), p.ints(strides);
            p.op("\x89");
            p.global("collections", "OrderedDict");
            p.op(")RtR");
            if (variant == "parameter")
                p.op("\x89)tR");
        };
        tensor("a", "0", 0, {2, 3}, {3, 1});
        tensor("b", variant == "missing" ? "7" : "0", 2, {variant == "past" ? 3 : 2}, {3});
        if (variant == "int")
            p.text("c"), p.integer(5);
        p.op(variant == "opcode" ? "\xff" : "u.");
        std::string pickle = p.out;
        if (variant == "truncated")
            pickle.resize(pickle.size() - 12);
        std::vector<float> storage = {0, 1, 2, 3, 4, 5};
        if (variant == "record")
            storage.resize(8);

        QTemporaryDir dir;
        const fs::path file = toPath(dir.filePath("pytorch_model.bin"));
        {
            caffe2::serialize::PyTorchStreamWriter writer(file.string());
            writer.writeRecord("data.pkl", pickle.data(), pickle.size());
            writer.writeRecord("data/0", storage.data(), storage.size() * sizeof(float));
            writer.writeEndOfFile();
        }
        if (!needle.isEmpty()) {
            EXPECT_ERROR(loadPytorchBin(file), ErrorKind::InvalidInput, QString::fromStdString(file.string()), needle);
            return;
        }
        const TensorMap tensors = loadPytorchBin(file, at::kDouble);
        QCOMPARE(tensors.size(), std::size_t(2));
        QVERIFY(at::equal(tensors.at("a"), at::arange(6, at::kDouble).view({2, 3})));
        QVERIFY(at::equal(tensors.at("b"), at::tensor(std::vector<double>{2, 5})));
        QVERIFY(tensors.at("b").is_contiguous());
    }

    void scratchModelIsDeterministic()
    {
        const BertConfig config = loadBertConfig(kMain);
        const TensorMap a = bertStateDict(*makeScratchBert(config, 7));
        const TensorMap b = bertStateDict(*makeScratchBert(config, 7));
        const TensorMap c = bertStateDict(*makeScratchBert(config, 8));
        QVERIFY(sameTensors(a, b));
        QVERIFY(!sameBits(a.at("bert.encoder.layer.0.attention.self.query.weight"),
                          c.at("bert.encoder.layer.0.attention.self.query.weight")));
        // HF's init: N(0, 0.02) weights, zero biases, LayerNorm 1/0, a zero [PAD] row.
        const at::Tensor words = a.at("bert.embeddings.word_embeddings.weight");
        QCOMPARE(words[0].abs().sum().item<double>(), 0.0);
        QVERIFY(std::abs(words.slice(0, 1).std().item<double>() - 0.02) < 0.001);
        QCOMPARE(a.at("bert.encoder.layer.1.output.dense.bias").abs().sum().item<double>(), 0.0);
        QVERIFY(a.at("bert.encoder.layer.1.output.LayerNorm.weight").eq(1.0).all().item<bool>());
        QCOMPARE(a.at("bert.embeddings.LayerNorm.bias").abs().sum().item<double>(), 0.0);
        std::int64_t count = 0;
        for (const auto &[name, tensor] : a)
            count += tensor.numel();
        QCOMPARE(count, bertParameterCount(config));
    }

    void namesMirrorHuggingFace()
    {
        const BertConfig config = loadBertConfig(kMain);
        const TensorMap ours = bertStateDict(*makeScratchBert(config, 1));
        const TensorMap theirs = loadSafetensors(kMain / "model.safetensors");
        QCOMPARE(ours.size(), theirs.size());
        for (const auto &[name, tensor] : theirs) {
            QVERIFY2(ours.count(name), name.c_str());
            QCOMPARE(ours.at(name).sizes(), tensor.sizes());
        }
    }

    void saveLoadRoundTripIsBitIdentical()
    {
        LoadedBert loaded = loadBert(kMain);
        QTemporaryDir dir;
        const fs::path folder = toPath(dir.filePath("export"));
        saveBert(*loaded.model, folder);
        QVERIFY(!fs::exists(folder / "model.safetensors.tmp"));
        const LoadedBert again = loadBert(folder);
        QVERIFY(sameTensors(bertStateDict(*again.model), bertStateDict(*loaded.model)));
        QVERIFY(again.report.complete());
        const nlohmann::json config = readJson(folder / "config.json");
        QCOMPARE(config["id2label"]["2"].get<std::string>(), std::string("positive"));
        QCOMPARE(config["label2id"]["negative"].get<int>(), 0);
        QCOMPARE(config["architectures"][0].get<std::string>(), std::string("BertForSequenceClassification"));
        QCOMPARE(config["use_cache"].get<bool>(), true); // a field we do not model, kept
        QCOMPARE(config["torch_dtype"].get<std::string>(), std::string("float32"));

        // bf16 and f16 exports hold the rounded values, and load back exactly as those.
        for (const at::ScalarType type : {at::kBFloat16, at::kHalf}) {
            saveBert(*loaded.model, folder, type);
            const TensorMap narrow = bertStateDict(*loadBert(folder).model);
            for (const auto &[name, tensor] : bertStateDict(*loaded.model))
                QVERIFY2(sameBits(narrow.at(name), tensor.to(type).to(at::kFloat)), name.c_str());
            LoadOptions options;
            options.dtype = type;
            const LoadedBert typed = loadBert(folder, options);
            QVERIFY(sameTensors(bertStateDict(*typed.model, type), bertStateDict(*loaded.model, type)));
        }
    }

    void newLabelsStartANewHead()
    {
        LoadOptions options;
        options.labels = {"a", "b", "c", "d", "e"};
        EXPECT_ERROR(loadBert(kMain, options), ErrorKind::InvalidInput, "classifier.weight");
        options.ignoreMismatchedSizes = true;
        const LoadedBert loaded = loadBert(kMain, options);
        QCOMPARE(loaded.config.numLabels(), std::int64_t(5));
        QCOMPARE(loaded.model->named_parameters()["classifier.weight"].size(0), std::int64_t(5));
        QCOMPARE(loaded.report.initialized.size(), std::size_t(2));
    }

    void modelInfoDescribesFolders()
    {
        const ModelInfo main = inspectModelFolder(kMain);
        const std::int64_t parameters = bertParameterCount(loadBertConfig(kMain));
        QCOMPARE(main.architecture, std::string("BertForSequenceClassification"));
        QCOMPARE(main.modelType, std::string("bert"));
        QCOMPARE(main.numParameters, parameters);
        QCOMPARE(main.checkpointParameters, parameters);
        QCOMPARE(main.vocabSize, std::int64_t(1000));
        QCOMPARE(main.labels.size(), std::size_t(3));
        QCOMPARE(main.weightsFormat, std::string("safetensors"));
        QCOMPARE(main.dtype, std::string("F32"));
        QVERIFY(main.hasClassifier && main.hasTokenizer);
        QCOMPARE(main.files.size(), std::size_t(7));

        QCOMPARE(inspectModelFolder(kGolden / "tiny-bert-uncased-bf16").dtype, std::string("BF16"));
        QCOMPARE(inspectModelFolder(kGolden / "tiny-bert-uncased-sharded").weightsFormat,
                 std::string("safetensors (2 shards)"));
        const ModelInfo legacy = inspectModelFolder(kGolden / "tiny-bert-uncased-legacy-bin");
        QCOMPARE(legacy.weightsFormat, std::string("pytorch_model.bin"));
        QCOMPARE(legacy.checkpointParameters, parameters); // the int64 position_ids buffer is not counted
        const ModelInfo base = inspectModelFolder(kGolden / "tiny-bert-uncased-base");
        QVERIFY(!base.hasClassifier);
        QCOMPARE(base.architecture, std::string("BertModel"));
    }
};

FT_REGISTER_TEST(CheckpointTest);

#include "tst_checkpoint.moc"
