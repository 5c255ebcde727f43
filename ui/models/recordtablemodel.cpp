// recordtablemodel.cpp
#include "models/recordtablemodel.h"

#include <QLocale>

namespace ft::ui {

RecordTableModel::RecordTableModel(QStringList headers, QObject *parent)
    : QAbstractTableModel(parent), mHeaders(std::move(headers))
{
}

void RecordTableModel::setRows(QVector<Row> rows)
{
    beginResetModel();
    mRows = std::move(rows);
    endResetModel();
}

int RecordTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(mRows.size());
}

int RecordTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(mHeaders.size());
}

QVariant RecordTableModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= mRows.size() || index.column() >= mRows[index.row()].size())
        return {};
    const QVariant &value = mRows[index.row()][index.column()];
    const bool numeric = value.typeId() == QMetaType::LongLong || value.typeId() == QMetaType::Int
                         || value.typeId() == QMetaType::Double;
    switch (role) {
    case Qt::DisplayRole:
        return numeric && value.typeId() != QMetaType::Double ? QLocale().toString(value.toLongLong()) : value;
    case Qt::EditRole:
        return value;
    case Qt::TextAlignmentRole:
        return numeric ? QVariant(Qt::AlignRight | Qt::AlignVCenter) : QVariant(Qt::AlignLeft | Qt::AlignVCenter);
    default:
        return {};
    }
}

QVariant RecordTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation == Qt::Horizontal && role == Qt::DisplayRole && section < mHeaders.size())
        return mHeaders.at(section);
    return QAbstractTableModel::headerData(section, orientation, role);
}

} // namespace ft::ui
