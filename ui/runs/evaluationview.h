// evaluationview.h: how a run's model does on a split, the way a person
// reviews it: the classification report (precision, recall, F1, support per
// class, macro and weighted averages), the confusion matrix as a heat map
// with counts, the examples behind a clicked cell with their loss (which can
// be relabelled right there), and the likely label errors of the split.
// Image examples are listed with a thumbnail (decoded on ThumbnailLoader's
// threads). The evaluation runs on a worker thread with its own store connection.
#pragma once

#include "infer/split_evaluation.h"

#include <QWidget>

#include <cstdint>
#include <optional>

class QComboBox;
class QCustomPlot;
class QLabel;
class QTableWidget;
class QToolButton;

namespace ft {
class Project;
}

namespace ft::ui {

class ThumbnailLoader;

class EvaluationView : public QWidget {
    Q_OBJECT

public:
    EvaluationView(Project &project, std::int64_t runId, QWidget *parent = nullptr);
    ~EvaluationView() override;

    void evaluate(Split split);
    bool isReady() const { return mEvaluation.has_value() && !mBusy; }
    const SplitEvaluation &evaluation() const { return *mEvaluation; }

    // Lists the examples of confusion cell [truth][predicted].
    void showCell(std::size_t truth, std::size_t predicted);
    void showLikelyLabelErrors();
    // Gives the listed examples that are selected this label of the dataset.
    void relabelSelected(const QString &label);

    QComboBox *splitBox() const { return mSplit; }
    QTableWidget *report() const { return mReport; }
    QCustomPlot *confusionPlot() const { return mPlot; }
    QTableWidget *examplesList() const { return mExamples; }
    QLabel *listTitle() const { return mListTitle; }
    QLabel *status() const { return mStatus; }
    ThumbnailLoader *thumbnails() const { return mThumbnails; }

Q_SIGNALS:
    void evaluated();
    void examplesRelabelled(const std::vector<std::int64_t> &exampleIds);

private:
    void showEvaluation();
    void listExamples(const std::vector<ExamplePrediction> &examples);
    void showThumbnail(const QString &path);

    Project &mProject;
    std::int64_t mRunId;
    std::int64_t mDatasetId = 0;
    std::optional<SplitEvaluation> mEvaluation;
    bool mBusy = false;
    QComboBox *mSplit;
    QLabel *mStatus;
    QTableWidget *mReport;
    QCustomPlot *mPlot;
    QLabel *mListTitle;
    QTableWidget *mExamples;
    QToolButton *mRelabel;
    ThumbnailLoader *mThumbnails;
};

} // namespace ft::ui
