// runspage.h: the Runs page: the project's runs and the queue of runs still
// to train in one list, New Run (the run dialog), pause, resume, cancel and
// reordering of the queue, and for the selected run its progress (step,
// epoch, samples/s, ETA) and log; live charts of every run trained or
// selected here, overlaid; Compare… puts finished runs (a distilled one beside
// its teacher) side by side. Runs train on the page's RunQueue.
#pragma once

#include <QHash>
#include <QSet>
#include <QStringList>
#include <QWidget>

#include <cstdint>
#include <optional>
#include <vector>

class QLabel;
class QMessageBox;
class QPlainTextEdit;
class QProgressBar;
class QStackedWidget;
class QTableWidget;
class QToolButton;

namespace ft {
class Project;
struct TrainingProgress;
}

namespace ft::ui {

class ComparisonView;
class DesktopSession;
class EvaluationView;
class MetricsChart;
class Playground;
class RunDialog;
class RunQueue;

class RunsPage : public QWidget {
    Q_OBJECT

public:
    explicit RunsPage(QWidget *parent = nullptr);
    ~RunsPage() override;

    // A different project cancels the runs of the previous one (they stay resumable).
    void setProject(Project *project);
    void refresh();

    // Opens the run dialog; its Launch adds the run to the queue.
    RunDialog *newRun();
    void pauseSelected();
    // Resumes a paused run, or continues a stopped run from its last checkpoint.
    void resumeSelected();
    void cancelSelected();
    void moveSelected(int delta);
    // The evaluation (report, confusion matrix, label errors) of the selected completed run.
    EvaluationView *evaluateSelected();
    // Size, latency and accuracy of the selected completed runs (a distilled one with its teacher)
    // and their int8 copies, in a window; null when the selection has nothing to compare.
    ComparisonView *compareSelected();
    // A playground window on the selected completed run's model.
    Playground *trySelected();
    QToolButton *exportButton() const { return mExport; }
    // The run dialog, filled from the selected run, for a new run with changes.
    RunDialog *duplicateSelected();
    // Asks (a non-modal message box), then deletes the selected stored run with its checkpoints.
    QMessageBox *deleteSelected();
    // "Import Run…": run `runId` of another copy of this project (trained elsewhere) becomes a run
    // here (train/run_import.h) and is selected. False, with the reason shown, when it cannot.
    bool importRunFrom(const QString &projectFolder, std::int64_t runId);
    QToolButton *importButton() const { return mImport; }
    // Selects a queue item (a waiting or running run) in the list.
    void selectQueueItem(int item);

    RunQueue *queue() const { return mQueue; }
    // Sleep inhibition and notifications; the page owns `session` (tests give it a private bus).
    void setDesktopSession(DesktopSession *session);
    DesktopSession *desktopSession() const { return mDesktop; }
    QTableWidget *runList() const { return mList; }
    QProgressBar *progressBar() const { return mProgress; }
    QLabel *progressText() const { return mProgressText; }
    QPlainTextEdit *logView() const { return mLog; }
    MetricsChart *chart() const { return mChart; }
    bool showsEmptyNote() const;

Q_SIGNALS:
    // Export… on a completed run: the Exports page takes it from here.
    void exportRequested(std::int64_t runId);

private:
    void resetQueue();
    void showSelection();
    void showProgress(int item, const TrainingProgress &progress);
    void chartStoredRun(std::int64_t runId, const QString &name);
    std::optional<int> selectedQueueItem() const;
    std::optional<std::int64_t> selectedRunId() const;
    std::vector<std::int64_t> selectedCompletedRuns() const;
    // The selected stored run when it stopped before its end and nothing here trains it.
    std::optional<std::int64_t> resumableStoredRun() const;

    Project *mProject = nullptr;
    RunQueue *mQueue = nullptr;
    QHash<int, QStringList> mLogs;           // by queue item
    QHash<std::int64_t, int> mItemOfRun;     // run id -> queue item that trained it
    QSet<std::int64_t> mCharted;             // runs on the chart (live, or loaded from the store)
    QTableWidget *mList;
    QStackedWidget *mBody;
    QLabel *mEmptyNote;
    QLabel *mHeader;
    QProgressBar *mProgress;
    QLabel *mProgressText;
    QPlainTextEdit *mLog;
    QToolButton *mNew;
    QToolButton *mPause;
    QToolButton *mResume;
    QToolButton *mCancel;
    QToolButton *mUp;
    QToolButton *mDown;
    QToolButton *mEvaluate;
    QToolButton *mTry;
    QToolButton *mExport;
    QToolButton *mCompare;
    QToolButton *mDuplicate;
    QToolButton *mDelete;
    QToolButton *mImport;
    MetricsChart *mChart;
    DesktopSession *mDesktop;
};

} // namespace ft::ui
