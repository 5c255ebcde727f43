// main.cpp: the core test binary (store, data; later tokenizers, models,
// training). Core tests need QtCore and Qt Test only, never the GUI.
#include "testregistry.h"

#include <QCoreApplication>

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    return ft::test::runRegisteredTests(argc, argv);
}
