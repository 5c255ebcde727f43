// desktopsession.h: what a training run asks of the desktop over D-Bus:
// that the machine does not go to sleep while a run trains (the
// org.freedesktop.ScreenSaver inhibit interface, or the XDG desktop portal's
// org.freedesktop.portal.Inhibit where only that is offered: sandboxes and
// portal-only desktops) and a notification when a run finishes or fails
// (org.freedesktop.Notifications). Every call is asynchronous, so a slow or
// absent desktop never stalls the studio; without a session bus both do nothing.
#pragma once

#include <QDBusConnection>
#include <QObject>

#include <optional>

namespace ft::ui {

class DesktopSession : public QObject {
    Q_OBJECT

public:
    explicit DesktopSession(QDBusConnection bus = QDBusConnection::sessionBus(), QObject *parent = nullptr);
    ~DesktopSession() override;

    // Holds (or releases) the sleep inhibition.
    void setTraining(bool training);
    bool isInhibiting() const { return mCookie.has_value() || !mPortalRequest.isEmpty(); }
    void notify(const QString &summary, const QString &body);

Q_SIGNALS:
    void inhibitionChanged(bool inhibiting);

private:
    void inhibitThroughPortal();
    void inhibited();
    void release();

    QDBusConnection mBus;
    bool mWanted = false;          // training now
    bool mPending = false;         // an Inhibit call is on its way
    std::optional<uint> mCookie;   // the screen saver's handle of our inhibition
    QString mPortalRequest;        // or the portal's: the request object that holds it until closed
};

} // namespace ft::ui
