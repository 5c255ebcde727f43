// tst_checkpoint.cpp: config.json, safetensors and pytorch_model.bin reading and writing, and checkpoint loading
// (renames, prefixes, heads, shards); tst_checkpoint_errors.cpp has the malformed files each reader must refuse.
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
#include "testregistry.h"

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include <QTemporaryDir>
#include <QTest>

#include <cstring>

namespace fs = std::filesystem;
using namespace ft;
using ft::test::readBytes;
using ft::test::readJsonFile;
using ft::test::toPath;
using ft::test::writeBytes;

namespace {

bool sameBits(const at::Tensor &a, const at::Tensor &b)
{
    if (a.scalar_type() != b.scalar_type() || a.sizes() != b.sizes())
        return false;
    const at::Tensor x = a.contiguous(), y = b.contiguous();
    // An empty tensor has no storage: memcmp must not see its null pointer.
    return x.numel() == 0 || std::memcmp(x.data_ptr(), y.data_ptr(), x.numel() * x.element_size()) == 0;
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

} // namespace

void CheckpointTest::realConfigsParse_data()
{
    QTest::addColumn<QString>("folder");
    QTest::addColumn<qint64>("vocab");
    QTest::addColumn<int>("labels");
    QTest::newRow("bert-base-uncased") << QString(FT_SHARED_DIR "/data/tokenizers/bert-base-uncased") << 30522LL << 2;
    QTest::newRow("bert-base-chinese") << QString(FT_SHARED_DIR "/data/tokenizers/bert-base-chinese") << 21128LL << 2;
    QTest::newRow("tiny-bert-uncased") << QString::fromStdString(kMain.string()) << 1000LL << 3;
}

void CheckpointTest::realConfigsParse()
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

void CheckpointTest::tinyConfigLabels()
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

void CheckpointTest::safetensorsRoundTripIsBitIdentical()
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

void CheckpointTest::halfFilesWidenExactly()
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

void CheckpointTest::binEqualsSafetensorsBitwise()
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

void CheckpointTest::legacyBinRenamesAndSkipsBuffers()
{
    LoadOptions consent; // a pickle-only folder is read only when asked for (models/pickle_checkpoint.h)
    consent.format = WeightsFormat::PytorchBin;
    const LoadedBert legacy = loadBert(kGolden / "tiny-bert-uncased-legacy-bin", consent);
    const LoadedBert main = loadBert(kMain);
    QVERIFY(sameTensors(bertStateDict(*legacy.model), bertStateDict(*main.model)));
    QCOMPARE(legacy.report.renamed.size(), std::size_t(10)); // 5 LayerNorms x gamma/beta
    QCOMPARE(legacy.report.ignored, (std::vector<std::string>{"bert.embeddings.position_ids"}));
    QVERIFY(legacy.report.unexpected.empty());
    QVERIFY(legacy.report.complete());
    const TensorMap raw = loadPytorchBin(kGolden / "tiny-bert-uncased-legacy-bin" / "pytorch_model.bin");
    QCOMPARE(raw.at("bert.embeddings.position_ids").scalar_type(), at::kLong); // buffers keep their type
}

void CheckpointTest::baseCheckpointGetsPrefixAndNewHead()
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

void CheckpointTest::shardedEqualsSingleFile()
{
    const CheckpointTensors sharded = readCheckpointTensors(kGolden / "tiny-bert-uncased-sharded");
    QCOMPARE(sharded.files.size(), std::size_t(2));
    QVERIFY(sameTensors(sharded.tensors, loadSafetensors(kMain / "model.safetensors")));

    // An index naming the wrong shard for a tensor is refused.
    QTemporaryDir dir;
    const fs::path folder = toPath(dir.path());
    for (const char *name : {"config.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"})
        copyFile(kGolden / "tiny-bert-uncased-sharded" / name, folder / name);
    nlohmann::json index = readJsonFile(kGolden / "tiny-bert-uncased-sharded" / "model.safetensors.index.json");
    index["weight_map"]["classifier.bias"] = "model-00001-of-00002.safetensors";
    writeBytes(folder / "model.safetensors.index.json", QByteArray::fromStdString(index.dump()));
    FT_VERIFY_ERROR(loadBert(folder), ErrorKind::InvalidInput, "model.safetensors.index.json", "'classifier.bias'");
    index["weight_map"]["classifier.bias"] = "../elsewhere.safetensors";
    writeBytes(folder / "model.safetensors.index.json", QByteArray::fromStdString(index.dump()));
    FT_VERIFY_ERROR(loadBert(folder), ErrorKind::InvalidInput, "model.safetensors.index.json", "'classifier.bias'");
}

void CheckpointTest::scratchModelIsDeterministic()
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

void CheckpointTest::namesMirrorHuggingFace()
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

void CheckpointTest::saveLoadRoundTripIsBitIdentical()
{
    LoadedBert loaded = loadBert(kMain);
    QTemporaryDir dir;
    const fs::path folder = toPath(dir.filePath("export"));
    saveBert(*loaded.model, folder);
    QVERIFY(!fs::exists(folder / "model.safetensors.tmp"));
    const LoadedBert again = loadBert(folder);
    QVERIFY(sameTensors(bertStateDict(*again.model), bertStateDict(*loaded.model)));
    QVERIFY(again.report.complete());
    const nlohmann::json config = readJsonFile(folder / "config.json");
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

void CheckpointTest::newLabelsStartANewHead()
{
    LoadOptions options;
    options.labels = {"a", "b", "c", "d", "e"};
    FT_VERIFY_ERROR(loadBert(kMain, options), ErrorKind::InvalidInput, "classifier.weight");
    options.ignoreMismatchedSizes = true;
    const LoadedBert loaded = loadBert(kMain, options);
    QCOMPARE(loaded.config.numLabels(), std::int64_t(5));
    QCOMPARE(loaded.model->named_parameters()["classifier.weight"].size(0), std::int64_t(5));
    QCOMPARE(loaded.report.initialized.size(), std::size_t(2));
}

void CheckpointTest::modelInfoDescribesFolders()
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

FT_REGISTER_TEST(CheckpointTest);
