// tst_bundledsample.cpp: the sample project an installed studio ships: found
// from the executable's folder, copied whole into the user's documents on
// first use (writable there, the installed one untouched), kept afterwards,
// and a copy that cannot be made leaves nothing half-written.
#include "bundledsample.h"
#include "data/sample_dataset.h"
#include "mainwindow.h"
#include "store/project.h"
#include "tempproject.h"
#include "testregistry.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>

using namespace ft::ui;

class BundledSampleTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void copiedOnFirstUseAndNeverWrittenInPlace()
    {
        QTemporaryDir prefix;
        QVERIFY(QDir().mkpath(prefix.filePath(QStringLiteral("bin"))));
        QCOMPARE(bundledSampleFolder(prefix.filePath(QStringLiteral("bin"))), QString()); // not installed
        const QString installed = prefix.filePath(QStringLiteral("share/finetune-studio/projects/sample"));
        QVERIFY(ft::ensureSampleProject(ft::test::toPath(installed)));
        QFile::setPermissions(installed + QStringLiteral("/project.sqlite"), QFileDevice::ReadOwner | QFileDevice::ReadGroup);
        const QDateTime installedTime = QFileInfo(installed + QStringLiteral("/project.sqlite")).lastModified();
        const QString bundled = bundledSampleFolder(prefix.filePath(QStringLiteral("bin")));
        QCOMPARE(bundled, QDir::cleanPath(installed));

        QTemporaryDir documents;
        QString error;
        const QString copy = userSampleFolder(bundled, documents.path(), &error);
        QVERIFY2(!copy.isEmpty(), qPrintable(error));
        QCOMPARE(copy, documents.filePath(QStringLiteral("Finetune Studio/sample")));
        QVERIFY(QFileInfo(copy + QStringLiteral("/project.sqlite")).isWritable());
        QVERIFY(QFile::exists(copy + QStringLiteral("/scratch-model/config.json")));

        // The studio opens the copy; the installed sample is as it was.
        {
            MainWindow window;
            QVERIFY(window.openProject(copy));
            QCOMPARE(window.windowTitle(), QStringLiteral("sample — Finetune Studio"));
        }
        QCOMPARE(QFileInfo(installed + QStringLiteral("/project.sqlite")).lastModified(), installedTime);
        QVERIFY(!QFile::exists(installed + QStringLiteral("/project.sqlite-wal")));

        // Later starts keep the user's copy, whatever it has become.
        QFile mark(copy + QStringLiteral("/mine.txt"));
        QVERIFY(mark.open(QIODevice::WriteOnly));
        mark.close();
        QCOMPARE(userSampleFolder(bundled, documents.path()), copy);
        QVERIFY(QFile::exists(copy + QStringLiteral("/mine.txt")));
    }

    void aCopyThatCannotBeMadeLeavesNothing()
    {
        QTemporaryDir dir;
        const QString installed = dir.filePath(QStringLiteral("share/finetune-studio/projects/sample"));
        QVERIFY(ft::ensureSampleProject(ft::test::toPath(installed)));
        // Documents is a file: nothing can be created under it.
        const QString documents = dir.filePath(QStringLiteral("not-a-folder"));
        QFile file(documents);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.close();
        QString error;
        QCOMPARE(userSampleFolder(installed, documents, &error), QString());
        QVERIFY2(error.contains(QStringLiteral("cannot")), qPrintable(error));
    }
};

FT_REGISTER_TEST(BundledSampleTest);

#include "tst_bundledsample.moc"
