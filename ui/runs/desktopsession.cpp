// desktopsession.cpp
#include "runs/desktopsession.h"

#include <QDBusMessage>
#include <QDBusObjectPath>
#include <QDBusPendingCallWatcher>
#include <QDBusPendingReply>
#include <QVariantMap>

namespace ft::ui {

namespace {

const QString kScreenSaverService = QStringLiteral("org.freedesktop.ScreenSaver");
const QString kScreenSaverPath = QStringLiteral("/org/freedesktop/ScreenSaver");
const QString kPortalService = QStringLiteral("org.freedesktop.portal.Desktop");
const QString kPortalPath = QStringLiteral("/org/freedesktop/portal/desktop");
const QString kPortalInhibit = QStringLiteral("org.freedesktop.portal.Inhibit");
const QString kPortalRequest = QStringLiteral("org.freedesktop.portal.Request");
constexpr uint kPortalInhibitSuspend = 4; // the portal's flags: 4 suspending, 8 idle
constexpr uint kPortalInhibitIdle = 8;
const QString kNotificationsService = QStringLiteral("org.freedesktop.Notifications");
const QString kNotificationsPath = QStringLiteral("/org/freedesktop/Notifications");

} // namespace

DesktopSession::DesktopSession(QDBusConnection bus, QObject *parent) : QObject(parent), mBus(std::move(bus)) {}

DesktopSession::~DesktopSession()
{
    if (mBus.isConnected())
        release();
}

void DesktopSession::setTraining(bool training)
{
    mWanted = training;
    if (!mBus.isConnected())
        return;
    if (training && !isInhibiting() && !mPending) {
        mPending = true;
        QDBusMessage call = QDBusMessage::createMethodCall(kScreenSaverService, kScreenSaverPath, kScreenSaverService,
                                                           QStringLiteral("Inhibit"));
        call << QStringLiteral("Finetune Studio") << tr("A fine-tuning run is training");
        auto *watcher = new QDBusPendingCallWatcher(mBus.asyncCall(call), this);
        connect(watcher, &QDBusPendingCallWatcher::finished, this, [this](QDBusPendingCallWatcher *w) {
            w->deleteLater();
            const QDBusPendingReply<uint> reply = *w;
            if (reply.isError())
                return inhibitThroughPortal();
            mCookie = reply.value();
            inhibited();
        });
    } else if (!training && isInhibiting()) {
        release();
        Q_EMIT inhibitionChanged(false);
    }
}

void DesktopSession::inhibitThroughPortal()
{
    QDBusMessage call = QDBusMessage::createMethodCall(kPortalService, kPortalPath, kPortalInhibit,
                                                       QStringLiteral("Inhibit"));
    const QVariantMap options{{QStringLiteral("reason"), tr("A fine-tuning run is training")}};
    call << QString() << (kPortalInhibitSuspend | kPortalInhibitIdle) << options;
    auto *watcher = new QDBusPendingCallWatcher(mBus.asyncCall(call), this);
    connect(watcher, &QDBusPendingCallWatcher::finished, this, [this](QDBusPendingCallWatcher *w) {
        w->deleteLater();
        const QDBusPendingReply<QDBusObjectPath> reply = *w;
        if (reply.isError()) {
            mPending = false; // neither interface: nothing to hold
            return;
        }
        mPortalRequest = reply.value().path();
        inhibited();
    });
}

void DesktopSession::inhibited()
{
    mPending = false;
    Q_EMIT inhibitionChanged(true);
    if (!mWanted) // training ended while the call was on its way
        setTraining(false);
}

void DesktopSession::release()
{
    if (mCookie) {
        mBus.asyncCall(QDBusMessage::createMethodCall(kScreenSaverService, kScreenSaverPath, kScreenSaverService,
                                                      QStringLiteral("UnInhibit"))
                       << *mCookie);
    } else if (!mPortalRequest.isEmpty()) {
        // The portal holds the inhibition for as long as its request object lives.
        mBus.asyncCall(QDBusMessage::createMethodCall(kPortalService, mPortalRequest, kPortalRequest,
                                                      QStringLiteral("Close")));
    }
    mCookie.reset();
    mPortalRequest.clear();
}

void DesktopSession::notify(const QString &summary, const QString &body)
{
    if (!mBus.isConnected())
        return;
    QDBusMessage call = QDBusMessage::createMethodCall(kNotificationsService, kNotificationsPath,
                                                       kNotificationsService, QStringLiteral("Notify"));
    call << QStringLiteral("Finetune Studio") << uint(0) << QStringLiteral("org.finetunestudio.FinetuneStudio") << summary << body
         << QStringList() << QVariantMap() << int(-1);
    mBus.asyncCall(call);
}

} // namespace ft::ui
