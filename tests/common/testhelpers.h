// testhelpers.h: checks and readers shared by the tests: an expected ft::Error, JSON files, the CLI's JSON line.
#pragma once

#include "common/error.h"

#include <QJsonObject>
#include <QString>
#include <QStringList>
#include <QTest>

#include <nlohmann/json_fwd.hpp>

#include <filesystem>
#include <functional>
#include <source_location>

namespace ft::test {

// Empty when `call` throws ft::Error of `kind` whose message contains every needle; otherwise what happened
// instead, with the error's message.
QString errorMismatch(const std::function<void()> &call, ErrorKind kind, const QStringList &needles);

// Records a failure at the caller's line, saying what happened instead, unless `call` throws ft::Error of `kind`
// whose message contains every needle (or `needle`). Like a failed check in a helper, it does not end the test
// function; FT_VERIFY_ERROR does.
void expectError(const std::function<void()> &call, ErrorKind kind, const QStringList &needles,
                 const std::source_location &where = std::source_location::current());
void expectError(const std::function<void()> &call, ErrorKind kind, const QString &needle,
                 const std::source_location &where = std::source_location::current());

// The JSON document in `file`.
nlohmann::json readJsonFile(const std::filesystem::path &file);

// The shared golden.json (the Python reference's inputs and outputs), read once.
const nlohmann::json &goldenJson();

// The JSON object on the last line of a command's output; empty, with a warning, when that line is not JSON.
QJsonObject lastJsonLine(const QString &output);

// Runs `program` and returns its stdout; sets `failure` to why (with its
// output) when it does not start or does not exit 0 within five minutes.
QByteArray runProgram(const QString &program, const QStringList &arguments, QString &failure);

} // namespace ft::test

// As expectError, but a failure ends the test function, as QVERIFY2 does. `call` is an expression.
#define FT_VERIFY_ERROR(call, kind, ...)                                                                               \
    do {                                                                                                               \
        const QString ftErrorMismatch = ::ft::test::errorMismatch([&] { call; }, kind, QStringList{__VA_ARGS__});      \
        QVERIFY2(ftErrorMismatch.isEmpty(), qPrintable(ftErrorMismatch));                                              \
    } while (0)
