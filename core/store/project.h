// project.h: a project is a folder holding project.sqlite, runs/ and exports/.
// Opening validates before it writes: a file from a newer version, a file that
// is not a project, or a corrupt database is refused and left untouched.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

namespace ft::sql {
class Database;
}

namespace ft {

struct ProjectSummary {
    int schemaVersion = 0;
    std::int64_t datasets = 0;
    std::int64_t examples = 0;
    std::int64_t models = 0;
    std::int64_t runs = 0;
    std::int64_t exports = 0;
    std::uintmax_t databaseBytes = 0;
};

class Project {
public:
    static constexpr const char *kDatabaseName = "project.sqlite";

    // Creates a new project in `folder` (made if missing). Refuses a folder
    // that already holds a project.
    static Project create(const std::filesystem::path &folder);
    // Opens `folder` (or its project.sqlite) and migrates an older schema.
    static Project open(const std::filesystem::path &folder);
    // True when `path` is a folder holding project.sqlite, or that file itself.
    static bool looksLikeProject(const std::filesystem::path &path);

    Project(Project &&) noexcept;
    Project &operator=(Project &&) noexcept;
    ~Project();

    const std::filesystem::path &folder() const { return mFolder; }
    std::filesystem::path databaseFile() const { return mFolder / kDatabaseName; }
    std::filesystem::path runsFolder() const { return mFolder / "runs"; }
    std::filesystem::path exportsFolder() const { return mFolder / "exports"; }
    std::string name() const { return mFolder.filename().string(); }

    // False once the folder was deleted or moved while the project is open:
    // SQLite keeps its open file, and a later write would fail with a
    // misleading "readonly database" (or make the folder again, empty).
    bool stillOnDisk() const;

    ProjectSummary summary() const;
    // SQLite's integrity_check; "ok" when the database is sound.
    std::string integrityCheck() const;

    sql::Database &database() const { return *mDb; }

private:
    Project(std::filesystem::path folder, std::unique_ptr<sql::Database> db);

    std::filesystem::path mFolder;
    std::unique_ptr<sql::Database> mDb;
};

} // namespace ft
