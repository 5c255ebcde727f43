// preferences.h: typed, named settings stored with QSettings, so every key and
// its default live in one place: Preference<int> x{"group/key", 3}; x = 4;
#pragma once

#include <QSettings>
#include <QString>
#include <QVariant>

namespace ft::ui {

template <typename T>
class Preference {
public:
    Preference(QString key, T defaultValue = T()) : mKey(std::move(key)), mDefault(std::move(defaultValue)) {}

    T get() const { return QSettings().value(mKey, QVariant::fromValue(mDefault)).template value<T>(); }
    void set(const T &value) const { QSettings().setValue(mKey, QVariant::fromValue(value)); }
    operator T() const { return get(); }
    const Preference &operator=(const T &value) const
    {
        set(value);
        return *this;
    }

private:
    QString mKey;
    T mDefault;
};

} // namespace ft::ui
