// distillation.cpp: the distillation loss, the student's initialisation from the teacher, and
// the teacher's place in a run.
#include "train/distillation.h"

#include "common/error.h"
#include "models/bert_classifier.h"
#include "models/classifier_factory.h"
#include "models/model_family.h"
#include "models/peft_method_config.h"
#include "models/text_classifier.h"
#include "store/project.h"
#include "store/runs.h"
#include "train/progress_sink.h"
#include "train/run_config.h"
#include "train/run_inputs.h"
#include "train/train_step.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace fs = std::filesystem;

namespace ft {

namespace {

// Where a family keeps its layers: config.json's count and the prefix of the layers' tensors ("<prefix><i>.").
struct LayerStack {
    const char *countKey = nullptr; // null: a family without students
    const char *tensorPrefix = nullptr;
};

LayerStack layerStackOf(const std::string &modelType)
{
    const ModelFamily *family = findModelFamily(modelType);
    if (!family || !family->distils)
        return {};
    if (modelType == "bert")
        return {"num_hidden_layers", "bert.encoder.layer."};
    if (modelType == "distilbert")
        return {"n_layers", "distilbert.transformer.layer."};
    if (modelType == "roberta" || modelType == "xlm-roberta")
        return {"num_hidden_layers", "roberta.encoder.layer."};
    if (modelType == "gpt2")
        return {"n_layer", "transformer.h."};
    if (modelType == "llama")
        return {"num_hidden_layers", "model.layers."};
    throw Error(ErrorKind::Internal, "model_type " + modelType + " distils but has no layer stack here");
}

std::string distillingFamilies()
{
    std::string names;
    for (const ModelFamily &family : modelFamilies())
        if (family.distils)
            names += (names.empty() ? "" : ", ") + family.displayName;
    return names;
}

std::string joined(const std::vector<std::string> &names)
{
    std::string text;
    for (const std::string &name : names)
        text += (text.empty() ? "" : ", ") + name;
    return text;
}

std::string shortNumber(double value)
{
    char text[32];
    std::snprintf(text, sizeof text, "%g", value);
    return text;
}

fs::path teacherFolder(Project &project, std::int64_t teacherRun)
{
    return project.folder() / "runs" / std::to_string(teacherRun) / "model";
}

} // namespace

DistillationLoss distillationLoss(const at::Tensor &studentLogits, const at::Tensor &teacherLogits,
                                  const at::Tensor &labels, double temperature, double alpha,
                                  const at::Tensor &classWeights)
{
    const at::Tensor student = studentLogits.to(at::kFloat);
    const at::Tensor teacher = teacherLogits.to(at::kFloat).detach();
    const at::Tensor studentLog = at::log_softmax(student / temperature, -1);
    const at::Tensor teacherLog = at::log_softmax(teacher / temperature, -1);
    // KL(p_t || p_s) summed over the classes, averaged over the rows: KLDivLoss(reduction="batchmean").
    const at::Tensor kl = (teacherLog.exp() * (teacherLog - studentLog)).sum(-1).mean();
    DistillationLoss loss;
    loss.soft = kl * (temperature * temperature);
    loss.hard = classificationLoss(student, labels, classWeights);
    loss.total = loss.soft * alpha + loss.hard * (1.0 - alpha);
    return loss;
}

std::vector<std::int64_t> studentLayerMap(std::int64_t teacherLayers, std::int64_t studentLayers)
{
    if (studentLayers < 1 || studentLayers > teacherLayers)
        throw Error(ErrorKind::InvalidInput, "a student takes 1 to " + std::to_string(teacherLayers)
                                                 + " of the teacher's layers, not " + std::to_string(studentLayers));
    std::vector<std::int64_t> layers;
    for (std::int64_t i = 0; i < studentLayers; ++i)
        layers.push_back(studentLayers == 1 ? 0
                                            : std::llround(double(i) * double(teacherLayers - 1)
                                                           / double(studentLayers - 1)));
    return layers;
}

std::int64_t studentLayerCount(std::int64_t requested, std::int64_t teacherLayers)
{
    if (requested > teacherLayers)
        throw Error(ErrorKind::InvalidInput, "student_layers " + std::to_string(requested) + " exceeds the teacher's "
                                                 + std::to_string(teacherLayers) + " layers");
    return requested > 0 ? requested : std::max<std::int64_t>(1, (teacherLayers + 1) / 2);
}

std::int64_t encoderLayerCount(Classifier &model)
{
    const nlohmann::json &config = model.configJson();
    return layerStackOf(config.value("model_type", "")).countKey ? configLayerCount(config) : 0;
}

Student makeStudent(Classifier &teacher, std::int64_t layers, const ClassifierOptions &options)
{
    nlohmann::json config = teacher.configJson();
    const LayerStack stack = layerStackOf(config.value("model_type", ""));
    if (!stack.countKey)
        throw Error(ErrorKind::Incompatible, "distillation takes " + distillingFamilies()
                                                 + " teachers, whose students drop layers; not "
                                                 + teacher.architecture());
    Student student;
    student.fromLayers = studentLayerMap(encoderLayerCount(teacher), layers);
    config[stack.countKey] = layers;
    config.erase(kPeftMethodKey); // a student starts from the teacher's base weights, without its adapters
    ClassifierOptions onCpu = options; // filled on the CPU, then moved
    onCpu.device = c10::Device(c10::kCPU);
    onCpu.labels.clear(); // the teacher's head, labels and all
    if (config.value("model_type", "") == "bert")
        student.model = std::make_unique<BertClassifier>(
            makeScratchBert(BertConfig::fromJson(config, "the student's config"), options.seed));
    else
        student.model = makeScratchTextClassifier(config, "the student's config", onCpu);

    // Every tensor of the student under its own name, from the teacher's tensor of the same name
    // or, among the layers, of the same name in the layer it starts from.
    const std::string prefix = stack.tensorPrefix;
    const TensorMap from = teacher.state();
    TensorMap tensors;
    for (const auto &[name, tensor] : student.model->state()) {
        std::string source = name;
        if (name.rfind(prefix, 0) == 0) {
            const std::size_t begin = prefix.size();
            const std::size_t dot = name.find('.', begin);
            const auto layer = static_cast<std::size_t>(std::stoll(name.substr(begin, dot - begin)));
            source = prefix + std::to_string(student.fromLayers.at(layer)) + name.substr(dot);
        }
        const auto found = from.find(source);
        if (found == from.end() || !found->second.sizes().equals(tensor.sizes()))
            throw Error(ErrorKind::Internal, "the student's " + name + " has no match in the teacher (" + source + ")");
        tensors.emplace(name, found->second);
    }
    student.model->loadState(tensors, "the teacher's weights");
    student.model->module().to(options.device);
    return student;
}

Distiller::Distiller(ClassifierPtr teacher, double temperature, double alpha)
    : mTeacher(std::move(teacher)), mTemperature(temperature), mAlpha(alpha)
{
    mTeacher->module().eval(); // no dropout: the targets are the teacher's best guess, the same every epoch
    for (auto &parameter : mTeacher->module().parameters())
        parameter.set_requires_grad(false);
}

double Distiller::forwardBackward(Classifier &student, const TensorBatch &batch, double lossScale,
                                  const at::Tensor &classWeights)
{
    at::Tensor teacherLogits;
    {
        const c10::NoGradGuard noGrad;
        teacherLogits = mTeacher->logits(batch);
    }
    const DistillationLoss loss =
        distillationLoss(student.logits(batch), teacherLogits, batch.labels, mTemperature, mAlpha, classWeights);
    (lossScale == 1.0 ? loss.total : loss.total * lossScale).backward();
    const auto rows = static_cast<double>(batch.size());
    mSoftSum += loss.soft.item<double>() * rows;
    mHardSum += loss.hard.item<double>() * rows;
    mRows += batch.size();
    return loss.total.item<double>();
}

void Distiller::reportParts(ProgressSink &sink, std::int64_t step, double epoch, double wallSeconds)
{
    if (mRows == 0)
        return;
    const auto rows = static_cast<double>(mRows);
    sink.metric({step, epoch, "train/distill_loss", mSoftSum / rows, wallSeconds});
    sink.metric({step, epoch, "train/hard_loss", mHardSum / rows, wallSeconds});
    mSoftSum = mHardSum = 0;
    mRows = 0;
}

void defaultToTeacher(Project &project, std::int64_t teacherRun, std::string &dataset, std::string &model)
{
    const RunDetails run = runDetails(project, teacherRun);
    const std::string name = "run " + std::to_string(teacherRun);
    const fs::path folder = teacherFolder(project, teacherRun);
    if (run.state != RunState::Completed || !fs::is_regular_file(folder / "model.safetensors"))
        throw Error(ErrorKind::NotFound, "distill_teacher_run: " + name + " has no finished model to teach with (it is "
                                             + toString(run.state) + ")");
    if (dataset.empty()) {
        if (!run.datasetId)
            throw Error(ErrorKind::NotFound, "distill_teacher_run: " + name + " lost its dataset; name one");
        dataset = datasetNameOf(project, *run.datasetId);
    }
    if (!model.empty()) {
        std::error_code error;
        const fs::path given = parseModelSource(model).folder;
        if (!fs::equivalent(given, folder, error) && !fs::equivalent(given, folder.parent_path(), error))
            throw Error(ErrorKind::InvalidInput, "with distill_teacher_run " + std::to_string(teacherRun)
                                                     + " the student is made from the teacher's model " + folder.string()
                                                     + ", not " + model + "; leave the model out");
    }
    model = folder.string();
}

DistillationStart startDistillation(Project &project, const RunConfig &config, const ClassifierOptions &options,
                                    ProgressSink &sink)
{
    const std::string name = "run " + std::to_string(config.distillTeacherRun);
    ClassifierOptions teacherOptions = options;
    teacherOptions.labels.clear(); // its own head, checked against the dataset's labels below
    LoadedClassifier loaded = loadClassifier(teacherFolder(project, config.distillTeacherRun), teacherOptions);
    if (!loaded.initialised.empty())
        throw Error(ErrorKind::Incompatible, "distill_teacher_run: " + name + "'s model lacks " + loaded.initialised.front());
    ClassifierPtr teacher = std::move(loaded.model);
    if (teacher->labels() != options.labels)
        throw Error(ErrorKind::InvalidInput, "distill_teacher_run: " + name + " classifies " + joined(teacher->labels())
                                                 + ", but the dataset's labels are " + joined(options.labels));
    const std::int64_t teacherLayers = encoderLayerCount(*teacher);
    const std::int64_t layers = studentLayerCount(config.studentLayers, teacherLayers);
    DistillationStart start;
    Student student = makeStudent(*teacher, layers, options);
    std::string picked;
    for (const std::int64_t layer : student.fromLayers)
        picked += (picked.empty() ? "" : ", ") + std::to_string(layer);
    sink.log(LogLevel::Info, "distilling " + name + " (" + teacher->architecture() + ", " + std::to_string(teacherLayers)
                                 + " layers) into " + std::to_string(layers) + " layers initialised from its layers "
                                 + picked + "; temperature " + shortNumber(config.distillTemperature) + ", alpha "
                                 + shortNumber(config.distillAlpha));
    start.student = std::move(student.model);
    start.distiller = std::make_unique<Distiller>(std::move(teacher), config.distillTemperature, config.distillAlpha);
    return start;
}

} // namespace ft
