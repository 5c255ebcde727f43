// recentprojects.cpp: recent project folders in QSettings.
#include "recentprojects.h"

#include "preferences.h"

#include <QDir>

namespace ft::ui {

namespace {
const Preference<QStringList> recentProjects{QStringLiteral("project/recent")};
}

QStringList RecentProjects::list()
{
    return recentProjects.get();
}

void RecentProjects::add(const QString &folder)
{
    const QString clean = QDir::cleanPath(QDir(folder).absolutePath());
    QStringList folders = list();
    folders.removeAll(clean);
    folders.prepend(clean);
    while (folders.size() > kMaximum)
        folders.removeLast();
    recentProjects = folders;
}

void RecentProjects::remove(const QString &folder)
{
    QStringList folders = list();
    folders.removeAll(QDir::cleanPath(QDir(folder).absolutePath()));
    recentProjects = folders;
}

void RecentProjects::clear()
{
    recentProjects = QStringList();
}

} // namespace ft::ui
