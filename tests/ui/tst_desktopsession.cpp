// tst_desktopsession.cpp: keeping the machine awake and notifying, over a
// private D-Bus session bus with stand-ins for the desktop's ScreenSaver and
// Notifications services and the XDG portal's Inhibit: inhibit while a run
// trains, release after, a notification when a run completes; and nothing
// breaks without the services.
#include "data/sample_dataset.h"
#include "pages/runspage.h"
#include "runs/desktopsession.h"
#include "runs/rundialog.h"
#include "runs/runqueue.h"
#include "store/project.h"
#include "tempproject.h"
#include "testregistry.h"

#include <QDBusConnection>
#include <QDBusObjectPath>
#include <QLineEdit>
#include <QProcess>
#include <QPushButton>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QVariantMap>

using namespace ft;
using namespace ft::ui;

// Stand-in for the desktop's screen saver: records inhibitions.
class FakeScreenSaver : public QObject {
    Q_OBJECT
    Q_CLASSINFO("D-Bus Interface", "org.freedesktop.ScreenSaver")

public:
    QStringList reasons;
    QList<uint> released;
    uint next = 41;

public Q_SLOTS:
    Q_SCRIPTABLE uint Inhibit(const QString &application, const QString &reason)
    {
        reasons << application + QStringLiteral(": ") + reason;
        return ++next;
    }
    Q_SCRIPTABLE void UnInhibit(uint cookie) { released << cookie; }
};

// Stand-in for the notification daemon: records what it was asked to show.
class FakeNotifications : public QObject {
    Q_OBJECT
    Q_CLASSINFO("D-Bus Interface", "org.freedesktop.Notifications")

public:
    QStringList shown;

public Q_SLOTS:
    Q_SCRIPTABLE uint Notify(const QString &application, uint, const QString &, const QString &summary,
                             const QString &body, const QStringList &, const QVariantMap &, int)
    {
        shown << application + QStringLiteral(" | ") + summary + QStringLiteral(" | ") + body;
        return uint(shown.size());
    }
};

// Stand-in for the XDG desktop portal's Inhibit: the inhibition lives as long as
// the request object it returns, until that is closed.
class FakePortalRequest : public QObject {
    Q_OBJECT
    Q_CLASSINFO("D-Bus Interface", "org.freedesktop.portal.Request")

public:
    bool closed = false;

public Q_SLOTS:
    Q_SCRIPTABLE void Close() { closed = true; }
};

class FakePortal : public QObject {
    Q_OBJECT
    Q_CLASSINFO("D-Bus Interface", "org.freedesktop.portal.Inhibit")

public:
    explicit FakePortal(QDBusConnection bus) : mBus(std::move(bus)) {}
    FakePortalRequest request;
    uint flags = 0;
    QString reason;

public Q_SLOTS:
    Q_SCRIPTABLE QDBusObjectPath Inhibit(const QString &, uint inhibitFlags, const QVariantMap &options)
    {
        flags = inhibitFlags;
        reason = options.value(QStringLiteral("reason")).toString();
        const QString path = QStringLiteral("/org/freedesktop/portal/desktop/request/1/t1");
        mBus.registerObject(path, &request, QDBusConnection::ExportScriptableSlots);
        return QDBusObjectPath(path);
    }

private:
    QDBusConnection mBus;
};

class DesktopSessionTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        const QString daemon = QStandardPaths::findExecutable(QStringLiteral("dbus-daemon"));
        if (daemon.isEmpty())
            QSKIP("dbus-daemon is not installed (installer/bootstrap-debian.sh installs it)");
        mDaemon.start(daemon, {QStringLiteral("--session"), QStringLiteral("--nofork"), QStringLiteral("--print-address")});
        QVERIFY(mDaemon.waitForStarted());
        QTRY_VERIFY(mDaemon.canReadLine());
        mAddress = QString::fromUtf8(mDaemon.readLine()).trimmed();
        QVERIFY(!mAddress.isEmpty());
    }
    void cleanupTestCase()
    {
        mDaemon.kill();
        mDaemon.waitForFinished();
    }

    void inhibitsWhileTrainingAndNotifies()
    {
        QDBusConnection services = QDBusConnection::connectToBus(mAddress, QStringLiteral("services"));
        QVERIFY(services.isConnected());
        FakeScreenSaver saver;
        FakeNotifications notifications;
        QVERIFY(services.registerObject(QStringLiteral("/org/freedesktop/ScreenSaver"), &saver,
                                        QDBusConnection::ExportScriptableSlots));
        QVERIFY(services.registerObject(QStringLiteral("/org/freedesktop/Notifications"), &notifications,
                                        QDBusConnection::ExportScriptableSlots));
        QVERIFY(services.registerService(QStringLiteral("org.freedesktop.ScreenSaver")));
        QVERIFY(services.registerService(QStringLiteral("org.freedesktop.Notifications")));
        const QDBusConnection client = QDBusConnection::connectToBus(mAddress, QStringLiteral("client"));

        QTemporaryDir dir;
        const auto folder = ft::test::toPath(dir.filePath(QStringLiteral("sample")));
        QVERIFY(ensureSampleProject(folder));
        Project project = Project::open(folder);
        RunsPage page;
        page.setProject(&project);
        page.setDesktopSession(new DesktopSession(client));
        QVERIFY(!page.desktopSession()->isInhibiting());

        RunDialog *dialog = page.newRun();
        qobject_cast<QLineEdit *>(dialog->field(QStringLiteral("max_steps")))->setText(QStringLiteral("300"));
        QTest::mouseClick(dialog->launchButton(), Qt::LeftButton);
        QTRY_VERIFY(page.desktopSession()->isInhibiting());
        QCOMPARE(saver.reasons, QStringList{QStringLiteral("Finetune Studio: A fine-tuning run is training")});
        QTRY_VERIFY_WITH_TIMEOUT(page.queue()->isIdle(), 60000);
        QTRY_COMPARE(saver.released, QList<uint>{42});
        QVERIFY(!page.desktopSession()->isInhibiting());
        QTRY_COMPARE(notifications.shown.size(), 1);
        QVERIFY2(notifications.shown.front().startsWith(QStringLiteral("Finetune Studio | Run 1 completed | ")),
                 qPrintable(notifications.shown.front()));
        services.unregisterService(QStringLiteral("org.freedesktop.ScreenSaver"));
        services.unregisterService(QStringLiteral("org.freedesktop.Notifications"));
    }

    void inhibitsThroughThePortalWhenOnlyItIsThere()
    {
        QDBusConnection services = QDBusConnection::connectToBus(mAddress, QStringLiteral("portal"));
        FakePortal portal(services);
        QVERIFY(services.registerObject(QStringLiteral("/org/freedesktop/portal/desktop"), &portal,
                                        QDBusConnection::ExportScriptableSlots));
        QVERIFY(services.registerService(QStringLiteral("org.freedesktop.portal.Desktop")));
        const QDBusConnection client = QDBusConnection::connectToBus(mAddress, QStringLiteral("sandboxed"));
        DesktopSession session(client);
        QSignalSpy changes(&session, &DesktopSession::inhibitionChanged);

        session.setTraining(true);
        QTRY_VERIFY(session.isInhibiting());
        QCOMPARE(portal.flags, 12u); // suspending and idle
        QCOMPARE(portal.reason, QStringLiteral("A fine-tuning run is training"));
        session.setTraining(false);
        QVERIFY(!session.isInhibiting());
        QTRY_VERIFY(portal.request.closed);
        QCOMPARE(changes.size(), 2);
        services.unregisterService(QStringLiteral("org.freedesktop.portal.Desktop"));
    }

    void withoutTheServicesNothingBreaks()
    {
        const QDBusConnection client = QDBusConnection::connectToBus(mAddress, QStringLiteral("bare"));
        DesktopSession session(client);
        session.setTraining(true);
        session.notify(QStringLiteral("x"), QStringLiteral("y"));
        QTest::qWait(200); // the Inhibit call's error reply arrives
        QVERIFY(!session.isInhibiting());
        session.setTraining(false);
        DesktopSession offline(QDBusConnection(QStringLiteral("not connected")));
        offline.setTraining(true);
        QVERIFY(!offline.isInhibiting());
    }

private:
    QProcess mDaemon;
    QString mAddress;
};

FT_REGISTER_TEST(DesktopSessionTest);

#include "tst_desktopsession.moc"
