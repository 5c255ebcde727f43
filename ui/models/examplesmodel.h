// examplesmodel.h: the examples of one dataset, fetched from the store in
// pages as the view scrolls, so a large dataset opens at once.
#pragma once

#include "store/datasets.h"

#include <QAbstractTableModel>

#include <vector>

namespace ft {
class Project;
}

namespace ft::ui {

class ExamplesModel : public QAbstractTableModel {
    Q_OBJECT

public:
    enum Column { TextColumn, TextPairColumn, LabelColumn, SplitColumn, SourceColumn, ColumnCount };
    static constexpr int kPageSize = 500;

    explicit ExamplesModel(QObject *parent = nullptr);

    // Shows `datasetId` of `project` (nullptr clears); holds no ownership.
    void setDataset(Project *project, std::int64_t datasetId, std::int64_t total);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    bool canFetchMore(const QModelIndex &parent) const override;
    void fetchMore(const QModelIndex &parent) override;

private:
    Project *mProject = nullptr;
    std::int64_t mDatasetId = 0;
    std::int64_t mTotal = 0;
    std::vector<Example> mRows;
};

} // namespace ft::ui
