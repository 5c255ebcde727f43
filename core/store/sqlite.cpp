// sqlite.cpp: RAII wrappers over sqlite3 handles and statements.
#include "store/sqlite.h"

#include "common/error.h"

#include <sqlite3.h>

namespace ft::sql {

namespace {

// How long a statement waits for another process's write lock before it fails.
constexpr int kBusyTimeoutMs = 5000;

ErrorKind kindOf(int code)
{
    switch (code & 0xff) {
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
    case SQLITE_CONSTRAINT:
        return ErrorKind::InvalidInput;
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_READONLY:
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_PERM:
        return ErrorKind::Io;
    default:
        return ErrorKind::Internal;
    }
}

// A file: URI for `file`, with the characters URIs reserve escaped.
std::string fileUri(const std::filesystem::path &file, std::string_view query)
{
    std::string uri = "file:";
    for (const char c : std::filesystem::absolute(file).string()) {
        if (c == '%' || c == '?' || c == '#') {
            static constexpr char kHex[] = "0123456789ABCDEF";
            uri += '%';
            uri += kHex[(static_cast<unsigned char>(c) >> 4) & 0xf];
            uri += kHex[static_cast<unsigned char>(c) & 0xf];
        } else {
            uri += c;
        }
    }
    return uri + "?" + std::string(query);
}

} // namespace

Database::Database(const std::filesystem::path &file, Mode mode) : mFile(file)
{
    int flags = SQLITE_OPEN_NOMUTEX;
    std::string name = file.string();
    switch (mode) {
    case Mode::Immutable:
        flags |= SQLITE_OPEN_READONLY | SQLITE_OPEN_URI;
        name = fileUri(file, "immutable=1");
        break;
    case Mode::ReadOnly: flags |= SQLITE_OPEN_READONLY; break;
    case Mode::ReadWrite: flags |= SQLITE_OPEN_READWRITE; break;
    case Mode::Create: flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE; break;
    }
    const int rc = sqlite3_open_v2(name.c_str(), &mDb, flags, nullptr);
    if (rc != SQLITE_OK) {
        const std::string message = mDb ? sqlite3_errmsg(mDb) : sqlite3_errstr(rc);
        sqlite3_close(mDb);
        mDb = nullptr;
        throw Error(kindOf(rc), "cannot open " + file.string() + ": " + message);
    }
    sqlite3_extended_result_codes(mDb, 1);
    // Another process (a second studio, a CLI run) may hold a write lock briefly.
    sqlite3_busy_timeout(mDb, kBusyTimeoutMs);
}

Database::~Database()
{
    sqlite3_close_v2(mDb);
}

void Database::fail(std::string_view what) const
{
    const int code = sqlite3_extended_errcode(mDb);
    // SQLite says only "database is locked"; the user needs to know that another program holds it.
    if ((code & 0xff) == SQLITE_BUSY)
        throw Error(ErrorKind::Io, mFile.string() + ": " + std::string(what) + ": the project is in use by another "
                                       + "process (" + sqlite3_errmsg(mDb) + " for over "
                                       + std::to_string(kBusyTimeoutMs / 1000) + " s); try again once it is done");
    throw Error(kindOf(code), mFile.string() + ": " + std::string(what) + ": " + sqlite3_errmsg(mDb));
}

void Database::exec(std::string_view sql)
{
    char *message = nullptr;
    const std::string text(sql);
    if (sqlite3_exec(mDb, text.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
        sqlite3_free(message);
        fail("cannot execute '" + text.substr(0, 60) + "'");
    }
}

std::int64_t Database::queryInt(std::string_view sql)
{
    Statement statement(*this, sql);
    if (!statement.step())
        throw Error(ErrorKind::Internal, "query returned no row: " + std::string(sql));
    return statement.int64(0);
}

std::string Database::queryText(std::string_view sql)
{
    Statement statement(*this, sql);
    if (!statement.step())
        throw Error(ErrorKind::Internal, "query returned no row: " + std::string(sql));
    return statement.text(0);
}

std::int64_t Database::lastInsertRowId() const
{
    return sqlite3_last_insert_rowid(mDb);
}

int Database::changes() const
{
    return sqlite3_changes(mDb);
}

Statement::Statement(Database &db, std::string_view sql) : mDb(db)
{
    if (sqlite3_prepare_v2(db.handle(), sql.data(), static_cast<int>(sql.size()), &mStmt, nullptr) != SQLITE_OK)
        db.fail("cannot prepare '" + std::string(sql.substr(0, 60)) + "'");
}

Statement::Statement(Statement &&other) noexcept : mDb(other.mDb), mStmt(other.mStmt)
{
    other.mStmt = nullptr;
}

Statement::~Statement()
{
    sqlite3_finalize(mStmt);
}

Statement &Statement::bind(int index, std::int64_t value)
{
    if (sqlite3_bind_int64(mStmt, index, value) != SQLITE_OK)
        mDb.fail("cannot bind parameter");
    return *this;
}

Statement &Statement::bind(int index, double value)
{
    if (sqlite3_bind_double(mStmt, index, value) != SQLITE_OK)
        mDb.fail("cannot bind parameter");
    return *this;
}

Statement &Statement::bind(int index, std::string_view value)
{
    if (sqlite3_bind_text64(mStmt, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8) != SQLITE_OK)
        mDb.fail("cannot bind parameter");
    return *this;
}

Statement &Statement::bindNull(int index)
{
    if (sqlite3_bind_null(mStmt, index) != SQLITE_OK)
        mDb.fail("cannot bind parameter");
    return *this;
}

bool Statement::step()
{
    const int rc = sqlite3_step(mStmt);
    if (rc == SQLITE_ROW)
        return true;
    if (rc == SQLITE_DONE)
        return false;
    mDb.fail("statement failed");
}

void Statement::run()
{
    while (step()) {
    }
    sqlite3_reset(mStmt);
}

void Statement::reset()
{
    sqlite3_reset(mStmt);
    sqlite3_clear_bindings(mStmt);
}

bool Statement::isNull(int column) const
{
    return sqlite3_column_type(mStmt, column) == SQLITE_NULL;
}

std::int64_t Statement::int64(int column) const
{
    return sqlite3_column_int64(mStmt, column);
}

double Statement::real(int column) const
{
    return sqlite3_column_double(mStmt, column);
}

std::string Statement::text(int column) const
{
    const auto *data = reinterpret_cast<const char *>(sqlite3_column_text(mStmt, column));
    return data ? std::string(data, static_cast<size_t>(sqlite3_column_bytes(mStmt, column))) : std::string();
}

std::optional<std::string> Statement::optionalText(int column) const
{
    if (isNull(column))
        return std::nullopt;
    return text(column);
}

Transaction::Transaction(Database &db) : mDb(db), mNested(sqlite3_get_autocommit(db.handle()) == 0)
{
    mDb.exec(mNested ? "SAVEPOINT ft_nested" : "BEGIN IMMEDIATE");
}

Transaction::~Transaction()
{
    if (mDone)
        return;
    const char *undo = mNested ? "ROLLBACK TO ft_nested; RELEASE ft_nested" : "ROLLBACK";
    sqlite3_exec(mDb.handle(), undo, nullptr, nullptr, nullptr);
}

void Transaction::commit()
{
    mDb.exec(mNested ? "RELEASE ft_nested" : "COMMIT");
    mDone = true;
}

std::string libraryVersion()
{
    return sqlite3_libversion();
}

} // namespace ft::sql
