// welcomepage.cpp
#include "pages/welcomepage.h"

#include "pages/tablepage.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QPushButton>
#include <QVBoxLayout>

namespace ft::ui {

WelcomePage::WelcomePage(QWidget *parent) : QWidget(parent), mRecent(new QListWidget(this))
{
    auto *intro = new QLabel(tr("Open a project to import data, fine-tune models and export them, or drop a "
                                "project folder onto this window."),
                             this);
    intro->setWordWrap(true);
    auto *create = new QPushButton(tr("New Project…"), this);
    auto *open = new QPushButton(tr("Open Project…"), this);
    create->setObjectName(QStringLiteral("newProjectButton"));
    open->setObjectName(QStringLiteral("openProjectButton"));
    connect(create, &QPushButton::clicked, this, &WelcomePage::newProjectRequested);
    connect(open, &QPushButton::clicked, this, &WelcomePage::openProjectRequested);
    connect(mRecent, &QListWidget::itemActivated, this,
            [this](QListWidgetItem *item) { Q_EMIT recentProjectChosen(item->data(Qt::UserRole).toString()); });

    auto *buttons = new QHBoxLayout;
    buttons->addWidget(create);
    buttons->addWidget(open);
    buttons->addStretch();

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(makePageTitle(tr("Welcome to Finetune Studio"), this));
    layout->addWidget(intro);
    layout->addLayout(buttons);
    layout->addWidget(new QLabel(tr("Recent projects"), this));
    layout->addWidget(mRecent, 1);
}

void WelcomePage::setRecentProjects(const QStringList &folders)
{
    mRecent->clear();
    for (const QString &folder : folders) {
        auto *item = new QListWidgetItem(folder, mRecent);
        item->setData(Qt::UserRole, folder);
    }
}

} // namespace ft::ui
