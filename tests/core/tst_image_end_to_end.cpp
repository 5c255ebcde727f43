// tst_image_end_to_end.cpp: a real photo dataset (../shared/data's
// hymenoptera subset: ants and bees, class folders under train/ and val/)
// imported, a scratch ResNet trained on it on the CPU, evaluated, exported to
// ONNX (and TorchScript), and the export run by ONNX Runtime (for Node) on
// the validation images agreeing with the run's own model.
#include "data/dataset_import.h"
#include "export/run_export.h"
#include "infer/image_predictor.h"
#include "nullsink.h"
#include "onnx_runtime_node.h"
#include "store/project.h"
#include "tempproject.h"
#include "testregistry.h"
#include "train/run_evaluation.h"
#include "train/run_inputs.h"
#include "train/trainer.h"
#include "vision/image_processor.h"

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include <QTemporaryDir>
#include <QTest>

#include <fstream>

namespace fs = std::filesystem;
using namespace ft;

namespace {

const fs::path kPhotos = fs::path(FT_SHARED_DIR) / "data" / "hymenoptera_subset";

void writeJson(const fs::path &file, const nlohmann::json &json)
{
    fs::create_directories(file.parent_path());
    std::ofstream(file) << json.dump(2);
}

} // namespace

class ImageEndToEndTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void photosTrainEvaluateAndExportToOnnxRuntime()
    {
        QTemporaryDir dir;
        const fs::path projectFolder = test::toPath(dir.filePath("project"));
        {
            Project project = Project::create(projectFolder);
            ImportOptions options;
            options.file = kPhotos;
            options.datasetName = "hymenoptera";
            const ImportResult imported = importDataset(project, options);
            QCOMPARE(imported.rows, std::int64_t{150});
            QCOMPARE(imported.errorCount, std::int64_t{0});
            QCOMPARE(imported.splits.train, std::int64_t{100});
            QCOMPARE(imported.splits.validation, std::int64_t{50});
        }

        // A small scratch ResNet on 64x64 inputs.
        const fs::path model = test::toPath(dir.filePath("scratch-resnet"));
        writeJson(model / "config.json", {{"model_type", "resnet"}, {"embedding_size", 16},
                                          {"hidden_sizes", {16, 32, 64}}, {"depths", {1, 1, 1}}, {"layer_type", "basic"}});
        writeJson(model / "preprocessor_config.json",
                  {{"image_processor_type", "ViTImageProcessor"}, {"do_resize", true},
                   {"size", {{"height", 64}, {"width", 64}}}, {"resample", 2}, {"do_rescale", true},
                   {"rescale_factor", 1.0 / 255}, {"do_normalize", true}, {"image_mean", {0.485, 0.456, 0.406}},
                   {"image_std", {0.229, 0.224, 0.225}}});
        TrainingRequest request;
        request.project = projectFolder;
        request.dataset = "hymenoptera";
        request.model = kScratchModelPrefix + (model / "config.json").string();
        request.config.numTrainEpochs = 3;
        request.config.perDeviceTrainBatchSize = 16;
        request.config.perDeviceEvalBatchSize = 25;
        request.config.learningRate = 1e-3;
        request.config.seed = 1;
        test::NullSink sink;
        RunControl control;
        const TrainingSummary summary = train(request, sink, control);
        QCOMPARE(int(summary.state), int(RunState::Completed));
        QCOMPARE(summary.steps, std::int64_t{21}); // ceil(100 / 16) steps, 3 epochs
        qInfo("trained %lld steps at %.1f images/s; validation accuracy %.3f, loss %.4f",
              static_cast<long long>(summary.steps), summary.samplesPerSecond,
              summary.evalMetrics.at("eval_accuracy"), summary.evalMetrics.at("eval_loss"));

        RunEvaluationRequest evaluation;
        evaluation.project = projectFolder;
        evaluation.runId = summary.runId;
        evaluation.split = "validation";
        const RunEvaluation evaluated = evaluateRun(evaluation);
        QCOMPARE(evaluated.examples, std::int64_t{50});
        QCOMPARE(evaluated.metrics.accuracy, summary.evalMetrics.at("eval_accuracy"));
        QVERIFY(evaluated.report.find("ants") != std::string::npos);

        ExportRequest exportRequest;
        exportRequest.project = projectFolder;
        exportRequest.runId = summary.runId;
        exportRequest.format = ExportFormat::Onnx;
        exportRequest.output = test::toPath(dir.filePath("onnx"));
        const ExportResult exported = exportRun(exportRequest);
        QVERIFY(exported.check.has_value());
        QCOMPARE(exported.check->split, std::string("validation"));
        QCOMPARE(exported.check->examples, std::int64_t{50});
        QVERIFY2(exported.check->maxAbsLogitDifference < 1e-4, qPrintable(QString::number(exported.check->maxAbsLogitDifference)));
        QCOMPARE(exported.check->exportAccuracy, exported.check->runAccuracy);
        QCOMPARE(exported.check->runAccuracy, evaluated.metrics.accuracy);
        for (const char *file : {"model.onnx", "config.json", "preprocessor_config.json", "README.md"})
            QVERIFY2(fs::is_regular_file(exported.folder / file), file);
        // TorchScript too, checked the same way.
        exportRequest.format = ExportFormat::TorchScript;
        exportRequest.output = test::toPath(dir.filePath("torchscript"));
        const ExportResult script = exportRun(exportRequest);
        QVERIFY(fs::is_regular_file(script.folder / "model.pt"));
        QVERIFY2(script.check->maxAbsLogitDifference < 1e-4, qPrintable(QString::number(script.check->maxAbsLogitDifference)));
        QCOMPARE(script.check->exportAccuracy, script.check->runAccuracy);

        // ONNX Runtime on the validation photos, preprocessed as the export's processor says, against the
        // run's model folder through the predictor.
        const ImageProcessorConfig processor = loadImageProcessorConfig(exported.folder / "preprocessor_config.json");
        std::vector<RgbImage> images;
        std::vector<at::Tensor> pixels;
        for (const char *label : {"ants", "bees"})
            for (const auto &entry : fs::directory_iterator(kPhotos / "val" / label)) {
                images.push_back(readRgbImage(entry.path()));
                const PixelValues values = preprocessImage(images.back(), processor);
                pixels.push_back(at::from_blob(const_cast<float *>(values.chw.data()), {1, 3, values.height, values.width},
                                               at::kFloat).clone());
            }
        const at::Tensor batch = at::cat(pixels, 0).contiguous();
        const at::Tensor flat = batch.flatten();
        const nlohmann::json inputs{
            {"pixel_values",
             {{"type", "float32"},
              {"dims", batch.sizes().vec()},
              {"data", std::vector<float>(flat.data_ptr<float>(), flat.data_ptr<float>() + flat.numel())}}}};
        QString failure;
        const at::Tensor runtime = test::onnxRuntimeLogits(exported.folder / "model.onnx", inputs,
                                                           test::toPath(dir.path()), failure);
        QVERIFY2(failure.isEmpty(), qPrintable(failure));
        ImagePredictor predictor(summary.modelFolder, PredictorOptions{});
        const Predictions predictions = predictor.predict(images);
        const at::Tensor expected = at::tensor(predictions.logits).view({std::int64_t(images.size()), 2});
        const double difference = (runtime - expected).abs().max().item<double>();
        qInfo("ONNX Runtime vs the run's model on %zu photos: max |logit difference| %.3g", images.size(), difference);
        QVERIFY2(difference < 1e-4, qPrintable(QString::number(difference)));
    }
};

FT_REGISTER_TEST(ImageEndToEndTest);

#include "tst_image_end_to_end.moc"
