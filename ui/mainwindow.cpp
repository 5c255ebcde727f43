// mainwindow.cpp
#include "mainwindow.h"

#include "aboutdialog.h"
#include "common/error.h"
#include "messagebar.h"
#include "pages/datasetspage.h"
#include "pages/tablepage.h"
#include "pages/welcomepage.h"
#include "preferences.h"
#include "recentprojects.h"
#include "store/catalog.h"
#include "store/project.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFile>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QMenuBar>
#include <QMimeData>
#include <QStackedWidget>
#include <QStatusBar>
#include <QVBoxLayout>

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

QVector<RecordTableModel::Row> runRows(Project &project)
{
    QVector<RecordTableModel::Row> rows;
    for (const RunRecord &r : listRuns(project)) {
        rows.push_back({qlonglong(r.id), fromStd(r.name), fromStd(r.state), fromStd(r.dataset), fromStd(r.model),
                        fromStd(r.device), fromStd(r.createdAt), fromStd(r.finishedAt)});
    }
    return rows;
}

QVector<RecordTableModel::Row> exportRows(Project &project)
{
    QVector<RecordTableModel::Row> rows;
    for (const ExportRecord &e : listExports(project)) {
        rows.push_back({qlonglong(e.id), e.runId ? QVariant(qlonglong(*e.runId)) : QVariant(), fromStd(e.format),
                        fromStd(e.path), fromStd(e.createdAt)});
    }
    return rows;
}

// The one local folder a drag carries, or an empty string.
QString draggedFolder(const QMimeData *mime)
{
    if (!mime || !mime->hasUrls() || mime->urls().size() != 1 || !mime->urls().first().isLocalFile())
        return {};
    return mime->urls().first().toLocalFile();
}

} // namespace

MainWindow::MainWindow(QWidget *parent)
    : QMainWindow(parent),
      mMessageBar(new MessageBar(this)),
      mNavigation(new QListWidget(this)),
      mStack(new QStackedWidget(this)),
      mWelcome(new WelcomePage(this)),
      mDatasets(new DatasetsPage(this)),
      mModels(new TablePage(tr("Models"), tr("No base models in this project yet."),
                            {tr("Name"), tr("Architecture"), tr("Parameters"), tr("Folder"), tr("Added")}, modelRows,
                            this)),
      mRuns(new TablePage(tr("Runs"), tr("No fine-tuning runs in this project yet."),
                          {tr("Run"), tr("Name"), tr("State"), tr("Dataset"), tr("Model"), tr("Device"), tr("Created"),
                           tr("Finished")},
                          runRows, this)),
      mExports(new TablePage(tr("Exports"), tr("Nothing exported from this project yet."),
                             {tr("Export"), tr("Run"), tr("Format"), tr("Folder"), tr("Created")}, exportRows, this)),
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
    mStack->addWidget(mWelcome);

    connect(mWelcome, &WelcomePage::newProjectRequested, this, &MainWindow::chooseFolderToCreate);
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
    event->accept();
}

void MainWindow::dragEnterEvent(QDragEnterEvent *event)
{
    const QString folder = draggedFolder(event->mimeData());
    if (!folder.isEmpty() && Project::looksLikeProject(toPath(folder)))
        event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent *event)
{
    const QString folder = draggedFolder(event->mimeData());
    if (folder.isEmpty())
        return;
    event->acceptProposedAction();
    openProject(folder);
}

} // namespace ft::ui
