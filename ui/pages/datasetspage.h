// datasetspage.h: the Datasets page: the project's datasets with their sizes,
// splits and labels; the examples of the selected one in a lazy table with
// filters (label, split, unlabelled, text search), sorting and bulk relabel
// or split changes; and labelling mode.
#pragma once

#include "labelling/suggestion.h"

#include <QWidget>

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

class QComboBox;
class QLabel;
class QLineEdit;
class QListView;
class QStackedWidget;
class QTableView;
class QThread;
class QToolButton;
class QTimer;

namespace ft {
class Project;
}

namespace ft::ui {

class ExamplesModel;
class LabellingView;
class RecordTableModel;

class DatasetsPage : public QWidget {
    Q_OBJECT

public:
    explicit DatasetsPage(QWidget *parent = nullptr);
    ~DatasetsPage() override;

    void setProject(Project *project);
    void refresh();

    // Gives the selected examples this label (empty: unlabelled) / moves them to a split.
    void relabelSelection(const QString &label);
    void moveSelectionToSplit(const QString &split);
    void startLabelling();
    void stopLabelling();
    // Predicts the unlabelled examples with a completed run's model, on a worker thread.
    void suggestWithRun(std::int64_t runId);
    bool isSuggesting() const { return mSuggestThread != nullptr; }

    QTableView *datasetsTable() const { return mDatasets; }
    QTableView *examplesTable() const { return mExamples; }
    // Image datasets: thumbnails in a grid (the default for them) or the table.
    QListView *examplesGrid() const { return mGrid; }
    bool showsGrid() const;
    void setShowGrid(bool grid);
    ExamplesModel *examplesModel() const { return mExamplesModel; }
    QLabel *labelSummary() const { return mLabelSummary; }
    QLineEdit *searchField() const { return mSearch; }
    QComboBox *labelFilter() const { return mLabelFilter; }
    QComboBox *splitFilter() const { return mSplitFilter; }
    QLabel *matchCount() const { return mMatchCount; }
    QToolButton *suggestButton() const { return mSuggest; }
    QLabel *suggestStatus() const { return mSuggestStatus; }
    LabellingView *labellingView() const { return mLabelling; }
    bool isLabelling() const;

private:
    void showDataset(int row);
    void applyFilter();
    void updateLabelSummary();
    void fillLabelMenus();
    void fillRunMenu();
    void showSuggestions(std::int64_t runId, const Suggestions &suggestions);
    std::vector<std::int64_t> selectedExamples() const;

    Project *mProject = nullptr;
    std::int64_t mDatasetId = 0;
    RecordTableModel *mDatasetsModel;
    ExamplesModel *mExamplesModel;
    QTableView *mDatasets;
    QTableView *mExamples;
    QLabel *mLabelSummary;
    QLabel *mEmptyNote;
    QLineEdit *mSearch;
    QComboBox *mLabelFilter;
    QComboBox *mSplitFilter;
    QLabel *mMatchCount;
    QToolButton *mRelabel;
    QToolButton *mMoveSplit;
    QToolButton *mLabelButton;
    QToolButton *mSuggest;
    QLabel *mSuggestStatus;
    QThread *mSuggestThread = nullptr;
    std::shared_ptr<std::atomic<bool>> mSuggestCancel;
    QTimer *mSearchDelay;
    QStackedWidget *mStack;
    QStackedWidget *mViews; // table or grid
    QListView *mGrid;
    QToolButton *mGridToggle;
    LabellingView *mLabelling;
};

} // namespace ft::ui
