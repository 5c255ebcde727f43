// sqlite.h: a thin RAII layer over the SQLite C API. Every statement is
// prepared and bound; nothing in core builds SQL from user text.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace ft::sql {

class Database;

// A prepared statement. Bind parameters by 1-based index, step through rows,
// read columns by 0-based index.
class Statement {
public:
    Statement(Database &db, std::string_view sql);
    ~Statement();
    Statement(Statement &&other) noexcept;
    Statement &operator=(Statement &&) = delete;
    Statement(const Statement &) = delete;
    Statement &operator=(const Statement &) = delete;

    Statement &bind(int index, std::int64_t value);
    Statement &bind(int index, int value) { return bind(index, std::int64_t{value}); }
    Statement &bind(int index, double value);
    Statement &bind(int index, std::string_view value);
    Statement &bind(int index, const char *value) { return bind(index, std::string_view(value)); }
    Statement &bind(int index, const std::string &value) { return bind(index, std::string_view(value)); }
    Statement &bindNull(int index);
    template <typename T>
    Statement &bind(int index, const std::optional<T> &value)
    {
        return value ? bind(index, *value) : bindNull(index);
    }

    // Advances to the next row; false when the statement is done.
    bool step();
    // Runs a statement that returns no rows.
    void run();
    // Clears bindings and rewinds, so the statement can run again.
    void reset();

    bool isNull(int column) const;
    std::int64_t int64(int column) const;
    double real(int column) const;
    std::string text(int column) const;
    std::optional<std::string> optionalText(int column) const;

private:
    Database &mDb;
    sqlite3_stmt *mStmt = nullptr;
};

class Database {
public:
    // Immutable reads the file as a snapshot: no locks, no -wal or -shm files
    // created, nothing written; for inspecting a file we may not own yet.
    enum class Mode { Immutable, ReadOnly, ReadWrite, Create };

    Database(const std::filesystem::path &file, Mode mode);
    ~Database();
    Database(const Database &) = delete;
    Database &operator=(const Database &) = delete;

    void exec(std::string_view sql);
    std::int64_t queryInt(std::string_view sql);
    std::string queryText(std::string_view sql);
    std::int64_t lastInsertRowId() const;
    int changes() const;

    const std::filesystem::path &file() const { return mFile; }
    sqlite3 *handle() const { return mDb; }

    // Throws ft::Error naming the file, the SQLite message and what we were doing.
    [[noreturn]] void fail(std::string_view what) const;

private:
    std::filesystem::path mFile;
    sqlite3 *mDb = nullptr;
};

// Commits when commit() is called; rolls back if it goes out of scope first.
// Inside another transaction it is a savepoint, so a function that writes in
// a transaction of its own (addExamples) also works as one step of a larger
// one that may still roll everything back (a dataset import).
class Transaction {
public:
    explicit Transaction(Database &db);
    ~Transaction();
    Transaction(const Transaction &) = delete;
    Transaction &operator=(const Transaction &) = delete;
    void commit();

private:
    Database &mDb;
    bool mNested = false;
    bool mDone = false;
};

std::string libraryVersion();

} // namespace ft::sql
