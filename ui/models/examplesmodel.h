// examplesmodel.h: the examples of one dataset as a table, filtered and
// sorted in the store. The model holds the matching ids only (8 bytes a row)
// and fetches the rows the view shows a page at a time, keeping a few pages,
// so a dataset of a million examples opens and scrolls without loading it.
#pragma once

#include "labelling/suggestion.h"
#include "store/example_query.h"

#include <QAbstractTableModel>
#include <QHash>
#include <QList>

#include <list>
#include <optional>
#include <unordered_map>
#include <vector>

namespace ft {
class Project;
}

namespace ft::ui {

class ThumbnailLoader;

class ExamplesModel : public QAbstractTableModel {
    Q_OBJECT

public:
    enum Column { TextColumn, LabelColumn, SplitColumn, SuggestionColumn, ColumnCount };
    static constexpr int kPageSize = 256;
    static constexpr size_t kCachedPages = 32;

    explicit ExamplesModel(QObject *parent = nullptr);

    // Shows the examples of `project` that pass `filter` (nullptr clears); holds no ownership.
    void setQuery(Project *project, const ExampleFilter &filter);
    const ExampleFilter &filter() const { return mFilter; }
    // Runs the query again (after the examples changed), keeping filter and sort.
    void reload();
    // Forgets the cached rows of these examples, so the view shows their new label or split.
    void rowsChanged(const std::vector<std::int64_t> &exampleIds);

    // Where the examples' image paths are relative to (an image dataset's
    // folder); their thumbnails are the decoration of the text and label columns.
    void setImageFolder(const QString &folder);
    const QString &imageFolder() const { return mImageFolder; }
    bool hasImages() const;
    ThumbnailLoader *thumbnails() const { return mThumbnails; }

    // A trained model's suggestions, shown in SuggestionColumn.
    void setSuggestions(const Suggestions &suggestions);
    const Suggestions &suggestions() const { return mSuggestions; }

    std::int64_t exampleId(int row) const { return mIds.at(static_cast<size_t>(row)); }
    std::optional<ExampleRow> example(int row) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    void sort(int column, Qt::SortOrder order = Qt::AscendingOrder) override;

private:
    const ExampleRow *rowAt(int row) const;

    Project *mProject = nullptr;
    ExampleFilter mFilter;
    ExampleSort mSort;
    std::vector<std::int64_t> mIds;
    Suggestions mSuggestions;
    QString mImageFolder;
    ThumbnailLoader *mThumbnails;
    mutable QHash<QString, QList<int>> mRowsWaitingFor; // image path -> rows that asked for it
    // Pages of rows by page number, the most recently used first in mPageOrder.
    mutable std::unordered_map<int, std::vector<ExampleRow>> mPages;
    mutable std::list<int> mPageOrder;
};

} // namespace ft::ui
