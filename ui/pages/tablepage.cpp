// tablepage.cpp
#include "pages/tablepage.h"

#include <QHeaderView>
#include <QLabel>
#include <QSortFilterProxyModel>
#include <QStackedWidget>
#include <QTableView>
#include <QVBoxLayout>

namespace ft::ui {

QLabel *makePageTitle(const QString &text, QWidget *parent)
{
    auto *title = new QLabel(text, parent);
    QFont font = title->font();
    font.setPointSizeF(font.pointSizeF() * 1.5);
    font.setBold(true);
    title->setFont(font);
    return title;
}

TablePage::TablePage(const QString &title, const QString &emptyText, const QStringList &headers, Loader loader,
                     QWidget *parent)
    : QWidget(parent),
      mLoader(std::move(loader)),
      mModel(new RecordTableModel(headers, this)),
      mTable(new QTableView(this)),
      mEmptyNote(new QLabel(emptyText, this)),
      mBody(new QStackedWidget(this))
{
    auto *proxy = new QSortFilterProxyModel(this);
    proxy->setSourceModel(mModel);
    proxy->setSortRole(Qt::EditRole);
    mTable->setModel(proxy);
    mTable->setSortingEnabled(true);
    mTable->setSelectionBehavior(QAbstractItemView::SelectRows);
    mTable->setEditTriggers(QAbstractItemView::NoEditTriggers);
    mTable->verticalHeader()->hide();
    mTable->horizontalHeader()->setStretchLastSection(true);
    mTable->setAlternatingRowColors(true);

    mEmptyNote->setAlignment(Qt::AlignCenter);
    mEmptyNote->setWordWrap(true);
    mEmptyNote->setEnabled(false); // drawn greyed, as an empty-state hint

    mBody->addWidget(mTable);
    mBody->addWidget(mEmptyNote);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(makePageTitle(title, this));
    layout->addWidget(mBody, 1);
}

void TablePage::setProject(Project *project)
{
    mProject = project;
    refresh();
}

void TablePage::refresh()
{
    mModel->setRows(mProject ? mLoader(*mProject) : QVector<RecordTableModel::Row>());
    mBody->setCurrentWidget(mModel->rowCount() == 0 ? static_cast<QWidget *>(mEmptyNote) : mTable);
    mTable->resizeColumnsToContents();
}

bool TablePage::showsEmptyNote() const
{
    return mBody->currentWidget() == mEmptyNote;
}

} // namespace ft::ui
