// tst_image_training.cpp: image classifiers through the trainer on a small
// generated image-folder dataset: scratch ResNet and ViT learn it, a resumed
// run ends with the weights of an uninterrupted one (augmentations included),
// LoRA on ViT and freeze on ResNet train only what they should, and the run's
// model folder predicts as its evaluation says.
#include "common/error.h"
#include "data/dataset_import.h"
#include "export/run_export.h"
#include "infer/image_predictor.h"
#include "models/safetensors.h"
#include "nullsink.h"
#include "store/project.h"
#include "tempproject.h"
#include "testhelpers.h"
#include "testregistry.h"
#include "train/run_evaluation.h"
#include "train/run_inputs.h"
#include "train/trainer.h"
#include "vision/rgb_image.h"

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include <QTemporaryDir>
#include <QTest>

#include <fstream>
#include <functional>
#include <random>

namespace fs = std::filesystem;
using namespace ft;
using ft::test::toPath;

namespace {

// A binary PPM: stb_image reads it, and it needs no encoder.
void writePpm(const fs::path &file, const RgbImage &image)
{
    fs::create_directories(file.parent_path());
    std::ofstream out(file, std::ios::binary);
    out << "P6\n" << image.width << " " << image.height << "\n255\n";
    out.write(reinterpret_cast<const char *>(image.pixels.data()), std::streamsize(image.pixels.size()));
}

// Two classes a small network separates at once: noisy images, reddish or
// bluish, of varying sizes; `perClass` training and a quarter as many
// validation images per class.
fs::path writeColourFolder(const fs::path &root, int perClass)
{
    std::mt19937 random(5);
    for (const char *split : {"train", "val"}) {
        const int count = std::string(split) == "train" ? perClass : perClass / 4;
        for (int c = 0; c < 2; ++c) {
            for (int i = 0; i < count; ++i) {
                RgbImage image(40 + int(random() % 24), 36 + int(random() % 24));
                for (std::size_t p = 0; p < image.pixels.size(); p += 3) {
                    const int noise = int(random() % 80);
                    image.pixels[p + 0] = std::uint8_t(c == 0 ? 150 + noise : noise);
                    image.pixels[p + 1] = std::uint8_t(40 + random() % 60);
                    image.pixels[p + 2] = std::uint8_t(c == 1 ? 150 + noise : noise);
                }
                writePpm(root / split / (c == 0 ? "red" : "blue") / (std::to_string(i) + ".ppm"), image);
            }
        }
    }
    return root;
}

void writeJson(const fs::path &file, const nlohmann::json &json)
{
    fs::create_directories(file.parent_path());
    std::ofstream(file) << json.dump(2);
}

fs::path resnetConfig(const fs::path &folder)
{
    writeJson(folder / "config.json", {{"model_type", "resnet"}, {"embedding_size", 8}, {"hidden_sizes", {8, 16}},
                                       {"depths", {1, 1}}, {"layer_type", "basic"}});
    writeJson(folder / "preprocessor_config.json",
              {{"image_processor_type", "ViTImageProcessor"}, {"do_resize", true}, {"size", {{"height", 32}, {"width", 32}}},
               {"resample", 2}, {"do_rescale", true}, {"rescale_factor", 1.0 / 255}, {"do_normalize", true},
               {"image_mean", {0.485, 0.456, 0.406}}, {"image_std", {0.229, 0.224, 0.225}}});
    return folder / "config.json";
}

fs::path vitConfig(const fs::path &folder)
{
    // No preprocessor_config.json: a resize to image_size with mean and std 0.5.
    writeJson(folder / "config.json", {{"model_type", "vit"}, {"image_size", 32}, {"patch_size", 8}, {"hidden_size", 32},
                                       {"num_hidden_layers", 2}, {"num_attention_heads", 2}, {"intermediate_size", 64}});
    return folder / "config.json";
}

struct Fixture {
    QTemporaryDir dir;
    fs::path project = toPath(dir.filePath("project"));
    fs::path resnet = resnetConfig(toPath(dir.filePath("resnet")));
    fs::path vit = vitConfig(toPath(dir.filePath("vit")));

    Fixture()
    {
        Project created = Project::create(project);
        ImportOptions options;
        options.file = writeColourFolder(toPath(dir.filePath("pictures")), 24);
        options.datasetName = "colours";
        const ImportResult imported = importDataset(created, options);
        if (imported.rows != 60 || imported.errorCount != 0)
            throw std::runtime_error("the image folder did not import whole");
    }

    TrainingRequest request(const fs::path &config, const RunConfig &run) const
    {
        TrainingRequest r;
        r.project = project;
        r.dataset = "colours";
        r.model = kScratchModelPrefix + config.string();
        r.config = run;
        return r;
    }

    // A one-epoch scratch run of `config` (a "pretrained" model), then a run
    // from its model folder with `method` (and what `adjust` sets).
    std::pair<TrainingSummary, TrainingRequest> fromTrained(const fs::path &config, TrainMethod method,
                                                            const std::function<void(RunConfig &)> &adjust = {})
    {
        RunConfig run = smallRun();
        run.numTrainEpochs = 1;
        test::NullSink sink;
        RunControl control;
        const TrainingSummary base = train(request(config, run), sink, control);
        run.method = method;
        if (adjust)
            adjust(run);
        TrainingRequest derived = request(config, run);
        derived.model = base.modelFolder.string();
        return {base, derived};
    }

    static RunConfig smallRun();
};

RunConfig Fixture::smallRun()
{
    RunConfig config;
    config.numTrainEpochs = 4;
    config.perDeviceTrainBatchSize = 8;
    config.perDeviceEvalBatchSize = 16;
    config.learningRate = 3e-3;
    config.saveSteps = 5;
    config.saveTotalLimit = 0;
    config.loggingSteps = 1;
    config.seed = 3;
    config.threads = 1;
    config.imageColorJitter = 0.2;
    return config;
}

TensorMap weightsOf(const TrainingSummary &summary)
{
    return loadSafetensors(summary.modelFolder / "model.safetensors");
}

} // namespace

class ImageTrainingTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void scratchModelsLearnAndTheirFoldersPredictAsEvaluated()
    {
        Fixture f;
        for (const fs::path &config : {f.resnet, f.vit}) {
            test::NullSink sink;
            RunControl control;
            const TrainingSummary summary = train(f.request(config, Fixture::smallRun()), sink, control);
            QCOMPARE(int(summary.state), int(RunState::Completed));
            QCOMPARE(summary.steps, std::int64_t{24}); // 48 images, batches of 8, 4 epochs
            QVERIFY2(summary.evalMetrics.at("eval_accuracy") >= 0.9,
                     qPrintable(QString::number(summary.evalMetrics.at("eval_accuracy"))));
            for (const char *file : {"config.json", "model.safetensors", "preprocessor_config.json"})
                QVERIFY2(fs::is_regular_file(summary.modelFolder / file), file);
            const nlohmann::json saved = test::readJsonFile(summary.modelFolder / "config.json");
            const std::string first = saved["id2label"]["0"].get<std::string>();
            QCOMPARE(saved["id2label"].size(), size_t{2});
            QVERIFY(first == "red" || first == "blue");

            // The saved folder, run by the predictor on the validation images, gives the evaluation's accuracy.
            RunEvaluationRequest evaluation;
            evaluation.project = f.project;
            evaluation.runId = summary.runId;
            evaluation.split = "validation";
            const RunEvaluation evaluated = evaluateRun(evaluation);
            QCOMPARE(evaluated.examples, std::int64_t{12});
            QCOMPARE(evaluated.metrics.accuracy, summary.evalMetrics.at("eval_accuracy"));
            ImagePredictor predictor(summary.modelFolder, PredictorOptions{});
            std::vector<RgbImage> images;
            std::vector<std::int64_t> truth;
            for (const std::string label : {"red", "blue"})
                for (int i = 0; i < 6; ++i) {
                    images.push_back(readRgbImage(toPath(f.dir.filePath("pictures")) / "val" / label
                                                  / (std::to_string(i) + ".ppm")));
                    truth.push_back(label == first ? 0 : 1);
                }
            const Predictions predictions = predictor.predict(images);
            std::int64_t correct = 0;
            for (std::size_t i = 0; i < truth.size(); ++i)
                correct += predictions.labelIds[i] == truth[i];
            QCOMPARE(double(correct) / 12.0, evaluated.metrics.accuracy);
        }
    }

    void resumedRunEqualsUninterruptedRun()
    {
        Fixture f;
        RunConfig config = Fixture::smallRun();
        config.numTrainEpochs = 2;
        test::NullSink sink;
        RunControl whole;
        const TrainingSummary a = train(f.request(f.resnet, config), sink, whole);

        RunControl interrupted;
        interrupted.stopAfterStep = 7; // checkpoint at 5, an epoch boundary at 6
        const TrainingSummary stopped = train(f.request(f.resnet, config), sink, interrupted);
        QCOMPARE(int(stopped.state), int(RunState::Interrupted));
        TrainingRequest resume;
        resume.project = f.project;
        resume.resumeRun = stopped.runId;
        RunControl resumed;
        const TrainingSummary b = train(resume, sink, resumed);
        QCOMPARE(int(b.state), int(RunState::Completed));

        // Batch-norm statistics included: every tensor of the folder.
        const TensorMap weightsA = weightsOf(a), weightsB = weightsOf(b);
        QCOMPARE(weightsA.size(), weightsB.size());
        QVERIFY(weightsA.count("resnet.embedder.embedder.normalization.running_mean"));
        for (const auto &[name, tensor] : weightsA)
            QVERIFY2(at::equal(tensor, weightsB.at(name)), name.c_str());
    }

    void loraOnVitTrainsOnlyTheAdapterAndTheHead()
    {
        Fixture f;
        // A "pretrained" ViT: the scratch run's model, then LoRA on it.
        const auto [base, request] = f.fromTrained(
            f.vit, TrainMethod::Lora, [](RunConfig &run) { run.loraTargetModules = {"query", "value"}; });
        test::NullSink sink;
        RunControl control;
        const TrainingSummary adapted = train(request, sink, control);
        QCOMPARE(int(adapted.state), int(RunState::Completed));

        const nlohmann::json adapter = test::readJsonFile(adapted.adapterFolder / "adapter_config.json");
        QVERIFY(adapter["task_type"].is_null());
        QVERIFY(adapter["target_modules"] == nlohmann::json({"query", "value"}));
        const TensorMap adapterTensors = loadSafetensors(adapted.adapterFolder / "adapter_model.safetensors");
        QVERIFY(adapterTensors.count("base_model.model.vit.encoder.layer.0.attention.attention.query.lora_A.weight"));
        QVERIFY(adapterTensors.count("base_model.model.classifier.weight"));

        // Merged into the model folder: the adapted layers and the head changed, nothing else.
        const TensorMap before = weightsOf(base), after = weightsOf(adapted);
        QCOMPARE(before.size(), after.size());
        for (const auto &[name, tensor] : before) {
            const bool adaptable = name.find(".query.weight") != std::string::npos
                                   || name.find(".value.weight") != std::string::npos
                                   || name.rfind("classifier.", 0) == 0;
            QVERIFY2(adaptable != at::equal(tensor, after.at(name)), name.c_str());
        }

        // Exported as PEFT's adapter: the base with it merged gives the run's model.
        ExportRequest peft;
        peft.project = f.project;
        peft.runId = adapted.runId;
        peft.format = ExportFormat::Peft;
        peft.output = toPath(f.dir.filePath("peft"));
        const ExportResult exported = exportRun(peft);
        for (const char *file : {"adapter_config.json", "adapter_model.safetensors", "preprocessor_config.json"})
            QVERIFY2(fs::is_regular_file(exported.folder / file), file);
        QVERIFY(!fs::exists(exported.folder / "model.safetensors"));
        QVERIFY2(exported.check->maxAbsLogitDifference < 1e-5,
                 qPrintable(QString::number(exported.check->maxAbsLogitDifference)));
        QCOMPARE(exported.check->predictionsChanged, std::int64_t{0});
    }

    void freezeKeepsTheLowerStagesAndLoraNeedsLinearLayers()
    {
        Fixture f;
        const auto [base, request] = f.fromTrained(
            f.resnet, TrainMethod::Freeze, [](RunConfig &run) { run.freezeLayers = 1; }); // the stem and stage 0
        test::NullSink sink;
        RunControl control;
        const TrainingSummary frozen = train(request, sink, control);
        const TensorMap before = weightsOf(base), after = weightsOf(frozen);
        for (const auto &[name, tensor] : before) {
            if (name.find("running_") != std::string::npos || name.find("num_batches_tracked") != std::string::npos)
                continue; // batch-norm statistics follow the data in train mode, frozen or not
            const bool fixed = name.rfind("resnet.embedder.", 0) == 0 || name.rfind("resnet.encoder.stages.0.", 0) == 0;
            QVERIFY2(fixed == at::equal(tensor, after.at(name)), name.c_str());
        }

        TrainingRequest lora = request;
        lora.config.method = TrainMethod::Lora;
        FT_VERIFY_ERROR(train(lora, sink, control), ErrorKind::InvalidInput, QStringLiteral("no linear layer LoRA can adapt"));
    }

    void textAndImagesDoNotMix()
    {
        Fixture f;
        test::NullSink sink;
        RunControl control;
        TrainingRequest request = f.request(f.resnet, Fixture::smallRun());
        request.model = (fs::path(FT_SHARED_DIR) / "golden" / "tiny-bert-uncased").string();
        FT_VERIFY_ERROR(train(request, sink, control), ErrorKind::Incompatible, QStringLiteral("holds images"),
                        QStringLiteral("BertForSequenceClassification classifies text"));
    }
};

FT_REGISTER_TEST(ImageTrainingTest);

#include "tst_image_training.moc"
