// exportpage.h: the Exports page: export a finished run to one of the formats
// of export/export_format.h (on a worker thread, with progress and cancel),
// see the export's check against the run, open the folder, and the list of
// every export the project recorded.
#pragma once

#include "export/export_format.h"

#include <QWidget>

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>

class QButtonGroup;
class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QThread;

namespace ft {
class Project;
struct ExportResult;
}

namespace ft::ui {

class TablePage;

class ExportPage : public QWidget {
    Q_OBJECT

public:
    explicit ExportPage(QWidget *parent = nullptr);
    ~ExportPage() override;

    void setProject(Project *project);
    void refresh();

    // Picks a run and a format, as a person would with the controls.
    void selectRun(std::int64_t runId);
    void selectFormat(ExportFormat format);
    bool isExporting() const { return mThread != nullptr; }
    bool showsEmptyNote() const;
    // Replaces how "Show in folder" opens a folder (the desktop's file manager by default).
    void setFolderOpener(std::function<void(const QString &)> opener) { mOpenFolder = std::move(opener); }

    QComboBox *runChoice() const { return mRun; }
    QLineEdit *outputField() const { return mOutput; }
    QPushButton *exportButton() const { return mExport; }
    QPushButton *cancelButton() const { return mCancel; }
    QPushButton *showFolderButton() const { return mShowFolder; }
    QLabel *resultText() const { return mResult; }
    TablePage *history() const { return mHistory; }
    bool formatEnabled(ExportFormat format) const;

Q_SIGNALS:
    void exportFinished(bool ok);

private:
    void runChanged();
    void suggestOutput();
    void startExport();
    void showProgress(const QString &stage, double fraction);
    void showResult(const ExportResult &result);
    void showFailure(const QString &message, bool cancelled);
    void setInputsEnabled(bool enabled);
    ExportFormat currentFormat() const;

    Project *mProject = nullptr;
    QComboBox *mRun;
    QButtonGroup *mFormats;
    QLineEdit *mOutput;
    QPushButton *mChoose;
    QCheckBox *mCheck;
    QPushButton *mExport;
    QPushButton *mCancel;
    QProgressBar *mProgress;
    QLabel *mStage;
    QLabel *mResult;
    QPushButton *mShowFolder;
    TablePage *mHistory;
    QThread *mThread = nullptr;
    std::shared_ptr<std::atomic<bool>> mCancelFlag = std::make_shared<std::atomic<bool>>(false);
    QString mLastFolder;
    bool mOutputEdited = false; // the user typed a folder: stop suggesting one
    std::function<void(const QString &)> mOpenFolder;
};

} // namespace ft::ui
