// desktopsession.cpp
#include "runs/desktopsession.h"

#include <QDBusMessage>
#include <QDBusPendingCallWatcher>
#include <QDBusPendingReply>
#include <QVariantMap>

namespace ft::ui {

namespace {

const QString kScreenSaverService = QStringLiteral("org.freedesktop.ScreenSaver");
const QString kScreenSaverPath = QStringLiteral("/org/freedesktop/ScreenSaver");
const QString kNotificationsService = QStringLiteral("org.freedesktop.Notifications");
const QString kNotificationsPath = QStringLiteral("/org/freedesktop/Notifications");

} // namespace

DesktopSession::DesktopSession(QDBusConnection bus, QObject *parent) : QObject(parent), mBus(std::move(bus)) {}

DesktopSession::~DesktopSession()
{
    if (mCookie && mBus.isConnected())
        mBus.call(QDBusMessage::createMethodCall(kScreenSaverService, kScreenSaverPath, kScreenSaverService,
                                                 QStringLiteral("UnInhibit"))
                      << *mCookie,
                  QDBus::NoBlock);
}

void DesktopSession::setTraining(bool training)
{
    mWanted = training;
    if (!mBus.isConnected())
        return;
    if (training && !mCookie && !mPending) {
        mPending = true;
        QDBusMessage call = QDBusMessage::createMethodCall(kScreenSaverService, kScreenSaverPath, kScreenSaverService,
                                                           QStringLiteral("Inhibit"));
        call << QStringLiteral("Finetune Studio") << tr("A fine-tuning run is training");
        auto *watcher = new QDBusPendingCallWatcher(mBus.asyncCall(call), this);
        connect(watcher, &QDBusPendingCallWatcher::finished, this, [this](QDBusPendingCallWatcher *w) {
            w->deleteLater();
            mPending = false;
            const QDBusPendingReply<uint> reply = *w;
            if (reply.isError())
                return; // no such service: nothing to hold
            mCookie = reply.value();
            Q_EMIT inhibitionChanged(true);
            if (!mWanted) // training ended while the call was on its way
                setTraining(false);
        });
    } else if (!training && mCookie) {
        mBus.asyncCall(QDBusMessage::createMethodCall(kScreenSaverService, kScreenSaverPath, kScreenSaverService,
                                                      QStringLiteral("UnInhibit"))
                       << *mCookie);
        mCookie.reset();
        Q_EMIT inhibitionChanged(false);
    }
}

void DesktopSession::notify(const QString &summary, const QString &body)
{
    if (!mBus.isConnected())
        return;
    QDBusMessage call = QDBusMessage::createMethodCall(kNotificationsService, kNotificationsPath,
                                                       kNotificationsService, QStringLiteral("Notify"));
    call << QStringLiteral("Finetune Studio") << uint(0) << QStringLiteral("finetune-studio") << summary << body
         << QStringList() << QVariantMap() << int(-1);
    mBus.asyncCall(call);
}

} // namespace ft::ui
