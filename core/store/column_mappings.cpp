// column_mappings.cpp: the column_mappings table (schema v3).
#include "store/column_mappings.h"

#include "store/project.h"
#include "store/sqlite.h"

#include <nlohmann/json.hpp>

namespace ft {

std::string columnShape(const std::vector<std::string> &columns)
{
    return nlohmann::json(columns).dump();
}

std::optional<ColumnMapping> rememberedMapping(Project &project, const std::vector<std::string> &columns)
{
    sql::Statement query(project.database(), "SELECT coalesce(text_column, ''), coalesce(text_pair_column, ''), "
                                              "coalesce(label_column, ''), coalesce(split_column, ''), "
                                              "coalesce(image_column, '') FROM column_mappings WHERE shape = ?");
    query.bind(1, columnShape(columns));
    if (!query.step())
        return std::nullopt;
    return ColumnMapping{query.text(0), query.text(1), query.text(2), query.text(3), query.text(4)};
}

void rememberMapping(Project &project, const std::vector<std::string> &columns, const ColumnMapping &mapping)
{
    const auto orNull = [](const std::string &name) {
        return name.empty() ? std::nullopt : std::optional<std::string>(name);
    };
    sql::Statement(project.database(),
                   "INSERT OR REPLACE INTO column_mappings (shape, text_column, text_pair_column, label_column, "
                   "split_column, image_column) VALUES (?, ?, ?, ?, ?, ?)")
        .bind(1, columnShape(columns))
        .bind(2, orNull(mapping.text))
        .bind(3, orNull(mapping.textPair))
        .bind(4, orNull(mapping.label))
        .bind(5, orNull(mapping.split))
        .bind(6, orNull(mapping.image))
        .run();
}

} // namespace ft
