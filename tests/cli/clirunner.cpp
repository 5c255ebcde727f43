// clirunner.cpp
#include "clirunner.h"

#include <QProcess>

namespace ft::test {

CliResult runFinetune(const QStringList &arguments, int timeoutMs)
{
    QProcess process;
    process.start(QStringLiteral(FINETUNE_CLI_PATH), arguments);
    CliResult result;
    if (!process.waitForFinished(timeoutMs)) {
        process.kill();
        process.waitForFinished();
        result.err = QStringLiteral("timed out");
        return result;
    }
    result.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    result.out = QString::fromUtf8(process.readAllStandardOutput());
    result.err = QString::fromUtf8(process.readAllStandardError());
    return result;
}

} // namespace ft::test
