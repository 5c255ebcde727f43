// column_mapping.cpp: finding the mapped columns, or guessing them.
#include "data/column_mapping.h"

#include "common/error.h"

#include <algorithm>
#include <initializer_list>

namespace ft {

namespace {

bool equalsIgnoringCase(const std::string &a, const std::string &b)
{
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
               return std::tolower(x) == std::tolower(y);
           });
}

std::optional<std::size_t> find(const std::vector<std::string> &columns, const std::string &name)
{
    const auto exact = std::find(columns.begin(), columns.end(), name);
    if (exact != columns.end())
        return static_cast<std::size_t>(exact - columns.begin());
    for (std::size_t i = 0; i < columns.size(); ++i) {
        if (equalsIgnoringCase(columns[i], name))
            return i;
    }
    return std::nullopt;
}

std::string listing(const std::vector<std::string> &columns)
{
    std::string text;
    for (const auto &column : columns)
        text += (text.empty() ? "" : ", ") + column;
    return text;
}

} // namespace

ResolvedColumns resolveColumns(const std::vector<std::string> &columns, const ColumnMapping &mapping,
                               const std::string &file, bool textOptional)
{
    // Named roles first, so that a guess never takes a column that was named.
    std::vector<std::size_t> taken;
    const auto isTaken = [&](std::size_t index) { return std::find(taken.begin(), taken.end(), index) != taken.end(); };
    const auto named = [&](const std::string &name, const char *role) -> std::optional<std::size_t> {
        if (name.empty())
            return std::nullopt;
        const auto found = find(columns, name);
        if (!found)
            throw Error(ErrorKind::InvalidInput, file + " has no column '" + name + "' (asked for as the " + role
                                                     + " column); its columns are: " + listing(columns));
        if (isTaken(*found))
            throw Error(ErrorKind::InvalidInput, "column '" + columns[*found] + "' of " + file
                                                     + " is asked for in two roles");
        taken.push_back(*found);
        return found;
    };
    const auto guessed = [&](std::optional<std::size_t> chosen, std::initializer_list<const char *> names) {
        if (chosen)
            return chosen;
        for (const char *name : names) {
            const auto found = find(columns, name);
            if (found && !isTaken(*found)) {
                taken.push_back(*found);
                return found;
            }
        }
        return chosen;
    };

    const auto text = named(mapping.text, "text");
    const auto textPair = named(mapping.textPair, "text pair");
    const auto label = named(mapping.label, "label");
    const auto split = named(mapping.split, "split");
    const auto image = named(mapping.image, "image");

    ResolvedColumns resolved;
    const auto textColumn = guessed(text, {"text", "sentence", "sentence1", "text_a", "review", "question", "content"});
    resolved.image = textOptional ? guessed(image, {"image", "image_path", "img", "file_name"}) : image;
    if (textColumn) {
        resolved.text = *textColumn;
    } else if (textOptional && resolved.image) {
        resolved.hasText = false;
    } else {
        throw Error(ErrorKind::InvalidInput, "cannot tell which column of " + file + " holds the text (none is named "
                                                 "text, sentence, review, question or content); its columns are: "
                                                 + listing(columns) + "; name the text column");
    }
    resolved.textPair = guessed(textPair, {"text_pair", "sentence2", "text_b"});
    resolved.label = guessed(label, {"label", "labels", "category", "class", "target"});
    resolved.split = guessed(split, {"split"});
    return resolved;
}

} // namespace ft
