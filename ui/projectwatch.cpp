// projectwatch.cpp: the folder and its database watched through the
// platform's file notifications (inotify, FSEvents, ReadDirectoryChangesW).
#include "projectwatch.h"

#include "store/project.h"

#include <QDir>
#include <QFileInfo>

namespace ft::ui {

ProjectWatch::ProjectWatch(QObject *parent) : QObject(parent)
{
    // Folders only (a watched database would signal every write): the
    // project's for its database going, its parent's for the folder being
    // renamed or moved (Qt does not report a watched folder's own move).
    connect(&mWatcher, &QFileSystemWatcher::directoryChanged, this, &ProjectWatch::check);
}

void ProjectWatch::watch(const QString &folder)
{
    if (!mWatcher.directories().isEmpty())
        mWatcher.removePaths(mWatcher.directories());
    mFolder = folder;
    if (!folder.isEmpty())
        mWatcher.addPaths({folder, QFileInfo(folder).absolutePath()});
}

void ProjectWatch::check()
{
    if (mFolder.isEmpty() || QFileInfo(QDir(mFolder).filePath(QLatin1String(Project::kDatabaseName))).isFile())
        return; // a change inside the folder (a run's files, the journal): still there
    const QString gone = mFolder;
    watch(QString());
    Q_EMIT vanished(gone);
}

} // namespace ft::ui
