// bundledsample.cpp
#include "bundledsample.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>

namespace ft::ui {

namespace {

bool copyTree(const QString &from, const QString &to, QString *error)
{
    if (!QDir().mkpath(to)) {
        if (error)
            *error = QStringLiteral("cannot create %1").arg(to);
        return false;
    }
    QDirIterator it(from, QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString source = it.next();
        const QString target = to + QLatin1Char('/') + QDir(from).relativeFilePath(source);
        const bool ok = it.fileInfo().isDir() ? QDir().mkpath(target) : QFile::copy(source, target);
        if (!ok) {
            if (error)
                *error = QStringLiteral("cannot copy %1 to %2").arg(source, target);
            return false;
        }
        // Installed files are read-only; the copy is the user's to change.
        if (!it.fileInfo().isDir())
            QFile::setPermissions(target, QFile::permissions(target) | QFileDevice::WriteOwner);
    }
    return true;
}

} // namespace

QString bundledSampleFolder(const QString &applicationDir)
{
    const QString folder = QDir(applicationDir).absoluteFilePath(QStringLiteral("../share/finetune-studio/projects/sample"));
    return QFileInfo::exists(folder + QStringLiteral("/project.sqlite")) ? QDir::cleanPath(folder) : QString();
}

QString userSampleFolder(const QString &bundled, const QString &documentsDir, QString *error)
{
    const QString target = QDir(documentsDir).absoluteFilePath(QStringLiteral("Finetune Studio/sample"));
    if (QFileInfo::exists(target))
        return target;
    // Copied under another name and renamed when whole, so a copy cut short is never opened.
    const QString partial = target + QStringLiteral(".partial");
    QDir(partial).removeRecursively();
    if (!copyTree(bundled, partial, error) || !QDir().rename(partial, target)) {
        if (error && error->isEmpty())
            *error = QStringLiteral("cannot move %1 to %2").arg(partial, target);
        QDir(partial).removeRecursively();
        return {};
    }
    return target;
}

} // namespace ft::ui
