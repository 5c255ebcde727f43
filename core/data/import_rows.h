// import_rows.h: what an import makes of one source row: the checks that
// decide whether it is kept (both passes of an import ask the same), the
// example it becomes, and the fingerprint that finds exact duplicates.
#pragma once

#include "data/column_mapping.h"
#include "data/folder_guard.h"
#include "data/image_check.h"
#include "data/row_source.h"
#include "store/datasets.h"

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

namespace ft {

class ImportRowChecker {
public:
    // `imageRoot`: the folder image paths are relative to (needed when `use`
    // has an image column). `allowedLabels` empty: any label.
    ImportRowChecker(const ResolvedColumns &use, const std::vector<std::string> &columns,
                     const std::vector<std::string> &allowedLabels, const std::filesystem::path &imageRoot);

    // Why `row` cannot be imported, or "" after filling `example` with its
    // text, pair, label, image and (from a split column) split; `digest` is
    // then the image's SHA-256 ("" without an image).
    std::string check(SourceRow &row, Example &example, std::string &digest) const;

private:
    ResolvedColumns mUse;
    std::vector<std::string> mColumns;
    std::unordered_set<std::string> mAllowed;
    std::string mAllowedListing;
    std::optional<FolderGuard> mImages;
    ImageLimits mLimits;
};

// 128 bits from two unrelated 64-bit hashes: two different rows share a
// fingerprint with odds far below one in 10^18 even for a billion rows, so
// duplicates are found exactly without keeping every text in memory.
struct Fingerprint {
    std::uint64_t a = 0;
    std::uint64_t b = 0;
    bool operator==(const Fingerprint &) const = default;
};

struct FingerprintHash {
    std::size_t operator()(const Fingerprint &f) const { return static_cast<std::size_t>(f.a); }
};

// Of a text and its optional pair; an image row passes its digest as `text`
// and its caption as `pair`, with `image` set so it never meets a text row.
Fingerprint fingerprint(std::string_view text, const std::optional<std::string> &pair, bool image = false);

} // namespace ft
