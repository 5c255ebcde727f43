// messagebar.cpp
#include "messagebar.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QToolButton>

namespace ft::ui {

MessageBar::MessageBar(QWidget *parent) : QFrame(parent), mLabel(new QLabel(this))
{
    setObjectName(QStringLiteral("messageBar"));
    setFrameShape(QFrame::StyledPanel);
    mLabel->setWordWrap(true);
    mLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto *close = new QToolButton(this);
    close->setText(QStringLiteral("✕"));
    close->setToolTip(tr("Dismiss"));
    close->setAutoRaise(true);
    connect(close, &QToolButton::clicked, this, &QWidget::hide);
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(10, 6, 6, 6);
    layout->addWidget(mLabel, 1);
    layout->addWidget(close, 0, Qt::AlignTop);
    hide();
}

void MessageBar::showMessage(Kind kind, const QString &text)
{
    mKind = kind;
    mLabel->setText(text);
    setStyleSheet(kind == Kind::Error
                      ? QStringLiteral("#messageBar { background: #fdecea; border: 1px solid #e0a09a; color: #611a15; }")
                      : QStringLiteral("#messageBar { background: #e8f1fb; border: 1px solid #9cc0e6; color: #0c2f55; }"));
    show();
}

QString MessageBar::text() const
{
    return mLabel->text();
}

} // namespace ft::ui
