// tablepage.h: a navigation page that lists one kind of project record
// (models, runs, exports) in a sortable table, with a note when it is empty.
#pragma once

#include "models/recordtablemodel.h"

#include <QWidget>

#include <functional>

class QLabel;
class QTableView;
class QStackedWidget;

namespace ft {
class Project;
}

namespace ft::ui {

class TablePage : public QWidget {
    Q_OBJECT

public:
    using Loader = std::function<QVector<RecordTableModel::Row>(Project &)>;

    TablePage(const QString &title, const QString &emptyText, const QStringList &headers, Loader loader,
              QWidget *parent = nullptr);

    void setProject(Project *project);
    void refresh();

    QTableView *table() const { return mTable; }
    RecordTableModel *model() const { return mModel; }
    bool showsEmptyNote() const;

private:
    Project *mProject = nullptr;
    Loader mLoader;
    RecordTableModel *mModel;
    QTableView *mTable;
    QLabel *mEmptyNote;
    QStackedWidget *mBody;
};

// The page heading shared by every navigation page.
QLabel *makePageTitle(const QString &text, QWidget *parent);

} // namespace ft::ui
