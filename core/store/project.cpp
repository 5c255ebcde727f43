// project.cpp: creating, validating and opening project folders.
#include "store/project.h"

#include "common/error.h"
#include "store/schema.h"
#include "store/sqlite.h"

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>

#include <fcntl.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace ft {

namespace {

fs::path folderOf(const fs::path &path)
{
    if (path.filename() == Project::kDatabaseName)
        return path.parent_path().empty() ? fs::path(".") : path.parent_path();
    return path;
}

// Checks the 16-byte SQLite magic before SQLite ever sees the file, so that
// a stray file is named as "not a project" rather than as SQLite's complaint.
void requireSqliteHeader(const fs::path &file)
{
    std::ifstream in(file, std::ios::binary);
    if (!in)
        throw Error(ErrorKind::Io, "cannot read " + file.string());
    std::array<char, 16> magic{};
    in.read(magic.data(), magic.size());
    static constexpr char kMagic[] = "SQLite format 3";
    if (in.gcount() != 16 || !std::equal(magic.begin(), magic.end(), kMagic, kMagic + 16))
        throw Error(ErrorKind::InvalidInput,
                    file.string() + " is not a Finetune Studio project (not an SQLite database)");
}

struct Identity {
    std::int64_t applicationId = 0;
    std::int64_t schemaVersion = 0;
};

// Reads the identity of the file without writing anything. Without a -wal
// file the database file alone is the whole truth and is read as an immutable
// snapshot (no -shm or -wal appears); after an unclean exit the newest pages
// are in the -wal, which only a normal read-only connection sees.
Identity readIdentity(const fs::path &file)
{
    std::error_code ec;
    const bool hasWal = fs::file_size(fs::path(file.string() + "-wal"), ec) > 0 && !ec;
    try {
        sql::Database db(file, hasWal ? sql::Database::Mode::ReadOnly : sql::Database::Mode::Immutable);
        Identity identity{db.queryInt("PRAGMA application_id"), db.queryInt("PRAGMA user_version")};
        // Reading the schema catalogue makes SQLite parse the first pages;
        // a damaged file fails here instead of half-way through a migration.
        db.queryInt("SELECT count(*) FROM sqlite_schema");
        return identity;
    } catch (const Error &e) {
        if (e.kind() == ErrorKind::Io)
            throw;
        throw Error(ErrorKind::InvalidInput, file.string() + " is damaged and cannot be opened (" + e.what() + ")");
    }
}

void validateReadOnly(const fs::path &file)
{
    requireSqliteHeader(file);
    const Identity identity = readIdentity(file);
    if (identity.applicationId != store::kApplicationId)
        throw Error(ErrorKind::InvalidInput, file.string() + " is not a Finetune Studio project (SQLite application_id "
                                                 + std::to_string(identity.applicationId) + ")");
    if (identity.schemaVersion > store::currentSchemaVersion())
        throw Error(ErrorKind::Incompatible,
                    file.string() + " was written by a newer Finetune Studio (schema v"
                        + std::to_string(identity.schemaVersion) + "; this version reads up to v"
                        + std::to_string(store::currentSchemaVersion()) + "); update the studio to open it");
}

std::string writeRefusal(int error)
{
    const bool readOnly = error == EACCES || error == EPERM || error == EROFS;
    return (readOnly ? "is read-only (" : "cannot be written (") + std::string(std::strerror(error)) + ")";
}

// A project is written as soon as it is used (the -wal beside its database,
// runs/, exports/); a read-only one would open, then fail at the first write
// with SQLite's "attempt to write a readonly database". Said up front, naming
// the folder. Probed by writing: the mode bits do not tell for root, ACLs or a
// read-only mount.
void requireWritable(const fs::path &folder, const fs::path &file)
{
    const fs::path probe = folder / ".finetune-write-check";
    int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        const int error = errno;
        throw Error(ErrorKind::Io, "cannot open the project in " + folder.string() + ": the folder " + writeRefusal(error));
    }
    ::close(fd);
    ::unlink(probe.c_str());
    fd = ::open(file.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
        const int error = errno;
        throw Error(ErrorKind::Io, "cannot open the project in " + folder.string() + ": its database " + file.string()
                                       + " " + writeRefusal(error));
    }
    ::close(fd);
}

void configureConnection(sql::Database &db)
{
    db.exec("PRAGMA foreign_keys = ON");
    db.exec("PRAGMA synchronous = NORMAL");
}

} // namespace

Project::Project(fs::path folder, std::unique_ptr<sql::Database> db)
    : mFolder(std::move(folder)), mDb(std::move(db))
{
}

Project::Project(Project &&) noexcept = default;
Project &Project::operator=(Project &&) noexcept = default;
Project::~Project() = default;

bool Project::looksLikeProject(const fs::path &path)
{
    std::error_code ec;
    return fs::is_regular_file(folderOf(path) / kDatabaseName, ec);
}

Project Project::create(const fs::path &path)
{
    const fs::path folder = folderOf(path);
    const fs::path file = folder / kDatabaseName;
    std::error_code ec;
    if (fs::exists(file, ec))
        throw Error(ErrorKind::InvalidInput, folder.string() + " already holds a project");
    if (fs::exists(folder, ec) && !fs::is_directory(folder, ec))
        throw Error(ErrorKind::InvalidInput, folder.string() + " exists and is not a folder");
    fs::create_directories(folder, ec);
    if (ec)
        throw Error(ErrorKind::Io, "cannot create " + folder.string() + ": " + ec.message());

    // Build the database under a temporary name and rename it into place, so
    // an interrupted create never leaves a half-made project behind.
    const fs::path staging = folder / (std::string(kDatabaseName) + ".creating");
    fs::remove(staging, ec);
    {
        sql::Database db(staging, sql::Database::Mode::Create);
        db.exec("PRAGMA application_id = " + std::to_string(store::kApplicationId));
        store::migrate(db, store::migrations());
    }
    fs::rename(staging, file, ec);
    if (ec)
        throw Error(ErrorKind::Io, "cannot create " + file.string() + ": " + ec.message());
    for (const char *sub : {"runs", "exports"}) {
        fs::create_directories(folder / sub, ec);
        if (ec)
            throw Error(ErrorKind::Io, "cannot create " + (folder / sub).string() + ": " + ec.message());
    }
    return open(folder);
}

Project Project::open(const fs::path &path)
{
    const fs::path folder = folderOf(path);
    std::error_code ec;
    if (!fs::exists(folder, ec))
        throw Error(ErrorKind::NotFound, folder.string() + " does not exist");
    const fs::path file = folder / kDatabaseName;
    if (!fs::is_regular_file(file, ec))
        throw Error(ErrorKind::NotFound,
                    folder.string() + " is not a Finetune Studio project (it has no " + kDatabaseName + ")");

    validateReadOnly(file);
    requireWritable(folder, file);

    auto db = std::make_unique<sql::Database>(file, sql::Database::Mode::ReadWrite);
    db->exec("PRAGMA journal_mode = WAL");
    configureConnection(*db);
    store::migrate(*db, store::migrations());
    for (const char *sub : {"runs", "exports"})
        fs::create_directories(folder / sub, ec);
    return Project(fs::absolute(folder).lexically_normal(), std::move(db));
}

bool Project::stillOnDisk() const
{
    std::error_code ec;
    return fs::is_regular_file(databaseFile(), ec);
}

ProjectSummary Project::summary() const
{
    ProjectSummary s;
    s.schemaVersion = static_cast<int>(mDb->queryInt("PRAGMA user_version"));
    s.datasets = mDb->queryInt("SELECT count(*) FROM datasets");
    s.examples = mDb->queryInt("SELECT count(*) FROM examples");
    s.models = mDb->queryInt("SELECT count(*) FROM models");
    s.runs = mDb->queryInt("SELECT count(*) FROM runs");
    s.exports = mDb->queryInt("SELECT count(*) FROM exports");
    std::error_code ec;
    s.databaseBytes = fs::file_size(databaseFile(), ec);
    return s;
}

std::string Project::integrityCheck() const
{
    return mDb->queryText("PRAGMA integrity_check");
}

} // namespace ft
