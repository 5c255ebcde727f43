// rundialog.cpp
#include "runs/rundialog.h"

#include "runs/modelpicker.h"

#include "common/error.h"
#include "models/model_family.h"
#include "store/catalog.h"
#include "store/datasets.h"
#include "store/labels.h"
#include "store/project.h"
#include "store/runs.h"
#include "train/run_config_docs.h"
#include "train/remote_launch.h"
#include "train/time_estimate.h"
#include "train/run_inputs.h"
#include "text/json_file.h"

#include <QCheckBox>
#include <QClipboard>
#include <QGuiApplication>
#include <QComboBox>
#include <QFile>
#include <QFileDialog>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSaveFile>
#include <QScrollArea>
#include <QTabWidget>
#include <QThreadPool>
#include <QTime>
#include <QVBoxLayout>

#include <nlohmann/json.hpp>

#include <array>
#include <cmath>

namespace fs = std::filesystem;

namespace ft::ui {

namespace {

QString shellQuoted(const QString &text)
{
    QString quoted = text;
    quoted.replace(QLatin1Char('\''), QStringLiteral("'\\''"));
    return QLatin1Char('\'') + quoted + QLatin1Char('\'');
}

} // namespace

RunDialog::RunDialog(Project &project, QWidget *parent)
    : QDialog(parent),
      mProject(project),
      mDataset(new QComboBox(this)),
      mModel(new QComboBox(this)),
      mPreset(new QComboBox(this)),
      mProblemLabel(new QLabel(this)),
      mEstimate(new QLabel(this)),
      mSummary(new QLabel(this)),
      mTask(new QLabel(this)),
      mFamily(new QLabel(this)),
      mTime(new QLabel(this)),
      mTimeButton(new QPushButton(tr("Estimate Time"), this)),
      mTabs(new QTabWidget(this)),
      mLaunch(new QPushButton(tr("Launch"), this)),
      mElsewhere(new QPushButton(tr("Run Elsewhere…"), this))
{
    setWindowTitle(tr("New Run"));
    resize(760, 640);
    for (const DatasetSummary &dataset : listDatasets(project)) {
        mDataset->addItem(QString::fromStdString(dataset.name), qlonglong(dataset.train));
        const std::vector<Example> first = examples(project, dataset.id, 0, 1);
        const bool images = !first.empty() && first.front().imagePath.has_value();
        // Classification is the one task: of images, of texts, or of text pairs.
        const QString task = images ? tr("Image classification into %n labels", nullptr, int(dataset.labels))
                             : dataset.withTextPair > 0
                                 ? tr("Text-pair classification into %n labels (%1 examples have a second text, "
                                      "read with the first)", nullptr, int(dataset.labels))
                                       .arg(dataset.withTextPair)
                                 : tr("Text classification into %n labels", nullptr, int(dataset.labels));
        mDataset->setItemData(mDataset->count() - 1, task, Qt::ToolTipRole);
        mDataset->setItemData(mDataset->count() - 1, images, kImagesRole);
    }
    // Base models: those the project knows, and the sample's scratch models when there are some.
    for (const auto &[folder, name] : {std::pair{"scratch-model", tr("Sample scratch model (random init)")},
                                       std::pair{"scratch-cnn", tr("Sample scratch CNN for images (random init)")},
                                       std::pair{"scratch-vit", tr("Sample scratch ViT for images (random init)")}}) {
        const fs::path scratch = project.folder() / folder / "config.json";
        if (fs::is_regular_file(scratch))
            addModelItem(mModel, name, std::string(kScratchModelPrefix) + scratch.string());
    }
    for (const ModelRecord &model : listModels(project))
        addModelItem(mModel, QString::fromStdString(model.name), model.path);
    mPreset->addItem(tr("Quick: a first result in minutes"), int(Preset::Quick));
    mPreset->addItem(tr("Balanced"), int(Preset::Balanced));
    mPreset->addItem(tr("Thorough: more epochs, keep the best"), int(Preset::Thorough));
    mPreset->setCurrentIndex(1);
    mProblemLabel->setWordWrap(true);
    mEstimate->setWordWrap(true);
    mLaunch->setDefault(true);

    auto *basics = new QWidget(this);
    auto *form = new QFormLayout(basics);
    form->addRow(tr("Dataset"), mDataset);
    form->addRow(tr("Base model"), mModel);
    mFamily->setWordWrap(true);
    mFamily->setToolTip(tr("The base model's family: the tasks and methods it trains with"));
    form->addRow(tr("Family"), mFamily);
    mTask->setWordWrap(true);
    form->addRow(tr("Task"), mTask);
    form->addRow(tr("Preset"), mPreset);
    mSummary->setWordWrap(true);
    form->addRow(tr("Settings"), mSummary);
    mTime->setWordWrap(true);
    mTimeButton->setToolTip(tr("Train a few steps of this configuration on a sample of the data and extrapolate"));
    auto *timeRow = new QHBoxLayout;
    timeRow->addWidget(mTimeButton);
    timeRow->addWidget(mTime, 1);
    form->addRow(tr("Time"), timeRow);
    connect(mTimeButton, &QPushButton::clicked, this, &RunDialog::estimateTime);
    auto *tabs = mTabs;
    tabs->addTab(basics, tr("Run"));
    buildAdvancedPage(tabs);

    auto *save = new QPushButton(tr("Copy as CLI command"), this);
    mElsewhere->setToolTip(tr("Write this run's configuration and launch scripts (torchrun, Slurm) to a folder, to "
                              "train it on another machine or a cluster"));
    auto *cancel = new QPushButton(tr("Cancel"), this);
    auto *buttons = new QHBoxLayout;
    buttons->addWidget(save);
    buttons->addWidget(mElsewhere);
    buttons->addStretch();
    buttons->addWidget(cancel);
    buttons->addWidget(mLaunch);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(tabs, 1);
    layout->addWidget(mEstimate);
    layout->addWidget(mProblemLabel);
    layout->addLayout(buttons);

    connect(mPreset, &QComboBox::activated, this, [this] { applyPreset(Preset(mPreset->currentData().toInt())); });
    connect(mDataset, &QComboBox::currentIndexChanged, this, [this] {
        mTask->setText(mDataset->currentData(Qt::ToolTipRole).toString());
        selectModelForDataset();
        applyPreset(Preset(mPreset->currentData().toInt()));
    });
    selectModelForDataset();
    mTask->setText(mDataset->currentData(Qt::ToolTipRole).toString());
    connect(mModel, &QComboBox::currentIndexChanged, this, &RunDialog::revalidate);
    connect(save, &QPushButton::clicked, this, [this] {
        if (auto *clipboard = QGuiApplication::clipboard())
            clipboard->setText(cliCommand());
    });
    connect(mElsewhere, &QPushButton::clicked, this, [this] {
        const QString folder = QFileDialog::getExistingDirectory(this, tr("Run Elsewhere: a folder for the launch files"));
        if (!folder.isEmpty())
            writeRunElsewhere(folder);
    });
    connect(cancel, &QPushButton::clicked, this, &QDialog::reject);
    connect(mLaunch, &QPushButton::clicked, this, [this] {
        if (!mProblem.isEmpty())
            return;
        const TrainingRequest launched = request();
        Q_EMIT launchRequested(launched, QString::fromStdString(launched.runName));
        accept();
    });
    applyPreset(Preset::Balanced);
}

RunDialog::~RunDialog()
{
    QThreadPool::globalInstance()->waitForDone(60000); // a time estimate still running
}

void RunDialog::estimateTime()
{
    if (mEstimating || !mProblem.isEmpty())
        return;
    mEstimating = true;
    mTimeButton->setEnabled(false);
    mTime->setText(tr("Timing a few steps…"));
    const TrainingRequest timed = request();
    QThreadPool::globalInstance()->start([this, timed] {
        QString text;
        try {
            const TimeEstimate e = estimateTrainingTime(timed, 4);
            const auto clock = [](double seconds) {
                if (seconds < 60)
                    return tr("%1 s").arg(seconds, 0, 'f', seconds < 10 ? 1 : 0);
                return QTime(0, 0).addSecs(int(seconds + 0.5)).toString(seconds >= 3600 ? QStringLiteral("h:mm:ss")
                                                                                        : QStringLiteral("m:ss"));
            };
            text = tr("about %1 (training %2 at %3 samples/s measured over %4 steps, evaluation %5)")
                       .arg(clock(e.totalSeconds()), clock(e.trainingSeconds))
                       .arg(e.samplesPerSecond, 0, 'f', 1)
                       .arg(e.measuredSteps)
                       .arg(clock(e.evaluationSeconds));
        } catch (const std::exception &e) {
            text = tr("no estimate: %1").arg(QString::fromStdString(e.what()));
        }
        QMetaObject::invokeMethod(
            this,
            [this, text] {
                mEstimating = false;
                mTimeButton->setEnabled(true);
                mTime->setText(tr("Estimated time: %1").arg(text));
            },
            Qt::QueuedConnection);
    });
}

void RunDialog::buildAdvancedPage(QTabWidget *tabs)
{
    const nlohmann::ordered_json defaults = toJson(RunConfig{});
    auto *page = new QWidget(this);
    auto *pageLayout = new QVBoxLayout(page);
    QMap<QString, QFormLayout *> sections;
    for (const RunConfigKeyDoc &doc : runConfigKeyDocs()) {
        const QString key = QString::fromStdString(doc.key);
        const QString section = QString::fromStdString(doc.section);
        if (!sections.contains(section)) {
            auto *box = new QGroupBox(section, page);
            sections.insert(section, new QFormLayout(box));
            pageLayout->addWidget(box);
        }
        const nlohmann::ordered_json &value = defaults.at(doc.key);
        QWidget *field = nullptr;
        if (key == QLatin1String("distill_teacher_run")) {
            auto *teachers = makeTeacherBox(mProject, page);
            connect(teachers, &QComboBox::currentIndexChanged, this, [this, teachers] {
                if (!mFilling)
                    takeTeacherInputs(teachers->currentData().toLongLong());
                revalidate();
            });
            field = teachers;
        } else if (value.is_boolean()) {
            auto *check = new QCheckBox(page);
            connect(check, &QCheckBox::toggled, this, &RunDialog::revalidate);
            field = check;
        } else if (!doc.choices.empty()) {
            auto *combo = new QComboBox(page);
            for (const std::string &choice : doc.choices)
                combo->addItem(QString::fromStdString(choice));
            connect(combo, &QComboBox::currentIndexChanged, this, &RunDialog::revalidate);
            field = combo;
        } else {
            auto *edit = new QLineEdit(page);
            edit->setPlaceholderText(value.is_null() ? tr("unset") : QString());
            connect(edit, &QLineEdit::textChanged, this, &RunDialog::revalidate);
            field = edit;
        }
        field->setObjectName(key);
        field->setToolTip(QStringLiteral("<b>%1</b>%2<br>%3")
                              .arg(key, doc.huggingFace ? tr(" (Hugging Face TrainingArguments)") : QString(),
                                   QString::fromStdString(doc.meaning).toHtmlEscaped()));
        sections.value(section)->addRow(key, field);
        mFields.insert(key, field);
    }
    pageLayout->addStretch();
    auto *scroll = new QScrollArea(this);
    scroll->setWidget(page);
    scroll->setWidgetResizable(true);
    tabs->addTab(scroll, tr("Advanced"));
}

RunConfig RunDialog::config() const
{
    const nlohmann::ordered_json defaults = toJson(RunConfig{});
    nlohmann::json json = nlohmann::json::object();
    for (auto it = mFields.constBegin(); it != mFields.constEnd(); ++it) {
        const std::string key = it.key().toStdString();
        const nlohmann::ordered_json &fallback = defaults.at(key);
        if (const auto *check = qobject_cast<const QCheckBox *>(it.value())) {
            json[key] = check->isChecked();
        } else if (const auto *combo = qobject_cast<const QComboBox *>(it.value())) {
            // The teacher box holds run ids; the others their choices' text.
            const QVariant data = combo->currentData();
            json[key] = data.isValid() ? nlohmann::json(data.toLongLong())
                                       : nlohmann::json(combo->currentText().toStdString());
        } else if (const auto *edit = qobject_cast<const QLineEdit *>(it.value())) {
            const QString text = edit->text().trimmed();
            if (fallback.is_array()) {
                json[key] = nlohmann::json::array();
                for (const QString &item : text.split(QLatin1Char(','), Qt::SkipEmptyParts))
                    json[key].push_back(item.trimmed().toStdString());
            } else if (fallback.is_string()) {
                json[key] = text.toStdString();
            } else if (text.isEmpty()) {
                json[key] = nullptr;
            } else {
                // Numbers as JSON reads them; anything else stays text, so the parser names the key.
                const auto number = nlohmann::json::parse(text.toStdString(), nullptr, false);
                json[key] = number.is_number() ? number : nlohmann::json(text.toStdString());
            }
        }
    }
    return parseRunConfig(json, "the run dialog");
}

void RunDialog::setConfig(const RunConfig &config)
{
    mFilling = true;
    const nlohmann::ordered_json json = toJson(config);
    for (auto it = mFields.constBegin(); it != mFields.constEnd(); ++it) {
        const nlohmann::ordered_json &value = json.at(it.key().toStdString());
        if (auto *check = qobject_cast<QCheckBox *>(it.value())) {
            check->setChecked(value.get<bool>());
        } else if (auto *combo = qobject_cast<QComboBox *>(it.value())) {
            if (value.is_number())
                selectTeacher(combo, value.get<std::int64_t>());
            else
                combo->setCurrentText(QString::fromStdString(value.get<std::string>()));
        } else if (auto *edit = qobject_cast<QLineEdit *>(it.value())) {
            QString text;
            if (value.is_array()) {
                QStringList items;
                for (const auto &item : value)
                    items << QString::fromStdString(item.get<std::string>());
                text = items.join(QStringLiteral(", "));
            } else if (value.is_string()) {
                text = QString::fromStdString(value.get<std::string>());
            } else if (!value.is_null()) {
                text = QString::fromStdString(value.dump());
            }
            edit->setText(text);
        }
    }
    mFilling = false;
    revalidate();
}

void RunDialog::setRequest(const QString &dataset, const QString &model, const RunConfig &config)
{
    {
        const QSignalBlocker block(mDataset); // not a preset: the run's own configuration
        mDataset->setCurrentIndex(std::max(0, mDataset->findText(dataset)));
    }
    mModel->setCurrentIndex(addModelItem(mModel, model, model.toStdString()));
    setConfig(config);
}

std::int64_t RunDialog::trainExamples() const
{
    return mDataset->currentData().toLongLong();
}

void RunDialog::applyPreset(Preset preset)
{
    // Sized to the data: fewer passes over a big dataset, more over a small one.
    const std::int64_t n = trainExamples();
    const int size = n > 20000 ? 0 : n > 2000 ? 1 : 2; // large, medium, small
    RunConfig config;
    config.maxLength = 128;
    config.warmupRatio = 0.1;
    config.weightDecay = 0.01;
    config.evalStrategy = EvalStrategy::Epoch;
    switch (preset) {
    case Preset::Quick:
        config.numTrainEpochs = std::array{1.0, 2.0, 3.0}[size];
        config.learningRate = 5e-5;
        config.perDeviceTrainBatchSize = n > 20000 ? 32 : 16;
        config.saveTotalLimit = 1;
        break;
    case Preset::Balanced:
        config.numTrainEpochs = std::array{2.0, 3.0, 5.0}[size];
        config.learningRate = 3e-5;
        config.perDeviceTrainBatchSize = n > 20000 ? 32 : 16;
        config.metricForBestModel = "f1";
        config.loadBestModelAtEnd = true;
        config.earlyStoppingPatience = 2;
        break;
    case Preset::Thorough:
        config.numTrainEpochs = std::array{4.0, 6.0, 10.0}[size];
        config.learningRate = 2e-5;
        config.perDeviceTrainBatchSize = 16;
        config.metricForBestModel = "f1";
        config.loadBestModelAtEnd = true;
        config.earlyStoppingPatience = 3;
        break;
    }
    config.perDeviceEvalBatchSize = config.perDeviceTrainBatchSize * 2;
    // A preset sizes the optimisation; the teacher stays.
    if (auto *teachers = qobject_cast<QComboBox *>(field(QStringLiteral("distill_teacher_run"))))
        config.distillTeacherRun = teachers->currentData().toLongLong();
    const QSignalBlocker block(mPreset);
    mPreset->setCurrentIndex(mPreset->findData(int(preset)));
    setConfig(config);
}

// The labels of the chosen dataset (none when it is gone).
std::vector<std::string> RunDialog::currentLabels() const
{
    std::vector<std::string> labels;
    if (const auto dataset = findDataset(mProject, mDataset->currentText().toStdString()))
        for (const Label &label : listLabels(mProject, *dataset))
            labels.push_back(label.name);
    return labels;
}

// A model of the dataset's kind (images or text): the current one when it fits.
void RunDialog::selectModelForDataset()
{
    const bool images = mDataset->currentData(kImagesRole).toBool();
    if (mModel->count() == 0 || mModel->currentData(kImagesRole).toBool() == images)
        return;
    for (int i = 0; i < mModel->count(); ++i)
        if (mModel->itemData(i, kImagesRole).toBool() == images) {
            mModel->setCurrentIndex(i);
            return;
        }
}

// A student is made from its teacher's model and learns the teacher's labels: take both over.
void RunDialog::takeTeacherInputs(std::int64_t runId)
{
    if (runId <= 0)
        return;
    try {
        const RunDetails run = runDetails(mProject, runId);
        if (run.datasetId) {
            const QSignalBlocker block(mDataset); // not a preset: the teacher's data
            const int dataset = mDataset->findText(QString::fromStdString(datasetNameOf(mProject, *run.datasetId)));
            if (dataset >= 0)
                mDataset->setCurrentIndex(dataset);
            mTask->setText(mDataset->currentData(Qt::ToolTipRole).toString());
        }
    } catch (const std::exception &) {
        // A run without its dataset still teaches on the dataset chosen here.
    }
    const QSignalBlocker block(mModel); // revalidated by the caller
    mModel->setCurrentIndex(
        addModelItem(mModel, tr("Run %1's model").arg(runId), teacherModelFolder(mProject, runId).string()));
}

void RunDialog::revalidate()
{
    if (mFilling)
        return;
    const ModelFamily *family = chosenFamily(mModel);
    mFamily->setText(mModel->count() ? familySummary(mModel->currentData(kModelTypeRole).toString().toStdString())
                                     : QString());
    restrictToFamily(qobject_cast<QComboBox *>(field(QStringLiteral("method"))),
                     qobject_cast<QComboBox *>(field(QStringLiteral("task"))), family);
    mProblem.clear();
    RunConfig current;
    try {
        current = config();
    } catch (const Error &e) {
        mProblem = QString::fromStdString(e.what());
    }
    if (mProblem.isEmpty() && mDataset->count() == 0)
        mProblem = tr("The project has no dataset to train on; import one first.");
    if (mProblem.isEmpty() && mModel->count() == 0)
        mProblem = tr("The project has no base model; import one (finetune model import) first.");
    const bool images = mDataset->currentData(kImagesRole).toBool();
    if (mProblem.isEmpty() && images != mModel->currentData(kImagesRole).toBool())
        mProblem = images ? tr("Dataset %1 holds images: choose an image classifier (ViT or ResNet) as the base model.")
                                .arg(mDataset->currentText())
                          : tr("Dataset %1 holds texts: choose a text model (BERT) as the base model.")
                                .arg(mDataset->currentText());

    if (mProblem.isEmpty() && mModel->count() > 0)
        mProblem = familyProblem(current, family, mModel->currentText());
    if (mProblem.isEmpty())
        mProblem =
            teacherProblem(mProject, current.distillTeacherRun, mModel->currentData().toString().toStdString());

    mEstimate->clear();
    mSummary->clear();
    if (mProblem.isEmpty()) {
        const QString epochs = current.maxSteps > 0 ? tr("%1 steps").arg(current.maxSteps)
                                                    : tr("%1 epochs").arg(current.numTrainEpochs);
        const QString evaluation = current.evalStrategy == EvalStrategy::No      ? tr("no evaluation")
                                   : current.evalStrategy == EvalStrategy::Epoch ? tr("evaluated every epoch")
                                                                                 : tr("evaluated every %1 steps")
                                                                                       .arg(current.evalSteps);
        mSummary->setText(tr("%1 · learning rate %2 · batch %3 · %4 · method %5 · %6%7")
                              .arg(epochs)
                              .arg(current.learningRate)
                              .arg(current.perDeviceTrainBatchSize)
                              .arg(images ? tr("augmented images") : tr("max_length %1").arg(current.maxLength))
                              .arg(QString::fromStdString(toJson(current).at("method").get<std::string>()), evaluation)
                              .arg(current.loadBestModelAtEnd ? tr(" · keeps the best by %1")
                                                                    .arg(QString::fromStdString(current.metricForBestModel))
                                                              : QString()));
        mEstimate->setText(
            modelEstimate(mModel->currentData().toString().toStdString(), images, currentLabels(), current));
    }
    mProblemLabel->setText(mProblem.isEmpty() ? QString()
                                              : QStringLiteral("<span style='color:#b00020'>%1</span>")
                                                    .arg(mProblem.toHtmlEscaped()));
    mLaunch->setEnabled(mProblem.isEmpty());
    mElsewhere->setEnabled(mProblem.isEmpty());
}

TrainingRequest RunDialog::request() const
{
    TrainingRequest request;
    request.project = mProject.folder();
    request.dataset = mDataset->currentText().toStdString();
    request.model = mModel->currentData().toString().toStdString();
    request.config = config();
    request.runName = QStringLiteral("%1 on %2").arg(mDataset->currentText(), mModel->currentText()).toStdString();
    return request;
}

bool RunDialog::saveConfig(const QString &file) const
{
    QSaveFile out(file);
    if (!out.open(QIODevice::WriteOnly))
        return false;
    out.write(QByteArray::fromStdString(toJson(config()).dump(2) + "\n"));
    return out.commit();
}

bool RunDialog::loadConfig(const QString &file)
{
    try {
        setConfig(loadRunConfig(file.toStdString()));
        return true;
    } catch (const Error &e) {
        mProblemLabel->setText(QString::fromStdString(e.what()));
        return false;
    }
}

bool RunDialog::writeRunElsewhere(const QString &folder)
{
    if (!mProblem.isEmpty())
        return false;
    try {
        RemoteLaunch launch;
        launch.project = mProject.folder();
        launch.dataset = mDataset->currentText().toStdString();
        launch.model = mModel->currentData().toString().toStdString();
        launch.configJson = toJson(config()).dump(2);
        writeRemoteLaunch(folder.toStdString(), launch);
        mProblemLabel->setText(tr("Wrote run.json, launch-torchrun.sh, finetune-train.sbatch and README.txt to %1; "
                                  "bring the finished run back with finetune runs import.")
                                   .arg(folder.toHtmlEscaped()));
        return true;
    } catch (const std::exception &e) {
        mProblemLabel->setText(QStringLiteral("<span style='color:#b00020'>%1</span>")
                                   .arg(QString::fromStdString(e.what()).toHtmlEscaped()));
        return false;
    }
}

QString RunDialog::cliCommand() const
{
    const QString json = QString::fromStdString(toJson(config()).dump(2));
    return QStringLiteral("cat > run.json <<'JSON'\n%1\nJSON\nfinetune train --project %2 --dataset %3 --model %4 "
                          "--config run.json --json\n")
        .arg(json, shellQuoted(QString::fromStdString(mProject.folder().string())), shellQuoted(mDataset->currentText()),
             shellQuoted(mModel->currentData().toString()));
}

} // namespace ft::ui
