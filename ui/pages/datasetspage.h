// datasetspage.h: the Datasets page: the project's datasets with their sizes,
// splits and labels, and the examples of the selected one.
#pragma once

#include <QWidget>

class QLabel;
class QTableView;

namespace ft {
class Project;
}

namespace ft::ui {

class ExamplesModel;
class RecordTableModel;

class DatasetsPage : public QWidget {
    Q_OBJECT

public:
    explicit DatasetsPage(QWidget *parent = nullptr);

    void setProject(Project *project);
    void refresh();

    QTableView *datasetsTable() const { return mDatasets; }
    QTableView *examplesTable() const { return mExamples; }
    QLabel *labelSummary() const { return mLabelSummary; }

private:
    void showDataset(int row);

    Project *mProject = nullptr;
    RecordTableModel *mDatasetsModel;
    ExamplesModel *mExamplesModel;
    QTableView *mDatasets;
    QTableView *mExamples;
    QLabel *mLabelSummary;
    QLabel *mEmptyNote;
};

} // namespace ft::ui
