// main.cpp: `finetune-studio`, the desktop studio.
#include "common/version.h"
#include "mainwindow.h"
#include "recentprojects.h"
#include "store/project.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QFile>
#include <QTimer>

#include <cstdio>

int main(int argc, char **argv)
{
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("FinetuneStudio"));
    QApplication::setApplicationName(QStringLiteral("Finetune Studio"));
    QApplication::setApplicationVersion(QString::fromUtf8(ft::kVersion));
    QApplication::setDesktopFileName(QStringLiteral("finetune-studio"));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Fine-tune pretrained models on your own data."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(QStringLiteral("project"), QStringLiteral("Project folder to open."),
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
