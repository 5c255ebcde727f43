// examplesmodel.cpp
#include "models/examplesmodel.h"

#include "store/project.h"

namespace ft::ui {

namespace {
QString toQString(const std::string &text)
{
    return QString::fromStdString(text);
}
} // namespace

ExamplesModel::ExamplesModel(QObject *parent) : QAbstractTableModel(parent) {}

void ExamplesModel::setDataset(Project *project, std::int64_t datasetId, std::int64_t total)
{
    beginResetModel();
    mProject = project;
    mDatasetId = datasetId;
    mTotal = project ? total : 0;
    mRows.clear();
    endResetModel();
}

int ExamplesModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(mRows.size());
}

int ExamplesModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant ExamplesModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= static_cast<int>(mRows.size()))
        return {};
    const Example &row = mRows[static_cast<size_t>(index.row())];
    if (role != Qt::DisplayRole && role != Qt::ToolTipRole)
        return {};
    switch (index.column()) {
    case TextColumn: return toQString(row.text);
    case TextPairColumn: return row.textB ? toQString(*row.textB) : QVariant();
    case LabelColumn: return row.label ? toQString(*row.label) : tr("(unlabelled)");
    case SplitColumn: return toQString(row.split);
    case SourceColumn:
        if (!row.sourceFile)
            return {};
        return row.sourceLine ? QStringLiteral("%1:%2").arg(toQString(*row.sourceFile)).arg(*row.sourceLine)
                              : toQString(*row.sourceFile);
    default: return {};
    }
}

QVariant ExamplesModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case TextColumn: return tr("Text");
    case TextPairColumn: return tr("Second text");
    case LabelColumn: return tr("Label");
    case SplitColumn: return tr("Split");
    case SourceColumn: return tr("Source");
    default: return {};
    }
}

bool ExamplesModel::canFetchMore(const QModelIndex &parent) const
{
    return !parent.isValid() && mProject && static_cast<std::int64_t>(mRows.size()) < mTotal;
}

void ExamplesModel::fetchMore(const QModelIndex &parent)
{
    if (!canFetchMore(parent))
        return;
    auto page = examples(*mProject, mDatasetId, static_cast<std::int64_t>(mRows.size()), kPageSize);
    if (page.empty()) {
        mTotal = static_cast<std::int64_t>(mRows.size()); // the dataset shrank underneath us
        return;
    }
    const int first = static_cast<int>(mRows.size());
    beginInsertRows({}, first, first + static_cast<int>(page.size()) - 1);
    std::move(page.begin(), page.end(), std::back_inserter(mRows));
    endInsertRows();
}

} // namespace ft::ui
