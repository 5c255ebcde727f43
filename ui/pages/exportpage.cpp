// exportpage.cpp
#include "pages/exportpage.h"

#include "common/error.h"
#include "export/run_export.h"
#include "pages/tablepage.h"
#include "store/catalog.h"
#include "store/project.h"
#include "store/runs.h"

#include <QButtonGroup>
#include <QCheckBox>
#include <QComboBox>
#include <QDesktopServices>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QMap>
#include <QProgressBar>
#include <QPushButton>
#include <QRadioButton>
#include <QTableView>
#include <QThread>
#include <QUrl>
#include <QVBoxLayout>

#include <filesystem>

namespace fs = std::filesystem;

namespace ft::ui {

namespace {

QString fromStd(const std::string &text)
{
    return QString::fromStdString(text);
}

QString megabytes(double bytes)
{
    return QStringLiteral("%1 MB").arg(bytes / 1e6, 0, 'f', 1);
}

// The exports the project recorded, with the figures of their checks.
QVector<RecordTableModel::Row> exportRows(Project &project)
{
    QVector<RecordTableModel::Row> rows;
    for (const ExportRecord &e : listExports(project)) {
        const QJsonObject details = QJsonDocument::fromJson(QByteArray::fromStdString(e.detailsJson)).object();
        const QJsonObject check = details.value(QStringLiteral("check")).toObject();
        // Rounded for reading, still numbers for sorting.
        const auto figure = [&](const char *key, int digits) {
            if (!check.contains(QLatin1String(key)))
                return QVariant();
            return QVariant(QString::number(check.value(QLatin1String(key)).toDouble(), 'g', digits).toDouble());
        };
        QVariant accuracyDelta;
        if (check.contains(QStringLiteral("export_accuracy")))
            accuracyDelta = QString::number(check.value(QStringLiteral("export_accuracy")).toDouble()
                                                - check.value(QStringLiteral("run_accuracy")).toDouble(),
                                            'f', 4)
                                .toDouble();
        rows.push_back({qlonglong(e.id), e.runId ? QVariant(qlonglong(*e.runId)) : QVariant(), fromStd(e.format),
                        megabytes(details.value(QStringLiteral("bytes")).toDouble()), figure("export_accuracy", 4),
                        accuracyDelta, figure("max_abs_logit_difference", 3), figure("ms_per_example_batch_1", 3),
                        figure("ms_per_example_batch_32", 3), fromStd(e.path), fromStd(e.createdAt)});
    }
    return rows;
}

constexpr int kFolderColumn = 9;

} // namespace

ExportPage::ExportPage(QWidget *parent)
    : QWidget(parent),
      mRun(new QComboBox(this)),
      mFormats(new QButtonGroup(this)),
      mOutput(new QLineEdit(this)),
      mChoose(new QPushButton(tr("Choose…"), this)),
      mCheck(new QCheckBox(tr("Check it against the run and time it"), this)),
      mExport(new QPushButton(tr("Export"), this)),
      mCancel(new QPushButton(tr("Cancel"), this)),
      mProgress(new QProgressBar(this)),
      mStage(new QLabel(this)),
      mResult(new QLabel(this)),
      mShowFolder(new QPushButton(tr("Show in folder"), this)),
      mHistory(new TablePage(tr("Exports"), tr("Nothing exported from this project yet."),
                             {tr("Export"), tr("Run"), tr("Format"), tr("Size"), tr("Accuracy"), tr("Δ accuracy"),
                              tr("Max logit diff"), tr("ms/example, batch 1"), tr("ms/example, batch 32"),
                              tr("Folder"), tr("Created")},
                             exportRows, this)),
      mOpenFolder([](const QString &folder) { QDesktopServices::openUrl(QUrl::fromLocalFile(folder)); })
{
    // Short labels keep the page narrow; the tooltip says the rest.
    const QMap<ExportFormat, QString> labels{{ExportFormat::HuggingFace, tr("Hugging Face folder")},
                                             {ExportFormat::Peft, tr("PEFT adapter (LoRA, prefix, prompt)")},
                                             {ExportFormat::Merged, tr("LoRA merged into full weights")},
                                             {ExportFormat::TorchScript, tr("TorchScript")},
                                             {ExportFormat::Onnx, tr("ONNX, float32")},
                                             {ExportFormat::OnnxInt8, tr("ONNX, int8 linear layers")}};
    auto *formatBox = new QVBoxLayout;
    for (ExportFormat format : allExportFormats()) {
        auto *button = new QRadioButton(QStringLiteral("%1 — %2").arg(fromStd(toString(format)), labels.value(format)),
                                        this);
        button->setToolTip(fromStd(describe(format)));
        button->setObjectName(fromStd("format-" + toString(format)));
        mFormats->addButton(button, int(format));
        formatBox->addWidget(button);
    }
    mFormats->button(int(ExportFormat::HuggingFace))->setChecked(true);
    mCheck->setChecked(true);
    mCheck->setToolTip(tr("Runs the export and the run's own model on the test split (validation when there is no "
                          "test split): largest logit difference, both accuracies; then times the export at batch 1 "
                          "and 32 on this machine. The figures go into the model card."));

    auto *outputRow = new QHBoxLayout;
    outputRow->addWidget(mOutput, 1);
    outputRow->addWidget(mChoose);
    auto *form = new QFormLayout;
    form->addRow(tr("Run"), mRun);
    form->addRow(tr("Format"), formatBox);
    form->addRow(tr("Folder"), outputRow);
    form->addRow(QString(), mCheck);

    auto *actions = new QHBoxLayout;
    actions->addWidget(mExport);
    actions->addWidget(mCancel);
    actions->addWidget(mProgress, 1);
    actions->addWidget(mStage);
    actions->addStretch();
    mCancel->setVisible(false);
    mProgress->setVisible(false);
    mProgress->setRange(0, 1000);

    auto *resultRow = new QHBoxLayout;
    resultRow->addWidget(mResult, 1);
    resultRow->addWidget(mShowFolder, 0, Qt::AlignTop);
    mResult->setTextFormat(Qt::RichText);
    mResult->setWordWrap(true);
    mResult->setTextInteractionFlags(Qt::TextSelectableByMouse);
    mShowFolder->setVisible(false);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(makePageTitle(tr("Export a run"), this));
    layout->addLayout(form);
    layout->addLayout(actions);
    layout->addLayout(resultRow);
    layout->addWidget(mHistory, 1);

    connect(mRun, &QComboBox::currentIndexChanged, this, &ExportPage::runChanged);
    connect(mFormats, &QButtonGroup::idClicked, this, [this] { suggestOutput(); });
    connect(mOutput, &QLineEdit::textEdited, this, [this] { mOutputEdited = !mOutput->text().isEmpty(); });
    connect(mChoose, &QPushButton::clicked, this, [this] {
        const QString folder = QFileDialog::getSaveFileName(this, tr("Export to folder"), mOutput->text(), QString(),
                                                            nullptr, QFileDialog::ShowDirsOnly);
        if (!folder.isEmpty()) {
            mOutput->setText(folder);
            mOutputEdited = true;
        }
    });
    connect(mExport, &QPushButton::clicked, this, &ExportPage::startExport);
    connect(mCancel, &QPushButton::clicked, this, [this] {
        *mCancelFlag = true;
        mStage->setText(tr("Cancelling…"));
    });
    connect(mShowFolder, &QPushButton::clicked, this, [this] { mOpenFolder(mLastFolder); });
    connect(mHistory->table(), &QAbstractItemView::doubleClicked, this, [this](const QModelIndex &index) {
        const QString path = index.sibling(index.row(), kFolderColumn).data().toString();
        if (mProject)
            mOpenFolder(QString::fromStdString(fs::path(mProject->folder() / path.toStdString()).string()));
    });
    setInputsEnabled(false);
}

ExportPage::~ExportPage()
{
    *mCancelFlag = true;
    if (mThread)
        mThread->wait(); // the export removes its partial folder before the thread ends
}

void ExportPage::setProject(Project *project)
{
    mProject = project;
    mHistory->setProject(project);
    mResult->clear();
    mShowFolder->setVisible(false);
    refresh();
}

void ExportPage::refresh()
{
    const QVariant current = mRun->currentData();
    {
        const QSignalBlocker block(mRun);
        mRun->clear();
        if (mProject)
            for (const RunRecord &run : listRuns(*mProject))
                if (run.state == "completed")
                    mRun->insertItem(0, tr("Run %1: %2").arg(run.id).arg(fromStd(run.name)), qlonglong(run.id));
        const int keep = mRun->findData(current);
        mRun->setCurrentIndex(keep >= 0 ? keep : 0);
    }
    mHistory->refresh();
    runChanged();
}

void ExportPage::selectRun(std::int64_t runId)
{
    mRun->setCurrentIndex(mRun->findData(qlonglong(runId)));
}

void ExportPage::selectFormat(ExportFormat format)
{
    if (QAbstractButton *button = mFormats->button(int(format)); button && button->isEnabled()) {
        button->click();
    }
}

bool ExportPage::showsEmptyNote() const
{
    return mHistory->showsEmptyNote();
}

bool ExportPage::formatEnabled(ExportFormat format) const
{
    return mFormats->button(int(format))->isEnabled();
}

ExportFormat ExportPage::currentFormat() const
{
    return ExportFormat(mFormats->checkedId());
}

void ExportPage::runChanged()
{
    const bool haveRun = mProject && mRun->count() > 0;
    setInputsEnabled(haveRun && !isExporting());
    if (!haveRun)
        return;
    // The adapter formats need a LoRA run: its adapter sits beside the merged model.
    const auto runId = mRun->currentData().toLongLong();
    const bool lora = fs::exists(mProject->folder() / "runs" / std::to_string(runId) / "adapter");
    for (ExportFormat format : {ExportFormat::Peft, ExportFormat::Merged}) {
        QAbstractButton *button = mFormats->button(int(format));
        button->setEnabled(lora);
        button->setToolTip(lora ? QString() : tr("Only for runs trained with LoRA"));
    }
    if (!mFormats->checkedButton()->isEnabled())
        mFormats->button(int(ExportFormat::HuggingFace))->setChecked(true);
    suggestOutput();
}

// <project>/exports/run-<id>-<format>, numbered past folders that exist.
void ExportPage::suggestOutput()
{
    if (!mProject || mRun->count() == 0 || mOutputEdited)
        return;
    const QString base = QStringLiteral("run-%1-%2").arg(mRun->currentData().toLongLong()).arg(fromStd(toString(currentFormat())));
    fs::path folder = mProject->exportsFolder() / base.toStdString();
    for (int n = 2; fs::exists(folder); ++n)
        folder = mProject->exportsFolder() / QStringLiteral("%1-%2").arg(base).arg(n).toStdString();
    mOutput->setText(QString::fromStdString(folder.string()));
}

void ExportPage::setInputsEnabled(bool enabled)
{
    for (QWidget *widget : std::initializer_list<QWidget *>{mRun, mOutput, mChoose, mCheck, mExport})
        widget->setEnabled(enabled);
    for (QAbstractButton *button : mFormats->buttons())
        if (button->objectName() != QLatin1String("format-peft") && button->objectName() != QLatin1String("format-merged"))
            button->setEnabled(enabled);
}

void ExportPage::startExport()
{
    if (!mProject || isExporting() || mRun->count() == 0)
        return;
    ExportRequest request;
    request.project = mProject->folder();
    request.runId = mRun->currentData().toLongLong();
    request.format = currentFormat();
    request.output = mOutput->text().trimmed().toStdString();
    request.check = mCheck->isChecked();
    if (request.output.empty()) {
        showFailure(tr("Choose a folder to export to."), false);
        return;
    }
    setInputsEnabled(false);
    mResult->clear();
    mShowFolder->setVisible(false);
    mProgress->setVisible(true);
    mProgress->setValue(0);
    mCancel->setVisible(true);
    mStage->setText(tr("Starting…"));
    *mCancelFlag = false;
    const auto cancel = mCancelFlag;
    mThread = QThread::create([this, request, cancel] {
        try {
            const ExportResult result = exportRun(request, [this, cancel](const std::string &stage, double fraction) {
                const QString text = QString::fromStdString(stage);
                QMetaObject::invokeMethod(this, [this, text, fraction] { showProgress(text, fraction); },
                                          Qt::QueuedConnection);
                return !*cancel;
            });
            QMetaObject::invokeMethod(this, [this, result] { showResult(result); }, Qt::QueuedConnection);
        } catch (const std::exception &e) {
            const QString message = QString::fromStdString(e.what());
            const auto *error = dynamic_cast<const Error *>(&e);
            const bool cancelled = error && error->kind() == ErrorKind::Cancelled;
            QMetaObject::invokeMethod(this, [this, message, cancelled] { showFailure(message, cancelled); },
                                      Qt::QueuedConnection);
        }
    });
    connect(mThread, &QThread::finished, mThread, &QObject::deleteLater);
    mThread->start();
}

void ExportPage::showProgress(const QString &stage, double fraction)
{
    // Writing, checking and finishing take the bar's thirds in turn.
    const int third = stage == QLatin1String("writing") ? 0 : stage == QLatin1String("checking") ? 1 : 2;
    mProgress->setValue(int((third + fraction) * 1000.0 / 3.0));
    const QString names[] = {tr("Writing…"), tr("Checking against the run…"), tr("Writing the model card…")};
    mStage->setText(names[third]);
}

void ExportPage::showResult(const ExportResult &result)
{
    mThread = nullptr;
    mProgress->setVisible(false);
    mCancel->setVisible(false);
    mStage->clear();
    mLastFolder = QString::fromStdString(result.folder.string());
    QString text = tr("<b>Exported</b> to %1: %2 files, %3.")
                       .arg(mLastFolder.toHtmlEscaped())
                       .arg(result.files.size())
                       .arg(megabytes(double(result.bytes)));
    if (result.floatModelBytes > 0)
        text += tr(" The int8 model is %1× smaller than float32.")
                    .arg(double(result.floatModelBytes) / double(result.modelBytes), 0, 'f', 2);
    if (result.check && result.check->examples > 0) {
        const ExportCheck &c = *result.check;
        text += tr("<br>Checked on %1 %2 examples: largest logit difference %3; accuracy %4 (the run's %5), "
                   "%6 predictions changed.<br>Latency per example: %7 ms at batch 1, %8 ms at batch 32.")
                    .arg(c.examples)
                    .arg(QString::fromStdString(c.split))
                    .arg(c.maxAbsLogitDifference, 0, 'g', 3)
                    .arg(c.exportAccuracy, 0, 'f', 4)
                    .arg(c.runAccuracy, 0, 'f', 4)
                    .arg(c.predictionsChanged)
                    .arg(c.msPerExampleBatch1, 0, 'f', 2)
                    .arg(c.msPerExampleBatch32, 0, 'f', 2);
    } else if (result.check) {
        text += tr("<br>Not checked: the dataset has no labelled test or validation examples.");
    }
    mResult->setText(text);
    mShowFolder->setVisible(true);
    mOutputEdited = false;
    refresh();
    Q_EMIT exportFinished(true);
}

void ExportPage::showFailure(const QString &message, bool cancelled)
{
    mThread = nullptr;
    mProgress->setVisible(false);
    mCancel->setVisible(false);
    mStage->clear();
    mResult->setText(cancelled ? tr("Export cancelled; nothing was written.")
                               : tr("<b>Export failed:</b> %1").arg(message.toHtmlEscaped()));
    runChanged();
    Q_EMIT exportFinished(false);
}

} // namespace ft::ui
