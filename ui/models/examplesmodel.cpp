// examplesmodel.cpp
#include "models/examplesmodel.h"

#include "data/splits.h"
#include "models/thumbnailloader.h"
#include "store/project.h"

#include <QColor>
#include <QDir>
#include <QPixmap>
#include <QPalette>

#include <algorithm>

namespace ft::ui {

ExamplesModel::ExamplesModel(QObject *parent) : QAbstractTableModel(parent), mThumbnails(new ThumbnailLoader(96, this))
{
    connect(mThumbnails, &ThumbnailLoader::ready, this, [this](const QString &path) {
        for (const int row : mRowsWaitingFor.take(path))
            if (row < rowCount())
                Q_EMIT dataChanged(index(row, TextColumn), index(row, LabelColumn), {Qt::DecorationRole});
    });
}

void ExamplesModel::setImageFolder(const QString &folder)
{
    mImageFolder = folder;
}

bool ExamplesModel::hasImages() const
{
    const ExampleRow *first = rowAt(0);
    return first && first->imagePath;
}

void ExamplesModel::setQuery(Project *project, const ExampleFilter &filter)
{
    mProject = project;
    mFilter = filter;
    reload();
}

void ExamplesModel::reload()
{
    beginResetModel();
    mPages.clear();
    mPageOrder.clear();
    mRowsWaitingFor.clear();
    mIds = mProject ? matchingIds(*mProject, mFilter, mSort) : std::vector<std::int64_t>{};
    endResetModel();
}

void ExamplesModel::rowsChanged(const std::vector<std::int64_t> &exampleIds)
{
    if (exampleIds.empty() || mIds.empty())
        return;
    // Cheaper than finding each id: drop the cache, repaint what is visible.
    mPages.clear();
    mPageOrder.clear();
    Q_EMIT dataChanged(index(0, 0), index(rowCount() - 1, ColumnCount - 1));
}

const ExampleRow *ExamplesModel::rowAt(int row) const
{
    if (!mProject || row < 0 || row >= rowCount())
        return nullptr;
    const int page = row / kPageSize;
    auto found = mPages.find(page);
    if (found == mPages.end()) {
        const size_t begin = static_cast<size_t>(page) * kPageSize;
        const size_t end = std::min(mIds.size(), begin + kPageSize);
        const std::span<const std::int64_t> ids(mIds.data() + begin, end - begin);
        std::vector<ExampleRow> rows = fetchRows(*mProject, ids);
        // An example deleted since the query leaves a gap: keep rows aligned with ids.
        if (rows.size() != ids.size()) {
            std::vector<ExampleRow> aligned(ids.size());
            size_t next = 0;
            for (size_t i = 0; i < ids.size() && next < rows.size(); ++i)
                if (rows[next].id == ids[i])
                    aligned[i] = std::move(rows[next++]);
            rows = std::move(aligned);
        }
        found = mPages.emplace(page, std::move(rows)).first;
        mPageOrder.push_front(page);
        if (mPageOrder.size() > kCachedPages) {
            mPages.erase(mPageOrder.back());
            mPageOrder.pop_back();
        }
    } else if (mPageOrder.front() != page) {
        mPageOrder.remove(page);
        mPageOrder.push_front(page);
    }
    const ExampleRow &result = found->second[static_cast<size_t>(row % kPageSize)];
    return result.id == 0 ? nullptr : &result;
}

std::optional<ExampleRow> ExamplesModel::example(int row) const
{
    const ExampleRow *found = rowAt(row);
    return found ? std::optional<ExampleRow>(*found) : std::nullopt;
}

int ExamplesModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(mIds.size());
}

int ExamplesModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant ExamplesModel::data(const QModelIndex &index, int role) const
{
    if (role != Qt::DisplayRole && role != Qt::ToolTipRole && role != Qt::ForegroundRole && role != Qt::DecorationRole)
        return {};
    const ExampleRow *row = rowAt(index.row());
    if (!row)
        return {};
    if (role == Qt::DecorationRole) {
        if (!row->imagePath || (index.column() != TextColumn && index.column() != LabelColumn))
            return {};
        const QString path = QDir(mImageFolder).filePath(QString::fromStdString(*row->imagePath));
        const QPixmap thumbnail = mThumbnails->thumbnail(path);
        if (thumbnail.isNull()) {
            QList<int> &rows = mRowsWaitingFor[path];
            if (!rows.contains(index.row()))
                rows.append(index.row());
        }
        return thumbnail;
    }
    if (role == Qt::ToolTipRole && row->imagePath)
        return QString::fromStdString(*row->imagePath);
    if (role == Qt::ForegroundRole)
        return index.column() == LabelColumn && !row->label ? QPalette().color(QPalette::PlaceholderText) : QVariant();
    switch (index.column()) {
    case TextColumn: {
        if (row->imagePath && row->text.empty())
            return QString::fromStdString(*row->imagePath);
        QString text = QString::fromStdString(row->text);
        if (row->textTruncated)
            text += QChar(0x2026);
        if (row->hasTextPair && role == Qt::DisplayRole)
            text += tr("  [+ second text]");
        return text;
    }
    case LabelColumn: return row->label ? QString::fromStdString(*row->label) : tr("(unlabelled)");
    case SplitColumn: return QString::fromLatin1(splitName(row->split));
    case SuggestionColumn: {
        const auto found = mSuggestions.constFind(row->id);
        if (found == mSuggestions.constEnd())
            return {};
        return tr("%1 (%2 %)").arg(found->label).arg(found->confidence * 100, 0, 'f', 0);
    }
    default: return {};
    }
}

void ExamplesModel::setSuggestions(const Suggestions &suggestions)
{
    mSuggestions = suggestions;
    if (rowCount() > 0)
        Q_EMIT dataChanged(index(0, SuggestionColumn), index(rowCount() - 1, SuggestionColumn));
}

QVariant ExamplesModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case TextColumn: return tr("Text");
    case LabelColumn: return tr("Label");
    case SplitColumn: return tr("Split");
    case SuggestionColumn: return tr("Suggested");
    default: return {};
    }
}

void ExamplesModel::sort(int column, Qt::SortOrder order)
{
    const ExampleSortKey key = column == TextColumn    ? ExampleSortKey::Text
                               : column == LabelColumn ? ExampleSortKey::Label
                               : column == SplitColumn ? ExampleSortKey::Split
                                                       : ExampleSortKey::Id;
    const ExampleSort sort{key, order == Qt::DescendingOrder};
    if (sort.key == mSort.key && sort.descending == mSort.descending)
        return;
    mSort = sort;
    reload();
}

} // namespace ft::ui
