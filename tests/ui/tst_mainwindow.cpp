// tst_mainwindow.cpp: the studio shell as a person meets it: welcome page,
// creating and opening projects (menu, recent list, drag and drop), switching
// pages, the About dialog, persisted window state, and a screenshot.
#include "aboutdialog.h"
#include "data/sample_dataset.h"
#include "mainwindow.h"
#include "messagebar.h"
#include "models/examplesmodel.h"
#include "pages/datasetspage.h"
#include "pages/exportpage.h"
#include "pages/runspage.h"
#include "runs/rundialog.h"
#include "runs/runqueue.h"
#include "store/project.h"
#include "store/runs.h"
#include "pages/tablepage.h"
#include "pages/welcomepage.h"
#include "recentprojects.h"
#include "system/system_report.h"
#include "tempproject.h"
#include "testregistry.h"
#include "uitesthelpers.h"

#include <QDir>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMessageBox>
#include <QPushButton>
#include <QSystemTrayIcon>
#include <QMimeData>
#include <QPixmap>
#include <QScrollBar>
#include <QSettings>
#include <QSignalSpy>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QUrl>

using namespace ft;
using namespace ft::ui;

namespace {

void clickNavigation(MainWindow &window, int row)
{
    QListWidget *navigation = window.navigation();
    const QRect rect = navigation->visualItemRect(navigation->item(row));
    QTest::mouseClick(navigation->viewport(), Qt::LeftButton, {}, rect.center());
}

bool dropFolder(MainWindow &window, const QString &folder)
{
    return ft::test::dropPaths(window, {folder});
}

using ft::test::artifactPath;

} // namespace

class MainWindowTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void init()
    {
        QSettings().clear();
    }

    void startsOnTheWelcomePage()
    {
        MainWindow window;
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QCOMPARE(window.currentPage(), -1);
        QVERIFY(!window.navigation()->isEnabled());
        QVERIFY(window.findChild<QWidget *>(QStringLiteral("newProjectButton"))->isVisible());
        QCOMPARE(window.windowTitle(), QStringLiteral("Finetune Studio"));
    }

    void createProjectThenSwitchPages()
    {
        QTemporaryDir dir;
        const QString folder = dir.filePath(QStringLiteral("fresh"));
        MainWindow window;
        window.show();
        window.activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(&window));
        QSignalSpy changed(&window, &MainWindow::projectChanged);
        QVERIFY(window.createProject(folder));
        QCOMPARE(changed.count(), 1);
        QVERIFY(QFile::exists(folder + QStringLiteral("/project.sqlite")));
        QCOMPARE(window.windowTitle(), QStringLiteral("fresh — Finetune Studio"));
        QCOMPARE(window.currentPage(), int(MainWindow::DatasetsPageIndex));

        // Clicking the navigation shows each page; each is empty in a new project.
        for (int page : {MainWindow::ModelsPageIndex, MainWindow::RunsPageIndex, MainWindow::ExportsPageIndex}) {
            clickNavigation(window, page);
            QCOMPARE(window.currentPage(), page);
            QWidget *shown = window.page(MainWindow::Page(page));
            QVERIFY(shown->isVisible());
            if (auto *runs = qobject_cast<RunsPage *>(shown))
                QVERIFY(runs->showsEmptyNote());
            else if (auto *exports = qobject_cast<ExportPage *>(shown))
                QVERIFY(exports->showsEmptyNote());
            else
                QVERIFY(qobject_cast<TablePage *>(shown)->showsEmptyNote());
        }
        // Keyboard: Ctrl+1 goes back to Datasets.
        QTest::keyClick(&window, Qt::Key_1, Qt::ControlModifier);
        QCOMPARE(window.currentPage(), int(MainWindow::DatasetsPageIndex));

        window.closeProject();
        QCOMPARE(window.currentPage(), -1);
        QCOMPARE(RecentProjects::list().value(0), QDir(folder).absolutePath());
    }

    void dropSampleProjectAndBrowseExamples()
    {
        QTemporaryDir dir;
        const QString folder = dir.filePath(QStringLiteral("sample"));
        QVERIFY(ensureSampleProject(ft::test::toPath(folder)));
        MainWindow window;
        window.resize(1100, 720);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));

        QVERIFY(dropFolder(window, folder));
        QVERIFY(window.project());
        auto *datasets = qobject_cast<DatasetsPage *>(window.page(MainWindow::DatasetsPageIndex));
        QCOMPARE(window.currentPage(), int(MainWindow::DatasetsPageIndex));
        QTableView *table = datasets->datasetsTable();
        QCOMPARE(table->model()->rowCount(), 2);
        QCOMPARE(table->model()->index(0, 0).data().toString(), QStringLiteral("product-reviews"));
        QCOMPARE(table->model()->index(1, 0).data().toString(), QStringLiteral("shapes"));
        QCOMPARE(table->model()->index(0, 1).data().toString(), QLocale().toString(1200));
        QVERIFY(datasets->labelSummary()->text().contains(QStringLiteral("negative")));

        // Every example has a row at once; their texts load a page at a time as the view shows them.
        QTableView *examples = datasets->examplesTable();
        QCOMPARE(examples->model()->rowCount(), 1200);
        examples->scrollToBottom();
        QVERIFY(!examples->model()->index(1199, 0).data().toString().isEmpty());

        window.grab().save(artifactPath(QStringLiteral("mainwindow-datasets.png")));
        QVERIFY(QFileInfo(artifactPath(QStringLiteral("mainwindow-datasets.png"))).size() > 10000);

        // The shapes: pictures stored in the project, shown as a grid of thumbnails.
        datasets->datasetsTable()->selectRow(1);
        QCOMPARE(datasets->examplesModel()->imageFolder(), folder + QStringLiteral("/sample-images"));
        QTRY_VERIFY(!datasets->examplesModel()->index(0, 0).data(Qt::DecorationRole).value<QPixmap>().isNull());
        window.grab().save(artifactPath(QStringLiteral("mainwindow-shapes.png")));
    }

    void closingWhileTrainingAsksFirst()
    {
        QTemporaryDir dir;
        const QString folder = dir.filePath(QStringLiteral("sample"));
        QVERIFY(ensureSampleProject(ft::test::toPath(folder)));
        MainWindow window;
        window.show();
        QVERIFY(window.openProject(folder));
        RunDialog *dialog = window.runsPage()->newRun();
        qobject_cast<QLineEdit *>(dialog->field(QStringLiteral("max_steps")))->setText(QStringLiteral("100000"));
        QTest::mouseClick(dialog->launchButton(), Qt::LeftButton);
        RunQueue *queue = window.runsPage()->queue();
        QTRY_VERIFY(queue->items().front().runId.has_value());
        const std::int64_t runId = *queue->items().front().runId;

        // Cancel: nothing changes.
        QVERIFY(!window.close());
        QVERIFY(window.isVisible());
        QTRY_VERIFY(window.closeQuestion());
        QTest::mouseClick(window.closeQuestion()->button(QMessageBox::Cancel), Qt::LeftButton);
        QTRY_VERIFY(!window.closeQuestion());
        QVERIFY(window.isVisible());
        QVERIFY(!queue->isIdle());

        // Keep training in the background: the window goes, the run goes on, a tray icon stays.
        QVERIFY(!window.close());
        QTRY_VERIFY(window.closeQuestion());
        const auto pressButton = [&](const QString &text) {
            for (QAbstractButton *button : window.closeQuestion()->buttons())
                if (button->text() == text) {
                    QTest::mouseClick(button, Qt::LeftButton);
                    return true;
                }
            return false;
        };
        QVERIFY(pressButton(QStringLiteral("Keep Training in the Background")));
        QTRY_VERIFY(!window.isVisible());
        QVERIFY(window.trayIcon());
        QVERIFY(!queue->isIdle());

        // Back, then pause and close: the run is interrupted, to resume next time.
        window.show();
        QVERIFY(!window.close());
        QTRY_VERIFY(window.closeQuestion());
        QVERIFY(pressButton(QStringLiteral("Pause and Close")));
        QTRY_VERIFY(!window.isVisible());
        Project project = Project::open(ft::test::toPath(folder));
        QTRY_COMPARE(int(runDetails(project, runId).state), int(RunState::Interrupted));
        QApplication::setQuitOnLastWindowClosed(true);
    }

    void projectDeletedOrMovedUnderTheWindowIsClosed()
    {
        QTemporaryDir dir;
        MainWindow window;
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));

        // Files coming and going inside the folder change nothing.
        const QString folder = dir.filePath(QStringLiteral("doomed"));
        QVERIFY(window.createProject(folder));
        QFile scratch(folder + QStringLiteral("/notes.txt"));
        QVERIFY(scratch.open(QIODevice::WriteOnly));
        scratch.close();
        QVERIFY(scratch.remove());
        QTest::qWait(200);
        QVERIFY(window.project());

        // Deleted: closed, said so, and forgotten by the recent projects.
        QVERIFY(QDir(folder).removeRecursively());
        QTRY_VERIFY(!window.project());
        QCOMPARE(window.currentPage(), -1);
        QVERIFY(window.messageBar()->isVisible());
        QCOMPARE(window.messageBar()->kind(), MessageBar::Kind::Error);
        QVERIFY(window.messageBar()->text().contains(folder));
        QVERIFY(window.messageBar()->text().contains(QStringLiteral("was deleted or moved")));
        QVERIFY(!RecentProjects::list().contains(QDir(folder).absolutePath()));
        auto *welcome = window.findChild<WelcomePage *>();
        QVERIFY(welcome && welcome->isVisible());
        QVERIFY(welcome->recentList()->findItems(folder, Qt::MatchContains).isEmpty());
        window.grab().save(artifactPath(QStringLiteral("mainwindow-project-vanished.png")));

        // Moved: the same, and the studio opens it where it went.
        const QString kept = dir.filePath(QStringLiteral("kept"));
        const QString moved = dir.filePath(QStringLiteral("moved"));
        QVERIFY(window.createProject(kept));
        QVERIFY(!window.messageBar()->isVisible());
        QVERIFY(QDir().rename(kept, moved));
        QTRY_VERIFY(!window.project());
        QVERIFY(window.messageBar()->text().contains(kept));
        QVERIFY(window.openProject(moved));
        QCOMPARE(QString::fromStdString(window.project()->folder().string()), moved);
        QCOMPARE(window.currentPage(), int(MainWindow::DatasetsPageIndex));
    }

    void dropOfNonProjectIsRefused()
    {
        QTemporaryDir dir;
        MainWindow window;
        window.show();
        QVERIFY(!dropFolder(window, dir.path()));
        QVERIFY(!window.project());
    }

    void openingABrokenProjectShowsTheReason()
    {
        QTemporaryDir dir;
        ft::test::writeBytes(ft::test::toPath(dir.filePath(QStringLiteral("project.sqlite"))), "not sqlite at all");
        MainWindow window;
        window.show();
        QVERIFY(!window.openProject(dir.path()));
        QVERIFY(window.messageBar()->isVisible());
        QCOMPARE(window.messageBar()->kind(), MessageBar::Kind::Error);
        QVERIFY(window.messageBar()->text().contains(QStringLiteral("not a Finetune Studio project")));
        QVERIFY(window.messageBar()->text().contains(dir.path()));
        QCOMPARE(window.currentPage(), -1);
    }

    void windowStateAndRecentProjectsPersist()
    {
        QTemporaryDir dir;
        const QString folder = dir.filePath(QStringLiteral("p"));
        {
            MainWindow window;
            window.show();
            QVERIFY(window.createProject(folder));
            window.showPage(MainWindow::RunsPageIndex);
            window.resize(1000, 680); // above the minimum width the Runs page toolbar needs
            QVERIFY(window.close());
        }
        MainWindow again;
        QCOMPARE(again.size(), QSize(1000, 680));
        QCOMPARE(RecentProjects::list().value(0), QDir(folder).absolutePath());
        QVERIFY(again.openProject(RecentProjects::list().value(0)));
        QCOMPARE(again.currentPage(), int(MainWindow::RunsPageIndex));
    }

    void aboutShowsTheDoctorVersions()
    {
        MainWindow window;
        window.show();
        window.findChild<QAction *>(QStringLiteral("aboutAction"))->trigger();
        auto *about = window.findChild<AboutDialog *>();
        QVERIFY(about);
        QTRY_VERIFY(about->isVisible());
        const SystemReport report = collectSystemReport();
        QVERIFY(about->versionsText().contains(QString::fromStdString(report.libtorch)));
        QVERIFY(about->versionsText().contains(QString::fromStdString(report.sqlite)));
        QVERIFY(about->versionsText().contains(QString::fromLatin1(qVersion())));
        about->grab().save(artifactPath(QStringLiteral("about.png")));
        about->close();
    }
};

FT_REGISTER_TEST(MainWindowTest);

#include "tst_mainwindow.moc"
