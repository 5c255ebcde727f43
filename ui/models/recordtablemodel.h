// recordtablemodel.h: a read-only table of records loaded from the project
// store (datasets, models, runs, exports). Numbers stay numbers, so a sort
// proxy orders them numerically and they align right.
#pragma once

#include <QAbstractTableModel>
#include <QStringList>
#include <QVariant>
#include <QVector>

namespace ft::ui {

class RecordTableModel : public QAbstractTableModel {
    Q_OBJECT

public:
    using Row = QVector<QVariant>;

    explicit RecordTableModel(QStringList headers, QObject *parent = nullptr);

    void setRows(QVector<Row> rows);
    const Row &row(int index) const { return mRows.at(index); }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    QStringList mHeaders;
    QVector<Row> mRows;
};

} // namespace ft::ui
