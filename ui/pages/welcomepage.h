// welcomepage.h: what the window shows while no project is open: create,
// open, or pick a recent project.
#pragma once

#include <QWidget>

class QListWidget;
class QPushButton;

namespace ft::ui {

class WelcomePage : public QWidget {
    Q_OBJECT

public:
    explicit WelcomePage(QWidget *parent = nullptr);

    void setRecentProjects(const QStringList &folders);
    QListWidget *recentList() const { return mRecent; }

Q_SIGNALS:
    void newProjectRequested();
    void openProjectRequested();
    void recentProjectChosen(const QString &folder);

private:
    QListWidget *mRecent;
};

} // namespace ft::ui
