// column_mappings.h: the columns a user mapped by hand on import, remembered
// in the project by the file's shape (its column names, in order), so the next
// file of the same shape imports the same way without being told again.
#pragma once

#include "data/column_mapping.h"

#include <optional>
#include <string>
#include <vector>

namespace ft {

class Project;

// The key of a shape: the column names as a JSON array.
std::string columnShape(const std::vector<std::string> &columns);

std::optional<ColumnMapping> rememberedMapping(Project &project, const std::vector<std::string> &columns);
// Stores (or replaces) the mapping for files with these columns.
void rememberMapping(Project &project, const std::vector<std::string> &columns, const ColumnMapping &mapping);

} // namespace ft
