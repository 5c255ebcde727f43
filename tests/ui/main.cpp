// main.cpp: the UI test binary. Runs real widgets offscreen; settings go to a
// test location so the user's own are never touched.
#include "testregistry.h"

#include <QApplication>
#include <QStandardPaths>

int main(int argc, char **argv)
{
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QStandardPaths::setTestModeEnabled(true);
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("FinetuneStudioTests"));
    QApplication::setApplicationName(QStringLiteral("ui-tests"));
    return ft::test::runRegisteredTests(argc, argv);
}
