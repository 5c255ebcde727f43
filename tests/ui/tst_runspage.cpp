// tst_runspage.cpp: the Runs page as a person uses it on the sample project:
// New Run through the dialog, the run training while its progress and log
// update, Pause and Resume from the toolbar, a second run queued and then
// cancelled before it starts, and the finished run listed from the store.
#include "data/sample_dataset.h"
#include "pages/runspage.h"
#include "runs/rundialog.h"
#include "runs/runqueue.h"
#include "store/project.h"
#include "tempproject.h"
#include "testregistry.h"
#include "uitesthelpers.h"

#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QToolButton>

using namespace ft;
using namespace ft::ui;

namespace {

void launch(RunsPage &page, int maxSteps)
{
    RunDialog *dialog = page.newRun();
    QVERIFY(dialog);
    auto *steps = qobject_cast<QLineEdit *>(dialog->field(QStringLiteral("max_steps")));
    steps->setText(QString::number(maxSteps));
    QVERIFY(dialog->launchButton()->isEnabled());
    QTest::mouseClick(dialog->launchButton(), Qt::LeftButton);
}

QString stateOf(const RunsPage &page, int row)
{
    return page.runList()->item(row, 2)->text();
}

QToolButton *button(RunsPage &page, const QString &text)
{
    for (QToolButton *b : page.findChildren<QToolButton *>())
        if (b->text() == text)
            return b;
    return nullptr;
}

} // namespace

class RunsPageTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void launchWatchPauseQueueAndCancel()
    {
        QTemporaryDir dir;
        const auto folder = ft::test::toPath(dir.filePath(QStringLiteral("sample")));
        QVERIFY(ensureSampleProject(folder));
        Project project = Project::open(folder);
        RunsPage page;
        page.resize(1000, 700);
        page.setProject(&project);
        page.show();
        QVERIFY(QTest::qWaitForWindowExposed(&page));
        QVERIFY(page.showsEmptyNote());

        launch(page, 3000);
        QCOMPARE(page.runList()->rowCount(), 1);
        QTRY_COMPARE(stateOf(page, 0), QStringLiteral("running"));
        QTRY_VERIFY(page.progressBar()->value() > 0);
        QVERIFY(page.progressBar()->isVisible());
        QVERIFY2(page.progressText()->text().contains(QStringLiteral(" of 3000 · epoch ")),
                 qPrintable(page.progressText()->text()));
        QVERIFY(page.progressText()->text().contains(QStringLiteral("ETA")));
        QTRY_VERIFY(page.logView()->toPlainText().contains(QStringLiteral("state: running")));

        QTest::mouseClick(button(page, QStringLiteral("Pause")), Qt::LeftButton);
        QTRY_COMPARE(stateOf(page, 0), QStringLiteral("paused"));
        const int pausedAt = page.progressBar()->value();
        QTest::qWait(200);
        QCOMPARE(page.progressBar()->value(), pausedAt);
        page.grab().save(ft::test::artifactPath(QStringLiteral("runs-page-paused.png")));
        QTest::mouseClick(button(page, QStringLiteral("Resume")), Qt::LeftButton);
        QTRY_COMPARE(stateOf(page, 0), QStringLiteral("running"));

        // A second run waits behind it; cancelled, it leaves without ever starting.
        launch(page, 10);
        QCOMPARE(page.runList()->rowCount(), 2);
        QCOMPARE(stateOf(page, 1), QStringLiteral("queued"));
        QVERIFY(page.runList()->selectionModel()->isRowSelected(1, {}));
        QTest::mouseClick(button(page, QStringLiteral("Cancel")), Qt::LeftButton);
        QCOMPARE(page.runList()->rowCount(), 1);

        // Cancel the first too: it ends as cancelled in the store, listed with its id.
        page.runList()->selectRow(0);
        QTest::mouseClick(button(page, QStringLiteral("Cancel")), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(page.queue()->isIdle(), 30000);
        QTRY_COMPARE(stateOf(page, 0), QStringLiteral("cancelled"));
        QCOMPARE(page.runList()->item(0, 0)->text(), QStringLiteral("1"));
        QVERIFY(page.logView()->toPlainText().contains(QStringLiteral("state: cancelled")));

        // And one that runs to its end.
        launch(page, 15);
        QTRY_VERIFY_WITH_TIMEOUT(page.queue()->isIdle(), 60000);
        QTRY_COMPARE(stateOf(page, 0), QStringLiteral("completed"));
        page.grab().save(ft::test::artifactPath(QStringLiteral("runs-page.png")));
    }
};

FT_REGISTER_TEST(RunsPageTest);

#include "tst_runspage.moc"
