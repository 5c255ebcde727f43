// messagebar.h: an inline banner at the top of the window for errors and
// notices. Unlike a modal box it never blocks the event loop, and it stays
// until the user dismisses it or the next message replaces it.
#pragma once

#include <QFrame>

class QLabel;

namespace ft::ui {

class MessageBar : public QFrame {
    Q_OBJECT

public:
    enum class Kind { Information, Error };

    explicit MessageBar(QWidget *parent = nullptr);

    void showMessage(Kind kind, const QString &text);
    QString text() const;
    Kind kind() const { return mKind; }

private:
    QLabel *mLabel;
    Kind mKind = Kind::Information;
};

} // namespace ft::ui
