// comparisonview.h: finished runs side by side, a teacher first and the students distilled from
// it after, each with its int8 copy: layers, parameters, size, single-example latency (median and
// 90th percentile) and accuracy, with the speed-up and accuracy change against the teacher. The
// comparison (infer/model_comparison.h) runs on a worker thread with a progress bar and Cancel.
#pragma once

#include "infer/model_comparison.h"

#include <QThreadPool>
#include <QWidget>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <vector>

class QLabel;
class QProgressBar;
class QPushButton;
class QTableWidget;

namespace ft {
class Project;
}

namespace ft::ui {

class ComparisonView : public QWidget {
    Q_OBJECT

public:
    enum Column { RunColumn, VariantColumn, LayersColumn, ParametersColumn, SizeColumn, LatencyColumn,
                  LatencyP90Column, AccuracyColumn, SpeedUpColumn, AccuracyChangeColumn, ColumnCount };

    // Compares `runs` of the project in `projectFolder`, the first as the reference (the teacher).
    ComparisonView(const std::filesystem::path &projectFolder, std::vector<std::int64_t> runs,
                   QWidget *parent = nullptr);
    // Cancels a comparison still running and waits for its thread.
    ~ComparisonView() override;

    // What Compare… shows for `selected` completed runs: a distilled run's teacher joins it, and
    // teachers come first, then the other runs by id. Empty when there are not two runs to compare.
    static std::vector<std::int64_t> runsToCompare(Project &project, const std::vector<std::int64_t> &selected);

    // The request start() sends; change it before starting (fewer timed predictions, say).
    ComparisonRequest &request() { return mRequest; }
    void start();
    void cancel();
    bool isRunning() const { return mRunning; }
    // The last finished comparison (empty models when it failed or was cancelled).
    const ModelComparison &comparison() const { return mComparison; }

    QTableWidget *table() const { return mTable; }
    QProgressBar *progressBar() const { return mProgress; }
    QPushButton *cancelButton() const { return mCancel; }
    QPushButton *againButton() const { return mAgain; }
    QLabel *statusLabel() const { return mStatus; }

Q_SIGNALS:
    // The comparison ended: done, failed or cancelled (the status label says which).
    void finished();

private:
    void showProgress(const QString &stage, double fraction);
    void showComparison();
    void showFailure(const QString &message, bool cancelled);

    ComparisonRequest mRequest;
    ModelComparison mComparison;
    bool mRunning = false;
    std::shared_ptr<std::atomic<bool>> mCancelled;
    QLabel *mTitle;
    QProgressBar *mProgress;
    QLabel *mStage;
    QPushButton *mCancel;
    QPushButton *mAgain;
    QTableWidget *mTable;
    QLabel *mStatus;
    QThreadPool mPool; // the comparison's thread; the destructor waits for it
};

} // namespace ft::ui
