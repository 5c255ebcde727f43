// modelpicker.cpp: families from models/model_family.h; teachers from the project's run records.
#include "runs/modelpicker.h"

#include "models/bert_config.h"
#include "models/model_family.h"
#include "models/vision_config.h"
#include "store/catalog.h"
#include "store/project.h"
#include "store/runs.h"
#include "text/json_file.h"
#include "train/memory_estimate.h"
#include "train/run_inputs.h"

#include <QComboBox>
#include <QLocale>
#include <QStandardItemModel>
#include <QStringList>

#include <nlohmann/json.hpp>

#include <algorithm>

#include <unistd.h>

namespace fs = std::filesystem;

namespace ft::ui {

namespace {

// The families a student can be distilled from (train/distillation.h).
bool distillable(const std::string &modelType)
{
    const ModelFamily *family = findModelFamily(modelType);
    return family && family->distils;
}

// "BERT, DistilBERT, ...": the families whose runs teach.
QString teacherFamilies()
{
    QStringList names;
    for (const ModelFamily &family : modelFamilies())
        if (family.distils)
            names << QString::fromStdString(family.displayName);
    return names.join(QStringLiteral(", "));
}

QStringList tasksOf(const ModelFamily &family)
{
    if (family.images)
        return {QObject::tr("image classification")};
    QStringList tasks{QStringLiteral("classification")};
    if (family.languageModel)
        tasks << QStringLiteral("causal-lm");
    return tasks;
}

QStringList methodsOf(const ModelFamily &family)
{
    QStringList methods;
    for (const std::string &method : family.methods)
        methods << QString::fromStdString(method);
    return methods;
}

void enableItem(QComboBox *box, int row, bool enabled, const QString &why)
{
    auto *model = qobject_cast<QStandardItemModel *>(box->model());
    if (!model || !model->item(row))
        return;
    model->item(row)->setEnabled(enabled);
    box->setItemData(row, enabled ? QVariant() : QVariant(why), Qt::ToolTipRole);
}

// The run's test accuracy, else its last validation accuracy; negative when it recorded neither.
double accuracyOf(Project &project, std::int64_t runId)
{
    for (const char *name : {"test/accuracy", "eval/accuracy"})
        if (const auto points = runMetrics(project, runId, name); !points.empty())
            return points.back().value;
    return -1;
}

QString megabytes(double bytes)
{
    return QStringLiteral("%1 MB").arg(bytes / (1024.0 * 1024.0), 0, 'f', bytes < 10 * 1024 * 1024 ? 1 : 0);
}

double physicalMemoryBytes()
{
    return double(sysconf(_SC_PHYS_PAGES)) * double(sysconf(_SC_PAGESIZE));
}

// The parameter count of an image classifier's config with `labels` classes.
std::int64_t imageModelParameters(const std::string &model, std::size_t labels)
{
    const fs::path file = parseModelSource(model).config();
    nlohmann::json config = JsonFile::read(file).root();
    nlohmann::json id2label = nlohmann::json::object();
    for (std::size_t i = 0; i < std::max<std::size_t>(labels, 1); ++i)
        id2label[std::to_string(i)] = "class " + std::to_string(i);
    config["id2label"] = id2label;
    config.erase("label2id");
    return config.value("model_type", "") == "vit" ? parameterCount(vitConfigFromJson(config, file.string()))
                                                   : parameterCount(resNetConfigFromJson(config, file.string()));
}

QString textMemoryEstimate(const std::string &model, const std::vector<std::string> &labels, const RunConfig &config)
{
    const fs::path file = parseModelSource(model).config();
    const TextModelSize size = textModelSize(JsonFile::read(file).root(), file.string(),
                                             labels.size() >= 2 ? std::int64_t(labels.size()) : 0,
                                             config.task == TrainTask::CausalLm);
    const MemoryEstimate e = estimateTrainingMemory(size, config, config.maxLength);
    const double available = physicalMemoryBytes();
    QString text = QObject::tr("Estimated memory: up to %1 (weights %2, gradients %3, optimiser %4, activations %5 "
                               "for a batch of %6 at %7 tokens); %8 of %9 parameters train.")
                       .arg(megabytes(e.totalBytes()), megabytes(e.weightBytes), megabytes(e.gradientBytes),
                            megabytes(e.optimizerBytes), megabytes(e.activationBytes))
                       .arg(config.perDeviceTrainBatchSize)
                       .arg(config.maxLength)
                       .arg(QLocale().toString(qlonglong(e.trainableParameters)),
                            QLocale().toString(qlonglong(e.parameters)));
    if (e.totalBytes() > 0.8 * available)
        text += QObject::tr(" <b>This is more than this machine's memory allows (%1): lower the batch size or "
                            "max_length, or use method lora.</b>")
                    .arg(megabytes(available));
    return text;
}

} // namespace

std::string modelTypeOf(const std::string &model)
{
    try {
        const JsonFile config = JsonFile::read(parseModelSource(model).config());
        return config.string(config.root(), "", "model_type", "");
    } catch (const std::exception &) {
        return {};
    }
}

QString modelEstimate(const std::string &model, bool images, const std::vector<std::string> &labels,
                      const RunConfig &config)
{
    try {
        if (!images)
            return textMemoryEstimate(model, labels, config);
        return QObject::tr("An image classifier of %1 parameters; memory is estimated for text models only.")
            .arg(QLocale().toString(qlonglong(imageModelParameters(model, labels.size()))));
    } catch (const std::exception &e) {
        return QObject::tr("No estimate: %1").arg(QString::fromStdString(e.what()));
    }
}

QString familySummary(const std::string &modelType)
{
    const ModelFamily *family = findModelFamily(modelType);
    if (!family)
        return modelType.empty() ? QObject::tr("Unknown family: its config.json names no model_type")
                                 : QObject::tr("Model type %1 is not one this build trains")
                                       .arg(QString::fromStdString(modelType));
    return QObject::tr("%1 · tasks: %2 · methods: %3")
        .arg(QString::fromStdString(family->displayName), tasksOf(*family).join(QStringLiteral(", ")),
             methodsOf(*family).join(QStringLiteral(", ")));
}

int addModelItem(QComboBox *models, const QString &name, const std::string &model)
{
    const QString source = QString::fromStdString(model);
    if (const int index = models->findData(source); index >= 0)
        return index;
    const std::string type = modelTypeOf(model);
    models->addItem(name, source);
    const int index = models->count() - 1;
    // An unreadable config counts as text: the memory estimate then says what is wrong with it.
    models->setItemData(index, isImageModelType(type), kImagesRole);
    models->setItemData(index, QString::fromStdString(type), kModelTypeRole);
    models->setItemData(index, familySummary(type), Qt::ToolTipRole);
    return index;
}

const ModelFamily *chosenFamily(const QComboBox *models)
{
    return findModelFamily(models->currentData(kModelTypeRole).toString().toStdString());
}

void restrictToFamily(QComboBox *method, QComboBox *task, const ModelFamily *family)
{
    const QString name = family ? QString::fromStdString(family->displayName) : QString();
    if (method)
        for (int row = 0; row < method->count(); ++row) {
            const std::string value = method->itemText(row).toStdString();
            const bool offered = !family || std::find(family->methods.begin(), family->methods.end(), value)
                                                != family->methods.end();
            enableItem(method, row, offered, QObject::tr("%1 models do not train with method %2")
                                                 .arg(name, method->itemText(row)));
        }
    if (task)
        for (int row = 0; row < task->count(); ++row) {
            const bool offered = task->itemText(row) != QLatin1String("causal-lm") || !family || family->languageModel;
            enableItem(task, row, offered, QObject::tr("%1 is not a language model: causal-lm takes Llama or GPT-2")
                                               .arg(name));
        }
}

QString familyProblem(const RunConfig &config, const ModelFamily *family, const QString &model)
{
    if (config.task == TrainTask::CausalLm && (!family || !family->languageModel))
        return QObject::tr("Task causal-lm fine-tunes a language model: choose a Llama or GPT-2 base model.");
    if (!family)
        return {};
    const std::string method = toJson(config).at("method").get<std::string>();
    if (std::find(family->methods.begin(), family->methods.end(), method) == family->methods.end())
        return QObject::tr("%1 is a %2 model, which does not train with method %3; choose one of %4.")
            .arg(model, QString::fromStdString(family->displayName), QString::fromStdString(method),
                 methodsOf(*family).join(QStringLiteral(", ")));
    return {};
}

QComboBox *makeTeacherBox(Project &project, QWidget *parent)
{
    auto *box = new QComboBox(parent);
    box->addItem(QObject::tr("None (no distillation)"), qlonglong(0));
    std::vector<RunRecord> runs = listRuns(project);
    std::sort(runs.begin(), runs.end(), [](const RunRecord &a, const RunRecord &b) { return a.id > b.id; });
    for (const RunRecord &run : runs) {
        const fs::path folder = teacherModelFolder(project, run.id);
        if (run.state != "completed" || !fs::is_regular_file(folder / "model.safetensors"))
            continue;
        std::string type;
        std::int64_t layers = 0;
        try {
            const nlohmann::json config = JsonFile::read(folder / "config.json").root();
            type = config.value("model_type", "");
            layers = configLayerCount(config);
        } catch (const std::exception &) {
        }
        const ModelFamily *family = findModelFamily(type);
        QString text = QStringLiteral("#%1 %2 — %3").arg(run.id).arg(
            QString::fromStdString(run.name),
            family ? QString::fromStdString(family->displayName) : QString::fromStdString(run.model));
        if (layers > 0)
            text += layers == 1 ? QObject::tr(", 1 layer") : QObject::tr(", %1 layers").arg(layers);
        if (const double accuracy = accuracyOf(project, run.id); accuracy >= 0)
            text += QObject::tr(" · accuracy %1 %").arg(accuracy * 100, 0, 'f', 1);
        box->addItem(text, qlonglong(run.id));
        enableItem(box, box->count() - 1, distillable(type),
                   QObject::tr("Distillation takes %1 teachers").arg(teacherFamilies()));
    }
    return box;
}

void selectTeacher(QComboBox *teachers, std::int64_t runId)
{
    int index = teachers->findData(qlonglong(runId));
    if (index < 0) { // kept, so the configuration reads back as it was; revalidation says what is wrong
        teachers->addItem(QObject::tr("#%1 (no finished run of this project)").arg(runId), qlonglong(runId));
        index = teachers->count() - 1;
    }
    teachers->setCurrentIndex(index);
}

fs::path teacherModelFolder(const Project &project, std::int64_t runId)
{
    return project.folder() / "runs" / std::to_string(runId) / "model";
}

QString teacherProblem(const Project &project, std::int64_t runId, const std::string &model)
{
    if (runId <= 0)
        return {};
    const fs::path folder = teacherModelFolder(project, runId);
    if (!fs::is_regular_file(folder / "model.safetensors"))
        return QObject::tr("distill_teacher_run: run %1 has no finished model to teach with.").arg(runId);
    const std::string type = modelTypeOf(folder.string());
    if (!distillable(type))
        return QObject::tr("distill_teacher_run: run %1 is a %2 model; distillation takes %3 teachers.")
            .arg(runId)
            .arg(QString::fromStdString(type), teacherFamilies());
    std::error_code error;
    fs::path given;
    try {
        given = parseModelSource(model).folder;
    } catch (const std::exception &) {
    }
    if (given.empty() || !fs::equivalent(given, folder, error))
        return QObject::tr("A student of run %1 is made from its model: choose \"Run %1's model\" as the base model.")
            .arg(runId);
    return {};
}

} // namespace ft::ui
