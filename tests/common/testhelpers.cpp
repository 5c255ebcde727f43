// testhelpers.cpp
#include "testhelpers.h"

#include <QDebug>
#include <QProcess>
#include <QJsonDocument>
#include <QJsonParseError>

#include <nlohmann/json.hpp>

#include <fstream>
#include <stdexcept>

namespace ft::test {

namespace {

QString kindName(ErrorKind kind)
{
    switch (kind) {
    case ErrorKind::InvalidInput:
        return QStringLiteral("InvalidInput");
    case ErrorKind::NotFound:
        return QStringLiteral("NotFound");
    case ErrorKind::Incompatible:
        return QStringLiteral("Incompatible");
    case ErrorKind::Io:
        return QStringLiteral("Io");
    case ErrorKind::Cancelled:
        return QStringLiteral("Cancelled");
    case ErrorKind::Internal:
        return QStringLiteral("Internal");
    }
    return QString::number(int(kind));
}

} // namespace

QString errorMismatch(const std::function<void()> &call, ErrorKind kind, const QStringList &needles)
{
    try {
        call();
    } catch (const Error &e) {
        const QString message = QString::fromStdString(e.what());
        QStringList problems;
        if (e.kind() != kind)
            problems << QStringLiteral("kind %1 where %2 was expected").arg(kindName(e.kind()), kindName(kind));
        for (const QString &needle : needles) {
            if (!message.contains(needle))
                problems << QStringLiteral("no '%1' in its message").arg(needle);
        }
        if (problems.isEmpty())
            return {};
        return QStringLiteral("ft::Error with %1: %2").arg(problems.join(QStringLiteral("; ")), message);
    }
    return QStringLiteral("expected an ft::Error, but none was thrown");
}

void expectError(const std::function<void()> &call, ErrorKind kind, const QStringList &needles,
                 const std::source_location &where)
{
    const QString mismatch = errorMismatch(call, kind, needles);
    if (!mismatch.isEmpty())
        QTest::qFail(qPrintable(mismatch), where.file_name(), int(where.line()));
}

void expectError(const std::function<void()> &call, ErrorKind kind, const QString &needle,
                 const std::source_location &where)
{
    expectError(call, kind, QStringList{needle}, where);
}

nlohmann::json readJsonFile(const std::filesystem::path &file)
{
    std::ifstream in(file, std::ios::binary);
    if (!in)
        throw std::runtime_error("cannot read " + file.string());
    return nlohmann::json::parse(in);
}

const nlohmann::json &goldenJson()
{
    static const nlohmann::json document =
        readJsonFile(std::filesystem::path(FT_SHARED_DIR) / "golden" / "golden.json");
    return document;
}

QJsonObject lastJsonLine(const QString &output)
{
    const QString last = output.trimmed().split(QLatin1Char('\n')).last();
    QJsonParseError error{};
    const QJsonDocument doc = QJsonDocument::fromJson(last.toUtf8(), &error);
    if (error.error != QJsonParseError::NoError)
        qWarning() << "not JSON:" << last;
    return doc.object();
}

QByteArray runProgram(const QString &program, const QStringList &arguments, QString &failure)
{
    QProcess process;
    process.start(program, arguments);
    if (!process.waitForStarted(30000)) {
        failure = program + " did not start: " + process.errorString();
        return {};
    }
    if (!process.waitForFinished(300000) || process.exitStatus() != QProcess::NormalExit || process.exitCode() != 0)
        failure = program + " " + arguments.join(' ') + " failed (exit " + QString::number(process.exitCode()) +
                  "):\n" + QString::fromUtf8(process.readAllStandardError()) +
                  QString::fromUtf8(process.readAllStandardOutput());
    return process.readAllStandardOutput();
}

} // namespace ft::test
