// tst_checkpoint_errors.cpp: CheckpointTest's malformed config.json, safetensors and pytorch_model.bin files, and
// the checkpoints that do not fit their config, each refused with a precise error.
#include "tst_checkpoint.h"

#include "common/error.h"
#include "models/bert_config.h"
#include "models/checkpoint.h"
#include "models/model_info.h"
#include "models/pytorch_bin.h"
#include "models/safetensors.h"
#include "models/safetensors_format.h"
#include "tempproject.h"
#include "testhelpers.h"

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
using ft::test::readJsonFile;
using ft::test::toPath;
using ft::test::writeBytes;

namespace {

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

} // namespace

void CheckpointTest::badConfigs_data()
{
    QTest::addColumn<QString>("edit");
    QTest::addColumn<int>("kind");
    QTest::addColumn<QString>("needle");
    const int invalid = int(ErrorKind::InvalidInput), incompatible = int(ErrorKind::Incompatible);
    QTest::newRow("missing hidden_size") << "remove:hidden_size" << invalid << "'hidden_size'";
    QTest::newRow("missing vocab_size") << "remove:vocab_size" << invalid << "'vocab_size'";
    QTest::newRow("missing model_type") << "remove:model_type" << invalid << "'model_type'";
    QTest::newRow("gpt-neox") << R"(set:model_type:"gpt_neox")" << incompatible << "supported: bert";
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

void CheckpointTest::badConfigs()
{
    QFETCH(QString, edit);
    QFETCH(int, kind);
    QFETCH(QString, needle);
    nlohmann::json config = readJsonFile(kMain / "config.json");
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
    FT_VERIFY_ERROR(loadBertConfig(file), ErrorKind(kind), QString::fromStdString(file.string()), needle);
    // The same through the model loader, with the weights next to it.
    copyFile(kMain / "model.safetensors", toPath(dir.filePath("model.safetensors")));
    FT_VERIFY_ERROR(loadBert(toPath(dir.path())), ErrorKind(kind), QString::fromStdString(file.string()), needle);
}

void CheckpointTest::malformedSafetensors_data()
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

void CheckpointTest::malformedSafetensors()
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
    FT_VERIFY_ERROR(loadSafetensors(file), ErrorKind(kind), path, needle);
    FT_VERIFY_ERROR(safetensors::readHeader(file), ErrorKind(kind), path, needle);
    copyFile(kMain / "config.json", toPath(dir.filePath("config.json")));
    FT_VERIFY_ERROR(loadBert(toPath(dir.path())), ErrorKind(kind), path, needle);
    FT_VERIFY_ERROR(inspectModelFolder(toPath(dir.path())), ErrorKind(kind), path, needle);
}

void CheckpointTest::shapeMismatchAgainstConfig()
{
    TensorMap tensors = loadSafetensors(kMain / "model.safetensors");
    tensors["classifier.weight"] = at::randn({5, 32});
    tensors["classifier.bias"] = at::zeros({5});
    QTemporaryDir dir;
    const fs::path folder = toPath(dir.path());
    saveSafetensors(folder / "model.safetensors", tensors);
    copyFile(kMain / "config.json", folder / "config.json");
    const QString path = QString::fromStdString((folder / "model.safetensors").string());
    FT_VERIFY_ERROR(loadBert(folder), ErrorKind::InvalidInput, path, "tensor 'classifier.weight' has shape [5, 32]",
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
    FT_VERIFY_ERROR(loadBert(folder, options), ErrorKind::InvalidInput, path,
                    "tensor 'bert.encoder.layer.1.intermediate.dense.weight' has shape [65, 32]");
}

void CheckpointTest::missingAndExtraEncoderTensors()
{
    TensorMap tensors = loadSafetensors(kMain / "model.safetensors");
    QTemporaryDir dir;
    const fs::path folder = toPath(dir.path());
    copyFile(kMain / "config.json", folder / "config.json");
    const QString path = QString::fromStdString((folder / "model.safetensors").string());

    TensorMap missing = tensors;
    missing.erase("bert.encoder.layer.0.attention.self.key.bias");
    saveSafetensors(folder / "model.safetensors", missing);
    FT_VERIFY_ERROR(loadBert(folder), ErrorKind::InvalidInput, path,
                    "missing tensor 'bert.encoder.layer.0.attention.self.key.bias'");

    TensorMap extra = tensors;
    extra["bert.encoder.layer.2.output.dense.bias"] = at::zeros({32});
    saveSafetensors(folder / "model.safetensors", extra);
    FT_VERIFY_ERROR(loadBert(folder), ErrorKind::InvalidInput, path, "'bert.encoder.layer.2.output.dense.bias'",
                    "num_hidden_layers 2");

    TensorMap wrongType = tensors;
    wrongType["bert.pooler.dense.bias"] = at::zeros({32}, at::kLong);
    saveSafetensors(folder / "model.safetensors", wrongType);
    FT_VERIFY_ERROR(loadBert(folder), ErrorKind::InvalidInput, path, "'bert.pooler.dense.bias'", "floating point");
}

void CheckpointTest::badBinFiles()
{
    QTemporaryDir dir;
    const fs::path file = toPath(dir.filePath("pytorch_model.bin"));
    const QString path = QString::fromStdString(file.string());
    writeBytes(file, QByteArray("\x80\x02\x8a\x0alegacy pickle", 16));
    FT_VERIFY_ERROR(loadPytorchBin(file), ErrorKind::Incompatible, path, "legacy torch.save format");
    writeBytes(file, QByteArray("definitely not a zip archive"));
    FT_VERIFY_ERROR(loadPytorchBin(file), ErrorKind::InvalidInput, path, "not a torch.save zip archive");
    const QByteArray golden = readBytes(kMain / "pytorch_model.bin");
    writeBytes(file, golden.left(golden.size() / 2));
    FT_VERIFY_ERROR(loadPytorchBin(file), ErrorKind::InvalidInput, path, "damaged zip archive");
}

void CheckpointTest::binPickles_data()
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
void CheckpointTest::binPickles()
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
        FT_VERIFY_ERROR(loadPytorchBin(file), ErrorKind::InvalidInput, QString::fromStdString(file.string()), needle);
        return;
    }
    const TensorMap tensors = loadPytorchBin(file, at::kDouble);
    QCOMPARE(tensors.size(), std::size_t(2));
    QVERIFY(at::equal(tensors.at("a"), at::arange(6, at::kDouble).view({2, 3})));
    QVERIFY(at::equal(tensors.at("b"), at::tensor(std::vector<double>{2, 5})));
    QVERIFY(tensors.at("b").is_contiguous());
}
