// main.cpp: the CLI end-to-end test binary: runs `finetune` as a user would.
#include "testregistry.h"

#include <QCoreApplication>

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    return ft::test::runRegisteredTests(argc, argv);
}
