// tst_peft_method_runs.cpp: adapter, prefix and prompt runs end to end on the golden tiny BERT: only
// the method's parameters and the head move, an interrupted run resumes to the same weights bit for bit,
// and the exports that fit the method work (peft, checked against the run's model) while the others are
// refused.
#include "common/error.h"
#include "data/sample_dataset.h"
#include "export/run_export.h"
#include "models/peft_methods.h"
#include "models/safetensors.h"
#include "store/datasets.h"
#include "store/project.h"
#include "tempproject.h"
#include "testregistry.h"
#include "train/run_config.h"
#include "train/trainer.h"

#include <ATen/ATen.h>

#include <QTemporaryDir>
#include <QTest>

namespace fs = std::filesystem;
using namespace ft;

namespace {

const fs::path kTinyBert = fs::path(FT_SHARED_DIR) / "golden" / "tiny-bert-uncased";

bool isHead(const std::string &name)
{
    return name.rfind("classifier.", 0) == 0;
}

fs::path makeProject(const QTemporaryDir &dir)
{
    const fs::path folder = ft::test::toPath(dir.filePath(QStringLiteral("project")));
    Project project = Project::create(folder);
    const auto dataset = createDataset(project, "reviews", "generated");
    addExamples(project, dataset, generateSampleReviews(80, 5));
    return folder;
}

TrainingRequest requestFor(const fs::path &project, TrainMethod method)
{
    TrainingRequest request;
    request.project = project;
    request.dataset = "reviews";
    request.model = kTinyBert.string();
    RunConfig &config = request.config;
    config.method = method;
    config.maxSteps = 8;
    config.perDeviceTrainBatchSize = 8;
    config.learningRate = 5e-3;
    config.saveSteps = 4;
    config.saveTotalLimit = 0;
    config.evalStrategy = EvalStrategy::No;
    config.seed = 5;
    config.threads = 1;
    config.maxLength = 32;
    config.numVirtualTokens = 4;
    config.adapterReductionFactor = 8;
    config.device = "cpu";
    return request;
}

class QuietSink : public ProgressSink {
public:
    void metric(const MetricPoint &) override {}
    void progress(const TrainingProgress &) override {}
    void log(LogLevel, const std::string &message) override { logs.push_back(message); }
    void stateChanged(RunState, const std::string &) override {}
    std::vector<std::string> logs;
};

TrainingSummary runTraining(const TrainingRequest &request, std::int64_t stopAfterStep = 0)
{
    QuietSink sink;
    RunControl control;
    control.stopAfterStep = stopAfterStep;
    return train(request, sink, control);
}

} // namespace

class PeftMethodRunsTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    // Runs end to end: the final model reloads to the run's logits, an interrupted run resumes to the
    // same weights bit for bit, and the exports that fit the method work while the others are refused.
    void runsResumeAndExport_data()
    {
        QTest::addColumn<int>("method");
        QTest::addColumn<int>("adapterType");
        QTest::newRow("adapter houlsby") << int(TrainMethod::Adapter) << int(AdapterType::Houlsby);
        QTest::newRow("prefix") << int(TrainMethod::Prefix) << int(AdapterType::Pfeiffer);
        QTest::newRow("prompt") << int(TrainMethod::Prompt) << int(AdapterType::Pfeiffer);
    }
    void runsResumeAndExport()
    {
        QFETCH(int, method);
        QFETCH(int, adapterType);
        QTemporaryDir dir;
        const fs::path project = makeProject(dir);
        TrainingRequest request = requestFor(project, TrainMethod(method));
        request.config.adapterType = AdapterType(adapterType);
        request.config.promptTuningInitText = "a review";
        const TrainingSummary summary = runTraining(request);
        QCOMPARE(int(summary.state), int(RunState::Completed));
        const bool adapter = TrainMethod(method) == TrainMethod::Adapter;
        QCOMPARE(summary.adapterFolder.empty(), adapter);
        const TensorMap finalWeights = loadSafetensors(summary.modelFolder / "model.safetensors");
        const TensorMap base = loadSafetensors(kTinyBert / "model.safetensors");
        std::int64_t methodTensors = 0;
        for (const auto &[name, tensor] : finalWeights) {
            methodTensors += isPeftMethodParameter(name);
            if (!isPeftMethodParameter(name) && !isHead(name))
                QVERIFY2(at::equal(tensor, base.at(name)), ("frozen but changed: " + name).c_str());
        }
        QVERIFY(methodTensors > 0);

        // Interrupted after step 6 (checkpoint at 4) and resumed: the same model, bit for bit.
        const TrainingSummary stopped = runTraining(request, 6);
        QCOMPARE(int(stopped.state), int(RunState::Interrupted));
        TrainingRequest resume;
        resume.project = project;
        resume.resumeRun = stopped.runId;
        const TrainingSummary resumed = runTraining(resume);
        QCOMPARE(int(resumed.state), int(RunState::Completed));
        const TensorMap resumedWeights = loadSafetensors(resumed.modelFolder / "model.safetensors");
        QCOMPARE(resumedWeights.size(), finalWeights.size());
        for (const auto &[name, tensor] : finalWeights)
            QVERIFY2(at::equal(tensor, resumedWeights.at(name)), name.c_str());

        for (const ExportFormat format : allExportFormats()) {
            ExportRequest exportRequest;
            exportRequest.project = project;
            exportRequest.runId = summary.runId;
            exportRequest.format = format;
            exportRequest.output = ft::test::toPath(dir.path()) / ("export-" + toString(format));
            if (adapter || format != ExportFormat::Peft) {
                QVERIFY_THROWS_EXCEPTION(Error, exportRun(exportRequest));
                QVERIFY(!fs::exists(exportRequest.output));
                continue;
            }
            const ExportResult result = exportRun(exportRequest);
            QVERIFY(result.check);
            QCOMPARE(result.check->predictionsChanged, std::int64_t{0});
            QVERIFY2(result.check->maxAbsLogitDifference < 1e-5,
                     qPrintable(QString::number(result.check->maxAbsLogitDifference)));
        }
    }
};

FT_REGISTER_TEST(PeftMethodRunsTest);

#include "tst_peft_method_runs.moc"
