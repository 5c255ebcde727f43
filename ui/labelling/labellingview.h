// labellingview.h: labelling mode: one example shown large, a button per
// label with number keys 1-9, Enter to accept the suggestion, Backspace to go
// back, undo and redo, "n of m labelled" and a live class-balance chart.
// Every label is written to the project store as it is given.
#pragma once

#include "labelling/suggestion.h"

#include <QHash>
#include <QVector>
#include <QWidget>

#include <cstdint>
#include <optional>
#include <vector>

class QComboBox;
class QLabel;
class QProgressBar;
class QPushButton;
class QUndoStack;
class QHBoxLayout;

namespace ft {
class Project;
}

namespace ft::ui {

class BalanceChart;

class LabellingView : public QWidget {
    Q_OBJECT

public:
    explicit LabellingView(QWidget *parent = nullptr);

    // Starts labelling the dataset's unlabelled examples in id order (all of
    // them when none is unlabelled). nullptr clears.
    void setDataset(Project *project, std::int64_t datasetId);
    // Where an image dataset's paths are relative to: its images are shown large.
    void setImageFolder(const QString &folder) { mImageFolder = folder; }
    enum class Order { Import, SmallestMargin, LargestEntropy };
    // Suggested labels from a trained model: shown, accepted with Enter, and
    // the basis of the "most uncertain first" orders.
    void setSuggestions(const Suggestions &suggestions);
    // The order of the examples still to label: import order, or the ones the
    // model is least sure of first (those labels teach it the most).
    void setOrder(Order order);
    QComboBox *orderBox() const { return mOrder; }

    // Gives the current example the label at `index` (0-based) and moves on.
    void assignLabel(int index);
    void acceptSuggestion();
    void goBack();

    std::optional<std::int64_t> currentExample() const;
    int position() const { return mPosition; }
    int queueSize() const { return static_cast<int>(mQueue.size()); }
    std::int64_t labelledCount() const;
    std::int64_t exampleCount() const { return mExampleCount; }

    QUndoStack *undoStack() const { return mUndo; }
    BalanceChart *balanceChart() const { return mChart; }
    QLabel *progressText() const { return mProgressText; }
    QLabel *exampleText() const { return mText; }
    QVector<QPushButton *> labelButtons() const { return mButtons; }

Q_SIGNALS:
    // The store changed: these examples got a new label.
    void examplesRelabelled(const std::vector<std::int64_t> &exampleIds);
    void closeRequested();

protected:
    void keyPressEvent(QKeyEvent *event) override;

private:
    friend class SetLabelCommand;
    // Writes the label and keeps counts and chart in step; called by the undo commands.
    void applyLabel(int position, std::optional<std::int64_t> from, std::optional<std::int64_t> to);
    void showPosition(int position);
    void updateProgress();
    std::optional<std::int64_t> storedLabel(std::int64_t exampleId) const;

    Project *mProject = nullptr;
    std::int64_t mDatasetId = 0;
    std::vector<std::int64_t> mLabelIds;   // in button order
    QStringList mLabelNames;
    std::vector<std::int64_t> mQueue;      // example ids in labelling order
    int mPosition = 0;                     // index into mQueue; == size when done
    QHash<std::int64_t, double> mCounts;   // examples per label id
    std::int64_t mUnlabelled = 0;
    std::int64_t mExampleCount = 0;
    Suggestions mSuggestions;
    QString mImageFolder;

    QUndoStack *mUndo;
    QComboBox *mOrder;
    QLabel *mPositionText;
    QLabel *mText;
    QLabel *mCurrentLabel;
    QLabel *mSuggestionText;
    QHBoxLayout *mButtonRow;
    QVector<QPushButton *> mButtons;
    QProgressBar *mProgress;
    QLabel *mProgressText;
    BalanceChart *mChart;
};

} // namespace ft::ui
