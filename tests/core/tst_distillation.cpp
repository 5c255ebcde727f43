// tst_distillation.cpp: the distillation loss against a hand computation, the student's layers
// and its bit-identical initialisation from the teacher (BERT, DistilBERT, RoBERTa, GPT-2, Llama), the teacher
// left untouched by training, the refusals, and the run-config keys.
#include "common/error.h"
#include "models/bert_classifier.h"
#include "models/bert_config.h"
#include "models/classifier_factory.h"
#include "models/text_classifier.h"
#include "testhelpers.h"
#include "testregistry.h"
#include "train/distillation.h"
#include "train/run_config.h"
#include "train/train_step.h"

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <cmath>
#include <fstream>

namespace fs = std::filesystem;
using namespace ft;

namespace {

// A small scratch classifier of `modelType` with `layers` layers and the labels neg, pos.
ClassifierPtr scratch(const std::string &modelType, std::int64_t layers, std::uint64_t seed = 7)
{
    nlohmann::json json = {{"model_type", modelType}, {"vocab_size", 120}, {"max_position_embeddings", 40},
                           {"id2label", {{"0", "neg"}, {"1", "pos"}}}};
    if (modelType == "distilbert")
        json.update({{"dim", 16}, {"n_layers", layers}, {"n_heads", 2}, {"hidden_dim", 32}});
    else if (modelType == "gpt2")
        json.update({{"n_embd", 16}, {"n_layer", layers}, {"n_head", 2}, {"n_positions", 40}, {"pad_token_id", 0}});
    else
        json.update({{"hidden_size", 16}, {"num_hidden_layers", layers}, {"num_attention_heads", 2},
                     {"intermediate_size", 32}});
    if (modelType == "roberta")
        json.update({{"pad_token_id", 1}, {"type_vocab_size", 1}});
    if (modelType == "llama")
        json.update({{"num_key_value_heads", 1}, {"pad_token_id", 0}});
    ClassifierOptions options;
    options.seed = seed;
    if (modelType == "bert")
        return std::make_unique<BertClassifier>(makeScratchBert(BertConfig::fromJson(json, "test config"), seed));
    return makeScratchTextClassifier(json, "test config", options);
}

TensorBatch batchOf(std::int64_t rows)
{
    TensorBatch batch;
    batch.inputIds = (at::arange(rows * 6, at::kLong).view({rows, 6}) * 7 + 3) % 110 + 2;
    batch.attentionMask = at::ones({rows, 6}, at::kLong);
    batch.attentionMask[0][5] = 0;
    batch.tokenTypeIds = at::zeros({rows, 6}, at::kLong);
    batch.labels = at::arange(rows, at::kLong) % 2;
    return batch;
}

std::string layerPrefixOf(const std::string &modelType)
{
    return modelType == "bert"         ? "bert.encoder.layer."
           : modelType == "distilbert" ? "distilbert.transformer.layer."
           : modelType == "gpt2"       ? "transformer.h."
           : modelType == "llama"      ? "model.layers."
                                       : "roberta.encoder.layer.";
}

} // namespace

class DistillationTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    // Two rows, three classes, T = 2, alpha = 0.3, written out with doubles.
    void lossMatchesHandComputation()
    {
        const double student[2][3] = {{1.0, 2.0, 0.5}, {0.0, -1.0, 3.0}};
        const double teacher[2][3] = {{2.0, 1.0, 0.0}, {1.0, 0.0, 2.0}};
        const std::int64_t labels[2] = {1, 2};
        const double T = 2.0, alpha = 0.3;
        double kl = 0, ce = 0;
        for (int r = 0; r < 2; ++r) {
            double zs = 0, zt = 0, z = 0;
            for (int c = 0; c < 3; ++c) {
                zs += std::exp(student[r][c] / T);
                zt += std::exp(teacher[r][c] / T);
                z += std::exp(student[r][c]);
            }
            for (int c = 0; c < 3; ++c) {
                const double pt = std::exp(teacher[r][c] / T) / zt;
                const double ps = std::exp(student[r][c] / T) / zs;
                kl += pt * std::log(pt / ps) / 2.0; // mean over the two rows
            }
            ce -= std::log(std::exp(student[r][labels[r]]) / z) / 2.0;
        }
        const double soft = T * T * kl;
        const double expected = alpha * soft + (1 - alpha) * ce;

        const at::Tensor s = at::tensor({1.0, 2.0, 0.5, 0.0, -1.0, 3.0}, at::kFloat).view({2, 3});
        const at::Tensor t = at::tensor({2.0, 1.0, 0.0, 1.0, 0.0, 2.0}, at::kFloat).view({2, 3});
        const at::Tensor y = at::tensor({1, 2}, at::kLong);
        const DistillationLoss loss = distillationLoss(s, t, y, T, alpha);
        QVERIFY(std::abs(loss.soft.item<double>() - soft) < 1e-6);
        QVERIFY(std::abs(loss.hard.item<double>() - ce) < 1e-6);
        QVERIFY(std::abs(loss.total.item<double>() - expected) < 1e-6);
        qInfo("soft %.6f hard %.6f total %.6f", soft, ce, expected);

        // alpha 0 is plain cross-entropy; a student equal to its teacher has no soft loss.
        QVERIFY(std::abs(distillationLoss(s, t, y, T, 0.0).total.item<double>()
                         - classificationLoss(s, y).item<double>()) < 1e-7);
        QVERIFY(std::abs(distillationLoss(t, t, y, 5.0, 0.5).soft.item<double>()) < 1e-7);
    }

    // T^2 keeps the soft gradient's scale: d(T^2 KL)/dz_s = T (p_s - p_t), which for large T tends to
    // the centred logit difference over the number of classes, whatever T.
    void temperatureSquaredKeepsGradientScale()
    {
        const at::Tensor t = at::tensor({0.3, -0.2, 0.1}, at::kFloat).view({1, 3});
        const at::Tensor y = at::tensor({0}, at::kLong);
        std::vector<double> norms;
        for (const double T : {4.0, 8.0, 16.0}) {
            const at::Tensor s = at::tensor({0.5, 0.1, -0.4}, at::kFloat).view({1, 3}).requires_grad_();
            distillationLoss(s, t, y, T, 1.0).total.backward();
            norms.push_back(s.grad().norm().item<double>());
        }
        // Without T^2 the norm would fall 4x per doubling; with it, it stays within a few percent.
        QVERIFY2(std::abs(norms[2] / norms[0] - 1.0) < 0.05, qPrintable(QString::number(norms[2] / norms[0])));
    }

    void layerMap()
    {
        QCOMPARE(studentLayerMap(12, 6), (std::vector<std::int64_t>{0, 2, 4, 7, 9, 11}));
        QCOMPARE(studentLayerMap(12, 3), (std::vector<std::int64_t>{0, 6, 11}));
        QCOMPARE(studentLayerMap(6, 2), (std::vector<std::int64_t>{0, 5}));
        QCOMPARE(studentLayerMap(4, 1), (std::vector<std::int64_t>{0}));
        QCOMPARE(studentLayerMap(4, 4), (std::vector<std::int64_t>{0, 1, 2, 3}));
        FT_VERIFY_ERROR(studentLayerMap(4, 5), ErrorKind::InvalidInput, "1 to 4");
        FT_VERIFY_ERROR(studentLayerMap(4, 0), ErrorKind::InvalidInput, "1 to 4");
        QCOMPARE(studentLayerCount(0, 12), std::int64_t{6});
        QCOMPARE(studentLayerCount(0, 5), std::int64_t{3});
        QCOMPARE(studentLayerCount(2, 5), std::int64_t{2});
        FT_VERIFY_ERROR(studentLayerCount(7, 6), ErrorKind::InvalidInput, "student_layers 7", "6 layers");
    }

    void studentCopiesTeacher_data()
    {
        QTest::addColumn<QString>("modelType");
        QTest::newRow("bert") << "bert";
        QTest::newRow("distilbert") << "distilbert";
        QTest::newRow("roberta") << "roberta";
        QTest::newRow("gpt2") << "gpt2";
        QTest::newRow("llama") << "llama";
    }
    // Every tensor of the student is bit for bit its teacher's: the same name outside the
    // encoder, and layers 0 and 3 of the teacher's four as the student's 0 and 1.
    void studentCopiesTeacher()
    {
        QFETCH(QString, modelType);
        const std::string type = modelType.toStdString();
        ClassifierPtr teacher = scratch(type, 4);
        const Student student = makeStudent(*teacher, 2, {});
        QCOMPARE(student.fromLayers, (std::vector<std::int64_t>{0, 3}));
        QCOMPARE(encoderLayerCount(*student.model), std::int64_t{2});
        QCOMPARE(student.model->architecture(), teacher->architecture());
        QCOMPARE(student.model->labels(), teacher->labels());
        const TensorMap from = teacher->state();
        const TensorMap to = student.model->state();
        const std::string prefix = layerPrefixOf(type);
        int layerTensors = 0;
        for (const auto &[name, tensor] : to) {
            std::string source = name;
            if (name.rfind(prefix + "1.", 0) == 0) {
                source = prefix + "3." + name.substr(prefix.size() + 2);
                ++layerTensors;
            }
            QVERIFY2(from.count(source), source.c_str());
            QVERIFY2(at::equal(tensor, from.at(source)), name.c_str());
        }
        QVERIFY(layerTensors >= 6);
        QVERIFY(std::none_of(to.begin(), to.end(), [&](const auto &item) { return item.first.starts_with(prefix + "2."); }));
        // Fewer parameters by exactly two layers' worth.
        const std::int64_t perLayer = (teacher->parameterCount() - student.model->parameterCount()) / 2;
        QVERIFY(perLayer > 0);
        QCOMPARE(teacher->parameterCount() - student.model->parameterCount(), 2 * perLayer);
        // A student of all the teacher's layers computes the teacher's logits.
        const Student whole = makeStudent(*teacher, 4, {});
        teacher->module().eval();
        whole.model->module().eval();
        QVERIFY(at::equal(teacher->logits(batchOf(3)), whole.model->logits(batchOf(3))));
    }

    void otherFamiliesRefused()
    {
        QTemporaryDir dir;
        const fs::path config = fs::path(dir.path().toStdString()) / "config.json";
        std::ofstream(config) << R"({"model_type": "vit", "image_size": 32, "patch_size": 8, "hidden_size": 16,
            "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 32})";
        ClassifierOptions options;
        options.labels = {"neg", "pos"};
        ClassifierPtr vit = makeScratchClassifier(config, options);
        FT_VERIFY_ERROR(makeStudent(*vit, 1, {}), ErrorKind::Incompatible,
                        "BERT, DistilBERT, RoBERTa, XLM-RoBERTa, GPT-2, Llama", "ViTForImageClassification");
    }

    // One step: the student's gradients are those of the mixed loss; the teacher gets none and keeps its weights.
    void distillerTrainsStudentOnly()
    {
        ClassifierPtr teacher = scratch("bert", 3, 11);
        const TensorMap before = teacher->state();
        Student student = makeStudent(*teacher, 1, {});
        const TensorBatch batch = batchOf(4);
        at::Tensor teacherLogits;
        {
            teacher->module().eval();
            const c10::NoGradGuard noGrad;
            teacherLogits = teacher->logits(batch);
        }
        student.model->module().eval(); // no dropout, so both passes see the same function
        Distiller distiller(std::move(teacher), 3.0, 0.7);
        const double total = distiller.forwardBackward(*student.model, batch, 1.0);
        std::map<std::string, at::Tensor> gradients;
        for (const auto &item : student.model->module().named_parameters())
            gradients[item.key()] = item.value().grad().clone();
        for (auto &parameter : student.model->module().parameters())
            parameter.mutable_grad() = at::Tensor();
        const DistillationLoss expected =
            distillationLoss(student.model->logits(batch), teacherLogits, batch.labels, 3.0, 0.7);
        expected.total.backward();
        QVERIFY(std::abs(total - expected.total.item<double>()) < 1e-6);
        for (const auto &item : student.model->module().named_parameters())
            QVERIFY2(at::allclose(gradients[item.key()], item.value().grad(), 1e-5, 1e-7), item.key().c_str());
        for (const auto &item : distiller.teacher().module().named_parameters()) {
            QVERIFY(!item.value().grad().defined());
            QVERIFY(at::equal(item.value(), before.at(item.key())));
        }
    }

    void runConfigKeys()
    {
        const auto parse = [](const char *text) { return parseRunConfig(nlohmann::json::parse(text)); };
        const RunConfig config = parse(R"({"distill_teacher_run": 3, "distill_temperature": 4.0, "distill_alpha": 0.9,
                                           "student_layers": 2})");
        QCOMPARE(config.distillTeacherRun, std::int64_t{3});
        QCOMPARE(config.distillTemperature, 4.0);
        QCOMPARE(config.distillAlpha, 0.9);
        QCOMPARE(config.studentLayers, std::int64_t{2});
        QCOMPARE(RunConfig{}.distillTemperature, 2.0);
        QCOMPARE(RunConfig{}.distillAlpha, 0.5);
        QVERIFY(parseRunConfig(nlohmann::json::parse(toJson(config).dump())) == config);
        FT_VERIFY_ERROR(parse(R"({"student_layers": 2})"), ErrorKind::InvalidInput, "needs distill_teacher_run");
        FT_VERIFY_ERROR(parse(R"({"distill_teacher_run": 1, "method": "lora"})"), ErrorKind::InvalidInput,
                        "method must be");
        FT_VERIFY_ERROR(parse(R"({"distill_temperature": 0})"), ErrorKind::InvalidInput, "distill_temperature");
        FT_VERIFY_ERROR(parse(R"({"distill_alpha": 1.5})"), ErrorKind::InvalidInput, "distill_alpha");
        FT_VERIFY_ERROR(parse(R"({"distill_teacher_run": 1, "task": "causal-lm"})"), ErrorKind::InvalidInput,
                        "task must be \"classification\"");
    }
};

FT_REGISTER_TEST(DistillationTest);
#include "tst_distillation.moc"
