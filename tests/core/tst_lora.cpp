// tst_lora.cpp: LoRA on the golden tiny BERT as PEFT does it (trainable set, counts, zero-init equality,
// training touching only the adapter, merging, checkpoints, adapter files), LoRA and freeze runs end to end.
#include "common/error.h"
#include "data/sample_dataset.h"
#include "models/bert_classifier.h"
#include "models/bert_config.h"
#include "models/checkpoint.h"
#include "models/lora.h"
#include "models/safetensors.h"
#include "store/datasets.h"
#include "store/project.h"
#include "tempproject.h"
#include "testregistry.h"
#include "train/adamw.h"
#include "train/memory_estimate.h"
#include "train/run_config.h"
#include "train/train_step.h"
#include "train/trainer.h"

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>
#include <torch/nn/modules/linear.h>

#include <QTemporaryDir>
#include <QTest>

#include <fstream>

namespace fs = std::filesystem;
using namespace ft;

namespace {

const fs::path kTinyModel = fs::path(FT_SHARED_DIR) / "golden" / "tiny-bert-uncased";

bool isLoraName(const std::string &name)
{
    return name.find(".lora_A.") != std::string::npos || name.find(".lora_B.") != std::string::npos;
}

LoraConfig tinyConfig()
{
    LoraConfig config;
    config.r = 4;
    config.alpha = 8;
    config.dropout = 0.1;
    config.targetModules = {"query", "value"};
    config.seed = 3;
    return config;
}

// Two rows of different lengths, the second padded.
TensorBatch tinyBatch()
{
    TensorBatch batch;
    batch.inputIds = at::tensor({101, 7, 99, 250, 102, 101, 640, 31, 102, 0}, at::kLong).view({2, 5});
    batch.attentionMask = at::tensor({1, 1, 1, 1, 1, 1, 1, 1, 1, 0}, at::kLong).view({2, 5});
    batch.tokenTypeIds = at::zeros({2, 5}, at::kLong);
    batch.labels = at::tensor({2, 0}, at::kLong);
    return batch;
}

at::Tensor logitsOf(BertForSequenceClassificationImpl &model, const TensorBatch &batch)
{
    at::NoGradGuard noGrad;
    return model.forward(batch.inputIds, batch.attentionMask, batch.tokenTypeIds).logits;
}

TensorMap snapshot(const BertForSequenceClassificationImpl &model)
{
    TensorMap copy;
    for (const auto &item : model.named_parameters())
        copy.emplace(item.key(), item.value().detach().clone());
    return copy;
}

// Non-zero lora_B everywhere, so the branches change the output.
void randomiseLoraB(BertForSequenceClassificationImpl &model)
{
    at::NoGradGuard noGrad;
    for (auto &item : model.named_parameters())
        if (item.key().find(".lora_B.") != std::string::npos)
            item.value().normal_(0.0, 0.2);
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
    request.model = kTinyModel.string();
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
    config.loraR = 4;
    config.loraAlpha = 8;
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

class LoraTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    // The run dialog's memory estimate counts the parameters a real LoRA
    // model has and trains, for each choice of target modules.
    void memoryEstimateCountsTheRealModel_data()
    {
        QTest::addColumn<QStringList>("targets");
        QTest::newRow("query,value") << QStringList{"query", "value"};
        QTest::newRow("query,key,value,dense") << QStringList{"query", "key", "value", "dense"};
    }
    void memoryEstimateCountsTheRealModel()
    {
        QFETCH(QStringList, targets);
        LoadedBert loaded = loadBert(kTinyModel);
        RunConfig run;
        run.method = TrainMethod::Lora;
        run.loraR = 4;
        run.loraTargetModules.clear();
        for (const QString &target : targets)
            run.loraTargetModules.push_back(target.toStdString());
        LoraConfig lora = tinyConfig();
        lora.targetModules = run.loraTargetModules;
        const LoraSummary summary = applyLora(*loaded.model, lora);
        const MemoryEstimate estimate = estimateTrainingMemory(loaded.config, run, 32);
        QCOMPARE(estimate.trainableParameters, summary.trainableParameters);
        std::int64_t all = 0;
        for (const auto &parameter : loaded.model->parameters())
            all += parameter.numel();
        QCOMPARE(estimate.parameters, all);
        QCOMPARE(estimate.optimizerBytes, 8.0 * double(summary.trainableParameters));

        RunConfig full;
        const MemoryEstimate fullEstimate = estimateTrainingMemory(loaded.config, full, 32);
        QCOMPARE(fullEstimate.trainableParameters, bertParameterCount(loaded.config));
        QVERIFY(fullEstimate.totalBytes() > estimate.totalBytes());
        // Activations: linear in the batch, more than linear in the length, halved by bf16.
        full.perDeviceTrainBatchSize = 16;
        const double at16 = estimateTrainingMemory(loaded.config, full, 32).activationBytes;
        QCOMPARE(at16, 2 * fullEstimate.activationBytes);
        QVERIFY(estimateTrainingMemory(loaded.config, full, 64).activationBytes > 2 * at16);
        full.bf16 = true;
        QCOMPARE(estimateTrainingMemory(loaded.config, full, 32).activationBytes, at16 / 2);
    }

    void linearLayerIsBitIdenticalToTorchLinear()
    {
        at::manual_seed(11);
        torch::nn::Linear reference(torch::nn::LinearOptions(6, 5));
        at::manual_seed(11);
        LoraLinear layer(6, 5);
        QVERIFY(at::equal(layer->weight(), reference->weight));
        QVERIFY(at::equal(layer->bias(), reference->bias));
        const at::Tensor x = at::randn({3, 6});
        QVERIFY(at::equal(layer(x), reference(x)));
        QCOMPARE(layer->named_parameters().size(), size_t{2});
    }

    void targetsMatchAsPeftDoes()
    {
        const std::vector<std::string> targets{"query", "value"};
        QVERIFY(matchesLoraTarget("bert.encoder.layer.0.attention.self.query", targets));
        QVERIFY(matchesLoraTarget("value", targets));
        QVERIFY(!matchesLoraTarget("bert.encoder.layer.0.attention.self.key", targets));
        QVERIFY(!matchesLoraTarget("bert.encoder.layer.0.attention.self.subquery", targets));
        QVERIFY(matchesLoraTarget("bert.pooler.dense", {"dense"}));
        QVERIFY(matchesLoraTarget("bert.encoder.layer.1.output.dense", {"output.dense"}));
        QVERIFY(!matchesLoraTarget("bert.encoder.layer.1.output.dense", {"layer.1.output"}));
    }

    void onlyLoraAndClassifierTrain()
    {
        LoadedBert loaded = loadBert(kTinyModel);
        const LoraSummary summary = applyLora(*loaded.model, tinyConfig());
        QCOMPARE(summary.adaptedModules,
                 (std::vector<std::string>{"bert.encoder.layer.0.attention.self.query",
                                           "bert.encoder.layer.0.attention.self.value",
                                           "bert.encoder.layer.1.attention.self.query",
                                           "bert.encoder.layer.1.attention.self.value"}));
        std::int64_t trainable = 0, lora = 0, all = 0;
        for (const auto &item : loaded.model->named_parameters()) {
            const std::string &name = item.key();
            const bool wanted = isLoraName(name) || name.rfind("classifier.", 0) == 0;
            QVERIFY2(item.value().requires_grad() == wanted, name.c_str());
            all += item.value().numel();
            trainable += item.value().requires_grad() ? item.value().numel() : 0;
            lora += isLoraName(name) ? item.value().numel() : 0;
        }
        const auto parameters = loaded.model->named_parameters();
        const std::string self = "bert.encoder.layer.0.attention.self.";
        QVERIFY(parameters[self + "query.lora_A.weight"].sizes() == at::IntArrayRef({4, 32}));
        QVERIFY(parameters[self + "value.lora_B.weight"].sizes() == at::IntArrayRef({32, 4}));
        QVERIFY(parameters.find("bert.pooler.dense.lora_A.weight") == nullptr);
        // 4 layers x (4x32 + 32x4) = 1024; classifier 3x32 + 3 = 99; the base model 52,419.
        QCOMPARE(lora, std::int64_t{1024});
        QCOMPARE(trainable, std::int64_t{1123});
        QCOMPARE(all, std::int64_t{52419 + 1024});
        QCOMPARE(summary.trainableParameters, std::int64_t{1123});
        QCOMPARE(summary.allParameters, std::int64_t{52419 + 1024 + 99}); // PEFT counts its head copy too
        QCOMPARE(QString::fromStdString(summary.describe()),
                 QStringLiteral("trainable params: 1,123 || all params: 53,542 || trainable%: 2.0974"));
        QVERIFY(hasLora(*loaded.model));
    }

    void zeroInitialisedBranchLeavesLogitsUnchanged()
    {
        LoadedBert base = loadBert(kTinyModel);
        LoadedBert adapted = loadBert(kTinyModel);
        applyLora(*adapted.model, tinyConfig());
        const at::Tensor expected = logitsOf(*base.model, tinyBatch());
        QVERIFY(at::equal(logitsOf(*adapted.model, tinyBatch()), expected));
        randomiseLoraB(*adapted.model);
        QVERIFY(!at::allclose(logitsOf(*adapted.model, tinyBatch()), expected));
    }

    void trainingChangesOnlyTheAdapterAndLowersTheLoss()
    {
        LoadedBert loaded = loadBert(kTinyModel);
        BertForSequenceClassificationImpl &model = *loaded.model;
        applyLora(model, tinyConfig());
        const TensorMap before = snapshot(model);
        const TensorBatch batch = tinyBatch();
        const auto evalLoss = [&] {
            model.eval();
            return classificationLoss(logitsOf(model, batch), batch.labels).item<double>();
        };
        const double lossBefore = evalLoss();

        std::vector<AdamW::NamedParameter> parameters;
        for (const auto &item : model.named_parameters())
            parameters.emplace_back(item.key(), item.value());
        AdamW optimizer(parameters, AdamWOptions{});
        QCOMPARE(optimizer.parameterCount(), std::int64_t{1123});
        at::manual_seed(1);
        BertClassifier classifier(loaded.model);
        for (int step = 0; step < 10; ++step) {
            model.train();
            forwardBackward(classifier, batch, 1.0);
            optimizer.step(1e-2);
            optimizer.zeroGrad();
        }
        QVERIFY2(evalLoss() < lossBefore, "the loss did not go down");

        for (const auto &item : model.named_parameters()) {
            const std::string &name = item.key();
            const bool same = at::equal(item.value(), before.at(name));
            if (isLoraName(name) || name.rfind("classifier.", 0) == 0)
                QVERIFY2(!same, ("trainable but unchanged: " + name).c_str());
            else
                QVERIFY2(same, ("frozen but changed: " + name).c_str());
        }
    }

    void mergedModelMatchesAndRoundTrips()
    {
        LoadedBert loaded = loadBert(kTinyModel);
        BertForSequenceClassificationImpl &model = *loaded.model;
        const std::int64_t baseParameters = std::int64_t(model.named_parameters().size());
        LoraConfig config = tinyConfig();
        config.targetModules = {"query", "key", "value", "dense"};
        applyLora(model, config);
        randomiseLoraB(model);
        const at::Tensor unmerged = logitsOf(model, tinyBatch());

        QCOMPARE(mergeLora(model), std::int64_t{2 * 6 + 1}); // pooler.dense matches "dense" too, as in PEFT
        QVERIFY(!hasLora(model));
        QCOMPARE(std::int64_t(model.named_parameters().size()), baseParameters);
        for (const auto &item : model.named_parameters())
            QVERIFY2(!isLoraName(item.key()), item.key().c_str());
        const at::Tensor merged = logitsOf(model, tinyBatch());
        QVERIFY2((merged - unmerged).abs().max().item<double>() < 1e-5, "merged logits differ");

        QTemporaryDir dir;
        const fs::path folder = ft::test::toPath(dir.path()) / "merged";
        saveBert(model, folder);
        for (const auto &[name, tensor] : loadSafetensors(folder / "model.safetensors"))
            QVERIFY2(!isLoraName(name), name.c_str());
        LoadedBert reloaded = loadBert(folder);
        QVERIFY(reloaded.report.complete());
        QVERIFY(at::equal(logitsOf(*reloaded.model, tinyBatch()), merged));
    }

    void checkpointsCarryTheBranches()
    {
        LoadedBert source = loadBert(kTinyModel);
        applyLora(*source.model, tinyConfig());
        randomiseLoraB(*source.model);
        const TensorMap state = bertStateDict(*source.model);
        QVERIFY(state.count("bert.encoder.layer.1.attention.self.value.lora_B.weight"));

        LoadedBert target = loadBert(kTinyModel);
        LoraConfig other = tinyConfig();
        other.seed = 99;
        applyLora(*target.model, other);
        const LoadReport report = applyCheckpoint(*target.model, state, "state");
        QVERIFY(report.complete());
        QVERIFY(report.unexpected.empty());
        QVERIFY(at::equal(logitsOf(*target.model, tinyBatch()), logitsOf(*source.model, tinyBatch())));

        // A plain model refuses the LoRA tensors rather than silently dropping them; a LoRA model
        // refuses a state without them.
        LoadedBert plain = loadBert(kTinyModel);
        QVERIFY_THROWS_EXCEPTION(Error, applyCheckpoint(*plain.model, state, "state"));
        LoadedBert fresh = loadBert(kTinyModel);
        applyLora(*fresh.model, tinyConfig());
        QVERIFY_THROWS_EXCEPTION(Error, applyCheckpoint(*fresh.model, bertStateDict(*plain.model), "plain"));
    }

    void adapterFilesFollowPeft()
    {
        LoadedBert loaded = loadBert(kTinyModel);
        applyLora(*loaded.model, tinyConfig());
        randomiseLoraB(*loaded.model);
        QTemporaryDir dir;
        const fs::path folder = ft::test::toPath(dir.path()) / "adapter";
        saveLoraAdapter(*loaded.model, tinyConfig(), kTinyModel.string(), folder);

        const TensorMap tensors = loadSafetensors(folder / "adapter_model.safetensors");
        std::map<std::string, std::vector<std::int64_t>> shapes;
        for (const auto &[name, tensor] : tensors)
            shapes.emplace(name, tensor.sizes().vec());
        std::map<std::string, std::vector<std::int64_t>> expected{
            {"base_model.model.classifier.weight", {3, 32}}, {"base_model.model.classifier.bias", {3}}};
        for (const char *layer : {"0", "1"})
            for (const char *module : {"query", "value"}) {
                const std::string prefix =
                    std::string("base_model.model.bert.encoder.layer.") + layer + ".attention.self." + module;
                expected.emplace(prefix + ".lora_A.weight", std::vector<std::int64_t>{4, 32});
                expected.emplace(prefix + ".lora_B.weight", std::vector<std::int64_t>{32, 4});
            }
        QVERIFY(shapes == expected);
        const auto parameters = loaded.model->named_parameters();
        for (const auto &[name, tensor] : tensors)
            QVERIFY2(at::equal(tensor, parameters[name.substr(std::string("base_model.model.").size())]), name.c_str());

        std::ifstream in(folder / "adapter_config.json");
        const auto json = nlohmann::json::parse(in);
        QCOMPARE(json.at("base_model_name_or_path").get<std::string>(), kTinyModel.string());
        QCOMPARE(json.at("peft_type").get<std::string>(), std::string("LORA"));
        QCOMPARE(json.at("task_type").get<std::string>(), std::string("SEQ_CLS"));
        QCOMPARE(json.at("r").get<int>(), 4);
        QCOMPARE(json.at("lora_alpha").get<double>(), 8.0);
        QCOMPARE(json.at("lora_dropout").get<double>(), 0.1);
        QCOMPARE(json.at("target_modules").get<std::vector<std::string>>(),
                 (std::vector<std::string>{"query", "value"}));
        QCOMPARE(json.at("modules_to_save").get<std::vector<std::string>>(),
                 (std::vector<std::string>{"classifier", "score"}));
        QCOMPARE(json.at("bias").get<std::string>(), std::string("none"));
        QCOMPARE(json.at("inference_mode").get<bool>(), true);
        QCOMPARE(json.at("fan_in_fan_out").get<bool>(), false);

        // "all-linear" is written as the layers it resolved to; the classifier is never adapted.
        LoadedBert every = loadBert(kTinyModel);
        LoraConfig all = tinyConfig();
        all.targetModules = {kLoraAllLinear};
        QCOMPARE(applyLora(*every.model, all).adaptedModules.size(), size_t{13});
        QCOMPARE(loraAdapterConfig(*every.model, all, "base").at("target_modules").get<std::vector<std::string>>(),
                 (std::vector<std::string>{"dense", "key", "query", "value"}));
    }

    void badTargetsAreRefusedAndLeaveTheModelAlone()
    {
        LoadedBert loaded = loadBert(kTinyModel);
        LoraConfig config = tinyConfig();
        config.targetModules = {"qkv"};
        QVERIFY_THROWS_EXCEPTION(Error, applyLora(*loaded.model, config));
        config.targetModules = {"query", "output"}; // attention.output is a block, not a linear layer
        QVERIFY_THROWS_EXCEPTION(Error, applyLora(*loaded.model, config));
        config.targetModules = {"query"};
        config.r = 0;
        QVERIFY_THROWS_EXCEPTION(Error, applyLora(*loaded.model, config));
        QVERIFY(!hasLora(*loaded.model));
        for (const auto &item : loaded.model->named_parameters())
            QVERIFY2(item.value().requires_grad(), item.key().c_str());
        QVERIFY_THROWS_EXCEPTION(Error, loraAdapterTensors(*loaded.model));
        applyLora(*loaded.model, tinyConfig());
        QVERIFY_THROWS_EXCEPTION(Error, applyLora(*loaded.model, tinyConfig()));
    }

    void loraRunSavesAMergedModelAndItsAdapter()
    {
        QTemporaryDir dir;
        const fs::path project = makeProject(dir);
        const TrainingRequest request = requestFor(project, TrainMethod::Lora);
        const TrainingSummary summary = runTraining(request);
        QCOMPARE(int(summary.state), int(RunState::Completed));
        QVERIFY(summary.adapterFolder == summary.modelFolder.parent_path() / "adapter");
        QVERIFY(fs::is_regular_file(summary.adapterFolder / "adapter_config.json"));

        LoadedBert finalModel = loadBert(summary.modelFolder);
        QVERIFY(finalModel.report.complete());
        const TensorMap finalWeights = bertStateDict(*finalModel.model);
        const TensorMap baseWeights = loadSafetensors(kTinyModel / "model.safetensors");
        for (const auto &[name, tensor] : finalWeights) {
            QVERIFY2(!isLoraName(name), name.c_str());
            if (name.rfind("classifier.", 0) == 0)
                continue;
            const bool adapted = name.ends_with("query.weight") || name.ends_with("value.weight");
            QVERIFY2(at::equal(tensor, baseWeights.at(name)) != adapted, name.c_str());
        }

        // Base + adapter file, merged, gives the run's model.
        LoadOptions options;
        options.labels = finalModel.config.id2label;
        options.ignoreMismatchedSizes = true;
        LoadedBert rebuilt = loadBert(kTinyModel, options);
        LoraConfig config{4, 8, request.config.loraDropout, {"query", "value"}, 0}; // BERT's default targets
        applyLora(*rebuilt.model, config);
        TensorMap adapter = loadSafetensors(summary.adapterFolder / "adapter_model.safetensors");
        TensorMap state = bertStateDict(*rebuilt.model);
        for (const auto &[name, tensor] : adapter)
            state[name.substr(std::string("base_model.model.").size())] = tensor;
        applyCheckpoint(*rebuilt.model, state, "adapter");
        mergeLora(*rebuilt.model);
        for (const auto &[name, tensor] : bertStateDict(*rebuilt.model))
            QVERIFY2(at::allclose(tensor, finalWeights.at(name), 0, 1e-6), name.c_str());

        // Interrupted after step 6 (checkpoint at 4) and resumed: the same model, bit for bit.
        const TrainingSummary stopped = runTraining(request, 6);
        QCOMPARE(int(stopped.state), int(RunState::Interrupted));
        TrainingRequest resume;
        resume.project = project;
        resume.resumeRun = stopped.runId;
        const TrainingSummary resumed = runTraining(resume);
        QCOMPARE(int(resumed.state), int(RunState::Completed));
        const TensorMap resumedWeights = loadSafetensors(resumed.modelFolder / "model.safetensors");
        for (const auto &[name, tensor] : finalWeights)
            QVERIFY2(at::equal(tensor, resumedWeights.at(name)), name.c_str());
    }

    void freezeRunTrainsOnlyTheUnfrozenLayers()
    {
        QTemporaryDir dir;
        const fs::path project = makeProject(dir);
        const TensorMap base = loadSafetensors(kTinyModel / "model.safetensors");
        for (const std::int64_t layers : {std::int64_t{1}, std::int64_t{-1}}) {
            TrainingRequest request = requestFor(project, TrainMethod::Freeze);
            request.config.freezeLayers = layers;
            const TrainingSummary summary = runTraining(request);
            QCOMPARE(int(summary.state), int(RunState::Completed));
            QVERIFY(summary.adapterFolder.empty());
            for (const auto &[name, tensor] : loadSafetensors(summary.modelFolder / "model.safetensors")) {
                if (name.rfind("classifier.", 0) == 0)
                    continue;
                const bool frozen = layers < 0 || name.rfind("bert.embeddings.", 0) == 0 ||
                                    name.rfind("bert.encoder.layer.0.", 0) == 0;
                QVERIFY2(at::equal(tensor, base.at(name)) == frozen, (std::to_string(layers) + ": " + name).c_str());
            }
        }
    }
};

FT_REGISTER_TEST(LoraTest);

#include "tst_lora.moc"
