// column_mapping.h: which columns of a data file hold the text, the optional
// second text of a pair, the label, the split and an image path. Unnamed
// roles are guessed from the names Hugging Face datasets commonly use.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace ft {

struct ColumnMapping {
    std::string text;     // empty: the first of text, sentence, sentence1, text_a, review, question, content
    std::string textPair; // empty: text_pair, sentence2 or text_b if there is one
    std::string label;    // empty: label, labels, category, class or target if there is one
    std::string split;    // empty: split if there is one; otherwise splits are assigned
    std::string image;    // empty: image, image_path, img or file_name if there is one

    bool empty() const { return text.empty() && textPair.empty() && label.empty() && split.empty() && image.empty(); }
};

struct ResolvedColumns {
    std::size_t text = 0; // indexes into the file's columns; meaningless when !hasText
    bool hasText = true;  // false only for image rows without a text column
    std::optional<std::size_t> textPair;
    std::optional<std::size_t> label;
    std::optional<std::size_t> split;
    std::optional<std::size_t> image;
};

// Resolves `mapping` against `columns` (names match exactly first, then
// ignoring case). Throws ft::Error (InvalidInput) naming `file` and listing
// its columns when a named column is missing, no text column can be guessed,
// or one column is given two roles. With `textOptional`, a file with an image
// column needs no text column.
ResolvedColumns resolveColumns(const std::vector<std::string> &columns, const ColumnMapping &mapping,
                               const std::string &file, bool textOptional = false);

} // namespace ft
