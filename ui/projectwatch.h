// projectwatch.h: notices when the open project's folder is deleted or moved
// away under the studio. SQLite keeps writing to its open (now unlinked) file
// without complaint, so edits made after that would be lost silently; the
// window closes the project instead and says why.
#pragma once

#include <QFileSystemWatcher>
#include <QObject>

namespace ft::ui {

class ProjectWatch : public QObject {
    Q_OBJECT

public:
    explicit ProjectWatch(QObject *parent = nullptr);

    // Watches the project in `folder`; an empty folder stops watching.
    void watch(const QString &folder);
    QString folder() const { return mFolder; }

Q_SIGNALS:
    // The watched project's database is no longer where it was opened.
    void vanished(const QString &folder);

private:
    void check();

    QFileSystemWatcher mWatcher;
    QString mFolder;
};

} // namespace ft::ui
