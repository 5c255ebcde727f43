// utf8_check.h: is a field valid UTF-8? Imported text must be, so that the
// store, the tokenizers and the views never meet broken sequences.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace ft {

// The offset of the first byte that does not begin a valid, complete,
// shortest-form UTF-8 sequence of a Unicode scalar value; nullopt when the
// whole text is valid.
std::optional<std::size_t> firstInvalidUtf8(std::string_view text);

} // namespace ft
