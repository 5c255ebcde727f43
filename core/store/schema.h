// schema.h: the project database schema and its migrations. A project's
// `PRAGMA user_version` is the number of migrations applied to it; opening an
// older project applies the rest in one transaction.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace ft::sql {
class Database;
}

namespace ft::store {

// "FTSD" in the SQLite header marks a file as a Finetune Studio project.
inline constexpr std::int32_t kApplicationId = 0x46545344;

struct Migration {
    int toVersion;        // user_version after this step
    std::string_view sql; // statements that take the schema from toVersion - 1
};

// The migrations this build knows, in order; the last one's version is ours.
std::span<const Migration> migrations();
int currentSchemaVersion();

// Applies every migration above the database's user_version, all or nothing.
void migrate(sql::Database &db, std::span<const Migration> steps);

} // namespace ft::store
