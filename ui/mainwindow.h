// mainwindow.h: the studio's main window: navigation between the Datasets,
// Models, Runs and Exports pages of the open project, and the File menu that
// creates, opens and remembers projects.
#pragma once

#include <QMainWindow>
#include <QPointer>

#include <memory>

class QLabel;
class QMessageBox;
class QSystemTrayIcon;
class QListWidget;
class QMenu;
class QStackedWidget;

namespace ft {
class Project;
}

namespace ft::ui {

class DatasetsPage;
class ImportDialog;
class MessageBar;
class ProjectWatch;
class RunsPage;
class TablePage;
class ExportPage;
class WelcomePage;

class MainWindow : public QMainWindow {
    Q_OBJECT

public:
    enum Page { DatasetsPageIndex, ModelsPageIndex, RunsPageIndex, ExportsPageIndex, PageCount };

    explicit MainWindow(QWidget *parent = nullptr);
    ~MainWindow() override;

    Project *project() const { return mProject.get(); }
    // The page shown, or -1 while the welcome page is up.
    int currentPage() const;
    QWidget *page(Page page) const;
    QListWidget *navigation() const { return mNavigation; }
    MessageBar *messageBar() const { return mMessageBar; }
    RunsPage *runsPage() const { return mRuns; }
    // While runs train, closing asks this (non-modal) question first.
    QMessageBox *closeQuestion() const;
    QSystemTrayIcon *trayIcon() const { return mTray; }

public Q_SLOTS:
    // Each reports failure in the message bar and returns false.
    bool openProject(const QString &folder);
    bool createProject(const QString &folder);
    // Opens the import dialog for a data file (a project must be open).
    ImportDialog *importFile(const QString &file);
    void closeProject();
    void showPage(int page);
    void showAbout();

Q_SIGNALS:
    void projectChanged(const QString &folder);

protected:
    void closeEvent(QCloseEvent *event) override;
    void dragEnterEvent(QDragEnterEvent *event) override;
    void dropEvent(QDropEvent *event) override;

private:
    void createMenus();
    void setProject(std::unique_ptr<Project> project);
    void refreshRecentMenu();
    void chooseFolderToCreate();
    void chooseFolderToOpen();
    void chooseFileToImport();
    bool acceptsDrop(const QStringList &paths) const;
    void showError(const QString &text);
    void keepTrainingInBackground();
    void pauseRunsAndClose();
    void projectVanished(const QString &folder);

    std::unique_ptr<Project> mProject;
    ProjectWatch *mWatch;
    MessageBar *mMessageBar;
    QListWidget *mNavigation;
    QStackedWidget *mStack;
    WelcomePage *mWelcome;
    DatasetsPage *mDatasets;
    TablePage *mModels;
    RunsPage *mRuns;
    ExportPage *mExports;
    QMenu *mRecentMenu = nullptr;
    QLabel *mStatusProject;
    QPointer<QMessageBox> mCloseQuestion; // asked when closing while runs train
    QSystemTrayIcon *mTray = nullptr;
    bool mClosingConfirmed = false;
};

} // namespace ft::ui
