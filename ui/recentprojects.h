// recentprojects.h: the most recently opened project folders, newest first,
// persisted in the settings.
#pragma once

#include <QStringList>

namespace ft::ui {

class RecentProjects {
public:
    static constexpr int kMaximum = 8;

    static QStringList list();
    // Moves `folder` to the front, dropping the oldest past kMaximum.
    static void add(const QString &folder);
    static void remove(const QString &folder);
    static void clear();
};

} // namespace ft::ui
