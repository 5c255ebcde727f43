// mainwindow.cpp
#include "mainwindow.h"

#include "aboutdialog.h"
#include "import/importdialog.h"
#include "common/error.h"
#include "messagebar.h"
#include "pages/datasetspage.h"
#include "pages/exportpage.h"
#include "pages/runspage.h"
#include "runs/runqueue.h"
#include "pages/tablepage.h"
#include "pages/welcomepage.h"
#include "preferences.h"
#include "projectwatch.h"
#include "recentprojects.h"
#include "store/catalog.h"
#include "store/datasets.h"
#include "store/project.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QMenuBar>
#include <QMessageBox>
#include <QPushButton>
#include <QSystemTrayIcon>
#include <QMimeData>
#include <QStackedWidget>
#include <QStatusBar>
#include <QUrl>
#include <QVBoxLayout>

#include <algorithm>

namespace ft::ui {

namespace {

const Preference<QByteArray> windowGeometry{QStringLiteral("mainwindow/geometry")};
const Preference<QByteArray> savedWindowState{QStringLiteral("mainwindow/state")};
const Preference<int> lastPage{QStringLiteral("mainwindow/page"), 0};

std::filesystem::path toPath(const QString &folder)
{
    return std::filesystem::path(QFile::encodeName(folder).toStdString());
}

QString fromStd(const std::string &text)
{
    return QString::fromStdString(text);
}

QVector<RecordTableModel::Row> modelRows(Project &project)
{
    QVector<RecordTableModel::Row> rows;
    for (const ModelRecord &m : listModels(project)) {
        rows.push_back({fromStd(m.name), fromStd(m.architecture),
                        m.numParameters ? QVariant(qlonglong(*m.numParameters)) : QVariant(), fromStd(m.path),
                        fromStd(m.createdAt)});
    }
    return rows;
}

// The one local folder a drag carries, or an empty string.
// The local paths of a drag; empty when any of it is not a local file or folder.
QStringList draggedPaths(const QMimeData *mime)
{
    QStringList paths;
    if (!mime || !mime->hasUrls())
        return paths;
    for (const QUrl &url : mime->urls()) {
        if (!url.isLocalFile())
            return {};
        paths << url.toLocalFile();
    }
    return paths;
}

} // namespace

MainWindow::MainWindow(QWidget *parent)
    : QMainWindow(parent),
      mWatch(new ProjectWatch(this)),
      mMessageBar(new MessageBar(this)),
      mNavigation(new QListWidget(this)),
      mStack(new QStackedWidget(this)),
      mWelcome(new WelcomePage(this)),
      mDatasets(new DatasetsPage(this)),
      mModels(new TablePage(tr("Models"), tr("No base models in this project yet."),
                            {tr("Name"), tr("Architecture"), tr("Parameters"), tr("Folder"), tr("Added")}, modelRows,
                            this)),
      mRuns(new RunsPage(this)),
      mExports(new ExportPage(this)),
      mStatusProject(new QLabel(this))
{
    setWindowTitle(QStringLiteral("Finetune Studio"));
    setWindowIcon(QIcon(QStringLiteral(":/icons/finetune-studio.svg")));
    setAcceptDrops(true);
    setObjectName(QStringLiteral("mainWindow"));

    const struct {
        QString name;
        QString icon;
    } pages[PageCount] = {{tr("Datasets"), QStringLiteral("datasets")},
                          {tr("Models"), QStringLiteral("models")},
                          {tr("Runs"), QStringLiteral("runs")},
                          {tr("Exports"), QStringLiteral("exports")}};
    for (const auto &page : pages)
        new QListWidgetItem(QIcon(QStringLiteral(":/icons/%1.svg").arg(page.icon)), page.name, mNavigation);
    mNavigation->setObjectName(QStringLiteral("navigation"));
    mNavigation->setIconSize(QSize(24, 24));
    mNavigation->setFixedWidth(160);
    mNavigation->setSpacing(2);
    connect(mNavigation, &QListWidget::currentRowChanged, this, [this](int row) {
        if (row >= 0 && mProject)
            showPage(row);
    });

    mStack->addWidget(mDatasets);
    mStack->addWidget(mModels);
    mStack->addWidget(mRuns);
    mStack->addWidget(mExports);
    connect(mRuns, &RunsPage::exportRequested, this, [this](std::int64_t runId) {
        showPage(ExportsPageIndex);
        mExports->selectRun(runId);
    });
    mStack->addWidget(mWelcome);

    connect(mWelcome, &WelcomePage::newProjectRequested, this, &MainWindow::chooseFolderToCreate);
    connect(mWatch, &ProjectWatch::vanished, this, &MainWindow::projectVanished);
    connect(mWelcome, &WelcomePage::openProjectRequested, this, &MainWindow::chooseFolderToOpen);
    connect(mWelcome, &WelcomePage::recentProjectChosen, this, &MainWindow::openProject);

    auto *body = new QHBoxLayout;
    body->addWidget(mNavigation);
    body->addWidget(mStack, 1);
    auto *central = new QWidget(this);
    auto *layout = new QVBoxLayout(central);
    layout->addWidget(mMessageBar);
    layout->addLayout(body, 1);
    setCentralWidget(central);
    statusBar()->addWidget(mStatusProject, 1);

    createMenus();
    setProject(nullptr);
    resize(1100, 720);
    restoreGeometry(windowGeometry);
    restoreState(savedWindowState);
}

MainWindow::~MainWindow() = default;

void MainWindow::createMenus()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    file->addAction(tr("&New Project…"), QKeySequence::New, this, &MainWindow::chooseFolderToCreate);
    file->addAction(tr("&Open Project…"), QKeySequence::Open, this, &MainWindow::chooseFolderToOpen);
    mRecentMenu = file->addMenu(tr("Open &Recent"));
    connect(mRecentMenu, &QMenu::aboutToShow, this, &MainWindow::refreshRecentMenu);
    refreshRecentMenu();
    QAction *import = file->addAction(tr("&Import Data…"), QKeySequence(Qt::CTRL | Qt::Key_I), this,
                                      &MainWindow::chooseFileToImport);
    import->setObjectName(QStringLiteral("importDataAction"));
    connect(this, &MainWindow::projectChanged, import, [this, import] { import->setEnabled(mProject != nullptr); });
    import->setEnabled(false);
    QAction *close = file->addAction(tr("&Close Project"), QKeySequence::Close, this, &MainWindow::closeProject);
    close->setObjectName(QStringLiteral("closeProjectAction"));
    file->addSeparator();
    file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);

    QMenu *view = menuBar()->addMenu(tr("&View"));
    for (int page = 0; page < PageCount; ++page) {
        view->addAction(mNavigation->item(page)->text(), QKeySequence(Qt::CTRL | Qt::Key(Qt::Key_1 + page)), this,
                        [this, page] { showPage(page); });
    }

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    QAction *about = help->addAction(tr("&About Finetune Studio"), this, &MainWindow::showAbout);
    about->setObjectName(QStringLiteral("aboutAction"));
}

void MainWindow::refreshRecentMenu()
{
    mRecentMenu->clear();
    const QStringList folders = RecentProjects::list();
    for (const QString &folder : folders)
        mRecentMenu->addAction(folder, this, [this, folder] { openProject(folder); });
    if (folders.isEmpty()) {
        mRecentMenu->addAction(tr("No recent projects"))->setEnabled(false);
        return;
    }
    mRecentMenu->addSeparator();
    mRecentMenu->addAction(tr("Clear List"), this, [] { RecentProjects::clear(); });
}

int MainWindow::currentPage() const
{
    return mStack->currentWidget() == mWelcome ? -1 : mStack->currentIndex();
}

QWidget *MainWindow::page(Page page) const
{
    return mStack->widget(page);
}

void MainWindow::showPage(int page)
{
    if (!mProject || page < 0 || page >= PageCount)
        return;
    if (page == ExportsPageIndex)
        mExports->refresh(); // runs may have finished since
    mStack->setCurrentIndex(page);
    mNavigation->setCurrentRow(page);
    lastPage = page;
}

bool MainWindow::openProject(const QString &folder)
{
    try {
        setProject(std::make_unique<Project>(Project::open(toPath(folder))));
        return true;
    } catch (const Error &e) {
        if (e.kind() == ErrorKind::NotFound)
            RecentProjects::remove(folder);
        showError(tr("Could not open the project: %1").arg(QString::fromStdString(e.what())));
        return false;
    }
}

bool MainWindow::createProject(const QString &folder)
{
    try {
        setProject(std::make_unique<Project>(Project::create(toPath(folder))));
        return true;
    } catch (const Error &e) {
        showError(tr("Could not create the project: %1").arg(QString::fromStdString(e.what())));
        return false;
    }
}

void MainWindow::closeProject()
{
    setProject(nullptr);
}

void MainWindow::setProject(std::unique_ptr<Project> project)
{
    mProject = std::move(project);
    Project *current = mProject.get();
    mDatasets->setProject(current);
    mModels->setProject(current);
    mRuns->setProject(current);
    mExports->setProject(current);
    mNavigation->setEnabled(current != nullptr);
    mWatch->watch(current ? QString::fromStdString(current->folder().string()) : QString());

    if (!current) {
        mWelcome->setRecentProjects(RecentProjects::list());
        mStack->setCurrentWidget(mWelcome);
        mNavigation->setCurrentRow(-1);
        setWindowTitle(QStringLiteral("Finetune Studio"));
        mStatusProject->setText(tr("No project open"));
        Q_EMIT projectChanged(QString());
        return;
    }
    const QString folder = QString::fromStdString(current->folder().string());
    RecentProjects::add(folder);
    mMessageBar->hide();
    setWindowTitle(QStringLiteral("%1 — Finetune Studio").arg(QString::fromStdString(current->name())));
    mStatusProject->setText(folder);
    showPage(qBound(0, lastPage.get(), PageCount - 1));
    Q_EMIT projectChanged(folder);
}

void MainWindow::projectVanished(const QString &folder)
{
    RecentProjects::remove(folder); // before the welcome page lists them again
    closeProject();                 // also cancels a run training there: it could save nothing either
    showError(tr("The project folder %1 was deleted or moved, so it was closed: nothing more could be saved to it. "
                 "Open it again from where it is now.")
                  .arg(folder));
}

void MainWindow::chooseFolderToCreate()
{
    const QString folder = QFileDialog::getSaveFileName(this, tr("New Project"), QDir::homePath(), QString(), nullptr,
                                                        QFileDialog::ShowDirsOnly);
    if (!folder.isEmpty())
        createProject(folder);
}

void MainWindow::chooseFolderToOpen()
{
    const QString folder = QFileDialog::getExistingDirectory(this, tr("Open Project"), QDir::homePath());
    if (!folder.isEmpty())
        openProject(folder);
}

void MainWindow::showAbout()
{
    auto *dialog = new AboutDialog(this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->open();
}

void MainWindow::showError(const QString &text)
{
    mMessageBar->showMessage(MessageBar::Kind::Error, text);
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    windowGeometry = saveGeometry();
    savedWindowState = saveState();
    if (mRuns->queue()->isIdle() || mClosingConfirmed) {
        event->accept();
        return;
    }
    // Runs are training: ask, without blocking, whether to go on in the background or stop them.
    event->ignore();
    if (mCloseQuestion)
        return;
    mCloseQuestion = new QMessageBox(QMessageBox::Question, tr("Runs Are Training"),
                                     tr("Runs are training. Keep training in the background, or pause them (they "
                                        "resume from their last checkpoint next time) and close?"),
                                     QMessageBox::Cancel, this);
    QPushButton *keep = mCloseQuestion->addButton(tr("Keep Training in the Background"), QMessageBox::AcceptRole);
    QPushButton *pause = mCloseQuestion->addButton(tr("Pause and Close"), QMessageBox::DestructiveRole);
    mCloseQuestion->setAttribute(Qt::WA_DeleteOnClose);
    connect(mCloseQuestion, &QMessageBox::finished, this, [this, keep, pause] {
        QAbstractButton *clicked = mCloseQuestion->clickedButton();
        if (clicked == keep)
            keepTrainingInBackground();
        else if (clicked == pause)
            pauseRunsAndClose();
    });
    mCloseQuestion->open();
}

QMessageBox *MainWindow::closeQuestion() const
{
    return mCloseQuestion.data();
}

void MainWindow::keepTrainingInBackground()
{
    // The studio lives on in the tray until the runs end or the user quits from there.
    QApplication::setQuitOnLastWindowClosed(false);
    if (!mTray) {
        mTray = new QSystemTrayIcon(windowIcon(), this);
        auto *menu = new QMenu(this);
        menu->addAction(tr("Show Finetune Studio"), this, [this] {
            show();
            raise();
            activateWindow();
        });
        menu->addAction(tr("Pause Runs and Quit"), this, &MainWindow::pauseRunsAndClose);
        mTray->setContextMenu(menu);
        connect(mTray, &QSystemTrayIcon::activated, this, [this] { show(); });
    }
    mTray->setToolTip(tr("Finetune Studio: runs are training"));
    mTray->show();
    hide();
}

void MainWindow::pauseRunsAndClose()
{
    // Closing the project's run queue interrupts its run; it resumes from its last checkpoint.
    mRuns->setProject(nullptr);
    mClosingConfirmed = true;
    if (mTray)
        mTray->hide();
    QApplication::setQuitOnLastWindowClosed(true);
    const bool inTray = isHidden();
    close();
    if (inTray) // no window left to close: the studio ends here
        QCoreApplication::quit();
}

bool MainWindow::acceptsDrop(const QStringList &paths) const
{
    if (paths.size() == 1 && Project::looksLikeProject(toPath(paths.first())))
        return true;
    // Data files and dataset folders go into the open project.
    return mProject && !paths.isEmpty() && std::all_of(paths.begin(), paths.end(), [](const QString &path) {
               return QFileInfo(path).isFile() || (QFileInfo(path).isDir() && !Project::looksLikeProject(toPath(path)));
           });
}

void MainWindow::dragEnterEvent(QDragEnterEvent *event)
{
    if (acceptsDrop(draggedPaths(event->mimeData())))
        event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent *event)
{
    const QStringList paths = draggedPaths(event->mimeData());
    if (!acceptsDrop(paths))
        return;
    event->acceptProposedAction();
    if (paths.size() == 1 && Project::looksLikeProject(toPath(paths.first()))) {
        openProject(paths.first());
        return;
    }
    for (const QString &file : paths)
        importFile(file);
}

ImportDialog *MainWindow::importFile(const QString &file)
{
    if (!mProject)
        return nullptr;
    QStringList names;
    for (const DatasetSummary &dataset : listDatasets(*mProject))
        names << QString::fromStdString(dataset.name);
    auto *dialog = new ImportDialog(mProject->folder(), file, names, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &ImportDialog::imported, this, [this](const QString &) {
        mDatasets->refresh();
        showPage(DatasetsPageIndex);
    });
    dialog->show();
    return dialog;
}

void MainWindow::chooseFileToImport()
{
    const QString file = QFileDialog::getOpenFileName(
        this, tr("Import Data"), QString(),
        tr("Data files (*.csv *.tsv *.txt *.jsonl *.ndjson *.json);;All files (*)"));
    if (!file.isEmpty())
        importFile(file);
}

} // namespace ft::ui
