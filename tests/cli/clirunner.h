// clirunner.h: runs the `finetune` binary under test and captures its output.
#pragma once

#include <QString>
#include <QStringList>

namespace ft::test {

struct CliResult {
    int exitCode = -1;
    QString out;
    QString err;
};

CliResult runFinetune(const QStringList &arguments, int timeoutMs = 120000);

} // namespace ft::test
