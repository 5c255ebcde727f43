// main.cpp: `finetune-studio`, the desktop studio.
#include "bundledsample.h"
#include "common/version.h"
#include "mainwindow.h"
#include "recentprojects.h"
#include "store/project.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QFile>
#include <QStandardPaths>
#include <QTimer>

#include <cstdio>

int main(int argc, char **argv)
{
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("FinetuneStudio"));
    QApplication::setApplicationName(QStringLiteral("Finetune Studio"));
    QApplication::setApplicationVersion(QString::fromUtf8(ft::kVersion));
    QApplication::setDesktopFileName(QStringLiteral("org.finetunestudio.FinetuneStudio"));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Fine-tune pretrained models on your own data."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(QStringLiteral("project"), QStringLiteral("Project folder (or its project.sqlite) to open."),
                                 QStringLiteral("[project]"));
    const QCommandLineOption screenshot(
        QStringLiteral("screenshot"),
        QStringLiteral("Open the window, save a picture of it to <file> once it is shown, and quit (smoke test)."),
        QStringLiteral("file"));
    parser.addOption(screenshot);
    parser.process(app);

    ft::ui::MainWindow window;
    QString project = parser.positionalArguments().value(0);
    if (project.isEmpty()) {
        const QStringList recent = ft::ui::RecentProjects::list();
        if (!recent.isEmpty() && ft::Project::looksLikeProject(QFile::encodeName(recent.first()).toStdString()))
            project = recent.first();
    }
    // First use of an installed studio: a copy of the bundled sample project, to try everything on.
    const QString bundled = ft::ui::bundledSampleFolder(QCoreApplication::applicationDirPath());
    if (project.isEmpty() && ft::ui::RecentProjects::list().isEmpty() && !bundled.isEmpty()) {
        QString error;
        project = ft::ui::userSampleFolder(
            bundled, QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation), &error);
        if (project.isEmpty())
            std::fprintf(stderr, "finetune-studio: could not copy the sample project: %s\n", qPrintable(error));
    }
    const bool opened = project.isEmpty() || window.openProject(project);
    window.show();

    if (parser.isSet(screenshot)) {
        const QString file = parser.value(screenshot);
        QTimer::singleShot(300, &window, [&window, file, opened] {
            const bool saved = window.grab().save(file);
            if (!saved)
                std::fprintf(stderr, "finetune-studio: cannot write %s\n", qPrintable(file));
            QApplication::exit(saved && opened ? 0 : 1);
        });
    }
    return QApplication::exec();
}
