// tst_importdialog.cpp: importing by dropping a data file on the studio: the
// dialog's live preview and column mapping, the import on a worker thread
// with its report of rejected rows, and Cancel leaving the project as it was.
#include "import/importdialog.h"
#include "mainwindow.h"
#include "pages/datasetspage.h"
#include "store/datasets.h"
#include "store/project.h"
#include "tempproject.h"
#include "testregistry.h"
#include "uitesthelpers.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QImage>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QTableView>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>

using namespace ft;
using namespace ft::ui;

namespace {

void writeFile(const QString &path, const QByteArray &bytes)
{
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(bytes);
}

// A window with a new, empty project open.
struct Studio {
    QTemporaryDir dir;
    MainWindow window;

    Studio()
    {
        window.resize(1000, 700);
        window.createProject(dir.filePath(QStringLiteral("project")));
        window.show();
    }
    ImportDialog *dialog() const { return window.findChild<ImportDialog *>(); }
};

} // namespace

class ImportDialogTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void dropCsvPreviewMapAndImport()
    {
        Studio studio;
        QVERIFY(studio.window.project());
        const QString csv = studio.dir.filePath(QStringLiteral("reviews.csv"));
        writeFile(csv, "id,review,category,note\n"
                       "1,Great kettle,good,x\n"
                       "2,\"Broke, after a day\",bad,y\n"
                       "3,only two fields\n"
                       "4,Fine,good,z\n"
                       "5,\"Okay\nbut loud\",bad,w\n");
        QVERIFY(ft::test::dropPaths(studio.window, {csv}));
        ImportDialog *dialog = studio.dialog();
        QVERIFY(dialog);
        QVERIFY(QTest::qWaitForWindowExposed(dialog));
        QCOMPARE(dialog->nameField()->text(), QStringLiteral("reviews"));

        // The preview: 4 good rows with their file lines, the ragged one announced.
        QTableWidget *preview = dialog->preview();
        QCOMPARE(preview->rowCount(), 4);
        QCOMPARE(preview->columnCount(), 4);
        QCOMPARE(preview->verticalHeaderItem(3)->text(), QStringLiteral("6"));
        QCOMPARE(preview->item(1, 1)->text(), QStringLiteral("Broke, after a day"));
        QVERIFY2(dialog->previewStatus()->text().contains(QStringLiteral("Line 4 will be rejected")),
                 qPrintable(dialog->previewStatus()->text()));
        // Guessed as an import would: "review" is the text and "category" the label.
        QCOMPARE(dialog->textColumnBox()->currentText(), QStringLiteral("review"));
        QCOMPARE(dialog->labelColumnBox()->currentText(), QStringLiteral("category"));
        QCOMPARE(preview->horizontalHeaderItem(2)->text(), QStringLiteral("category [label]"));

        // Mapping "note" as the label too is refused until it is undone.
        dialog->textPairColumnBox()->setCurrentIndex(dialog->textPairColumnBox()->findText(QStringLiteral("category")));
        QVERIFY(!dialog->importButton()->isEnabled());
        QVERIFY(dialog->previewStatus()->text().contains(QStringLiteral("one role only")));
        dialog->textPairColumnBox()->setCurrentIndex(0);
        QVERIFY(dialog->importButton()->isEnabled());

        // Without a header, columns are numbered.
        QTest::mouseClick(dialog->headerBox(), Qt::LeftButton, {}, QPoint(5, dialog->headerBox()->height() / 2));
        QVERIFY(!dialog->headerBox()->isChecked());
        QCOMPARE(preview->horizontalHeaderItem(0)->text().left(1), QStringLiteral("1")); // 1-based, as --text-column
        QTest::mouseClick(dialog->headerBox(), Qt::LeftButton, {}, QPoint(5, dialog->headerBox()->height() / 2));
        QCOMPARE(dialog->textColumnBox()->currentText(), QStringLiteral("review"));

        dialog->grab().save(ft::test::artifactPath(QStringLiteral("import-dialog.png")));
        QTest::mouseClick(dialog->importButton(), Qt::LeftButton);
        QTRY_VERIFY(dialog->reportSummary()->isVisible());
        QVERIFY2(dialog->reportSummary()->text().contains(QStringLiteral("4 imported, 1 rejected")),
                 qPrintable(dialog->reportSummary()->text()));
        QCOMPARE(dialog->rejectedRows()->rowCount(), 1);
        QCOMPARE(dialog->rejectedRows()->item(0, 0)->text(), QStringLiteral("reviews.csv"));
        QCOMPARE(dialog->rejectedRows()->item(0, 1)->text(), QStringLiteral("4"));
        dialog->grab().save(ft::test::artifactPath(QStringLiteral("import-report.png")));

        // In the store, and on the Datasets page.
        const auto datasets = listDatasets(*studio.window.project());
        QCOMPARE(datasets.size(), size_t{1});
        QCOMPARE(datasets[0].examples, std::int64_t{4});
        QCOMPARE(datasets[0].labels, std::int64_t{2});
        auto *page = qobject_cast<DatasetsPage *>(studio.window.page(MainWindow::DatasetsPageIndex));
        QCOMPARE(page->datasetsTable()->model()->rowCount(), 1);
        QCOMPARE(page->examplesTable()->model()->rowCount(), 4);
        QTest::mouseClick(dialog->cancelButton(), Qt::LeftButton); // "Close"
        QTRY_VERIFY(!studio.dialog());
    }

    void dropImageFolder()
    {
        Studio studio;
        const QString folder = studio.dir.filePath(QStringLiteral("pets"));
        for (const char *label : {"cats", "dogs"})
            QVERIFY(QDir().mkpath(folder + QLatin1Char('/') + QLatin1String(label)));
        for (int i = 0; i < 5; ++i) {
            QImage image(8, 6, QImage::Format_RGB32);
            image.fill(QColor(40 * i, 100, 200 - 30 * i));
            QVERIFY(image.save(folder + (i < 3 ? QStringLiteral("/cats/%1.png") : QStringLiteral("/dogs/%1.png")).arg(i)));
        }
        writeFile(folder + QStringLiteral("/dogs/broken.png"), "\x89PNG\r\n\x1a\nnot really");
        QVERIFY(ft::test::dropPaths(studio.window, {folder}));
        ImportDialog *dialog = studio.dialog();
        QVERIFY(dialog);
        QCOMPARE(dialog->nameField()->text(), QStringLiteral("pets"));
        QVERIFY(dialog->imageColumnBox()->currentIndex() > 0);
        QVERIFY(dialog->labelColumnBox()->currentIndex() > 0);
        QVERIFY(dialog->importButton()->isEnabled());
        QTest::mouseClick(dialog->importButton(), Qt::LeftButton);
        QTRY_VERIFY(dialog->reportSummary()->isVisible());
        QVERIFY2(dialog->reportSummary()->text().contains(QStringLiteral("5 imported, 1 rejected")),
                 qPrintable(dialog->reportSummary()->text()));
        QCOMPARE(dialog->rejectedRows()->rowCount(), 1);
        QVERIFY(dialog->rejectedRows()->item(0, 0)->text().contains(QStringLiteral("broken.png")));
        const auto datasets = listDatasets(*studio.window.project());
        QCOMPARE(datasets.size(), size_t{1});
        QCOMPARE(datasets[0].examples, std::int64_t{5});
        QCOMPARE(datasets[0].labels, std::int64_t{2});
    }

    void mappingIsRememberedForTheNextFileOfThatShape()
    {
        Studio studio;
        const QString first = studio.dir.filePath(QStringLiteral("one.csv"));
        const QString second = studio.dir.filePath(QStringLiteral("two.csv"));
        writeFile(first, "a,b,c\nhello there,x,1\nhi again,y,2\n");
        writeFile(second, "a,b,c\nmore text,x,3\nand more,y,4\n");
        ImportDialog *dialog = studio.window.importFile(first);
        // Nothing to guess from: the user picks a as text and c as the label.
        dialog->textColumnBox()->setCurrentIndex(dialog->textColumnBox()->findText(QStringLiteral("a")));
        dialog->labelColumnBox()->setCurrentIndex(dialog->labelColumnBox()->findText(QStringLiteral("c")));
        QTest::mouseClick(dialog->importButton(), Qt::LeftButton);
        QTRY_VERIFY(dialog->reportSummary()->isVisible());
        dialog->close();

        ImportDialog *next = studio.window.importFile(second);
        QCOMPARE(next->textColumnBox()->currentText(), QStringLiteral("a"));
        QCOMPARE(next->labelColumnBox()->currentText(), QStringLiteral("c"));
        QVERIFY(next->previewStatus()->text().contains(QStringLiteral("as last time")));
    }

    void cancelLeavesTheProjectAsItWas()
    {
        Studio studio;
        const QString csv = studio.dir.filePath(QStringLiteral("big.csv"));
        QByteArray bytes = "text,label\n";
        for (int i = 0; i < 300000; ++i)
            bytes += "example number " + QByteArray::number(i) + " with a few more words," + (i % 2 ? "a" : "b") + "\n";
        writeFile(csv, bytes);
        ImportDialog *dialog = studio.window.importFile(csv);
        QVERIFY(dialog);
        QTest::mouseClick(dialog->importButton(), Qt::LeftButton);
        QVERIFY(dialog->isImporting());
        QVERIFY(!dialog->nameField()->isEnabled());
        QTest::mouseClick(dialog->cancelButton(), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(!dialog->isImporting(), 30000);
        QCOMPARE(dialog->progressText()->text(), QStringLiteral("Cancelled: nothing was imported."));
        QVERIFY(listDatasets(*studio.window.project()).empty());
        QVERIFY(dialog->importButton()->isEnabled()); // and it can be tried again
    }

    void dropWithoutProjectIsRefused()
    {
        QTemporaryDir dir;
        const QString csv = dir.filePath(QStringLiteral("a.csv"));
        writeFile(csv, "text,label\nhello,x\n");
        MainWindow window;
        window.show();
        QVERIFY(!ft::test::dropPaths(window, {csv}));
        QVERIFY(!window.findChild<ImportDialog *>());
    }
};

FT_REGISTER_TEST(ImportDialogTest);

#include "tst_importdialog.moc"
