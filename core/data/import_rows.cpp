// import_rows.cpp: row checks, examples and fingerprints for the import.
#include "data/import_rows.h"

#include "data/splits.h"

namespace fs = std::filesystem;

namespace ft {

namespace {

std::string_view trimmed(std::string_view text)
{
    const auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos)
        return {};
    return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

std::uint64_t fnv1a(std::string_view text, std::uint64_t hash = 14695981039346656037ull)
{
    for (const char c : text) {
        hash ^= static_cast<unsigned char>(c);
        hash *= 1099511628211ull;
    }
    return hash;
}

std::uint64_t mix(std::uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    return x ^ (x >> 33);
}

} // namespace

Fingerprint fingerprint(std::string_view text, const std::optional<std::string> &pair, bool image)
{
    // The lengths and the pair's presence go in too, so ("a b", none) and
    // ("a", "b") never meet.
    const std::string_view second = pair ? std::string_view(*pair) : std::string_view();
    const std::uint64_t shape = (static_cast<std::uint64_t>(text.size()) << 2) ^ (pair ? 1 : 0) ^ (image ? 2 : 0);
    const std::hash<std::string_view> hash;
    return {mix(fnv1a(second, fnv1a(text)) ^ mix(shape)),
            mix(hash(text) * 31 + hash(second)) ^ mix(shape + second.size())};
}

ImportRowChecker::ImportRowChecker(const ResolvedColumns &use, const std::vector<std::string> &columns,
                                   const std::vector<std::string> &allowedLabels, const fs::path &imageRoot)
    : mUse(use), mColumns(columns)
{
    for (const std::string &label : allowedLabels) {
        const std::string name(trimmed(label));
        if (!name.empty() && mAllowed.insert(name).second)
            mAllowedListing += (mAllowedListing.empty() ? "" : ", ") + name;
    }
    if (mUse.image)
        mImages.emplace(imageRoot.empty() ? fs::path(".") : imageRoot);
}

std::string ImportRowChecker::check(SourceRow &row, Example &example, std::string &digest) const
{
    if (!row.error.empty())
        return std::move(row.error);
    digest.clear();
    example.imagePath.reset();
    if (mUse.image) {
        const std::string &value = row.values[*mUse.image];
        std::string normal;
        fs::path real;
        // A folder import names the file in the error itself; a data file
        // names its line, so the reason says which image.
        const std::string which = row.file.empty() ? "image '" + value + "': " : "";
        if (trimmed(value).empty())
            return "the image path (column '" + mColumns[*mUse.image] + "') is empty";
        if (std::string problem = mImages->check(value, normal, real); !problem.empty())
            return row.file.empty() ? "image " + problem : problem;
        ImageCheck image = checkImage(real, mLimits);
        if (!image.error.empty())
            return which + image.error;
        digest = std::move(image.digest);
        example.imagePath = std::move(normal);
    }
    if (mUse.hasText && !mUse.image && trimmed(row.values[mUse.text]).empty())
        return "the text (column '" + mColumns[mUse.text] + "') is empty";
    if (mUse.split) {
        const std::string &value = row.values[*mUse.split];
        const auto split = trimmed(value).empty() ? std::optional(Split::Unassigned) : parseSplit(value);
        if (!split)
            return "unknown split '" + value + "' in column '" + mColumns[*mUse.split]
                   + "' (expected train, validation, valid, dev, eval or test)";
        example.split = splitName(*split);
    }
    example.label.reset();
    if (mUse.label) {
        const std::string_view label = trimmed(row.values[*mUse.label]);
        if (!label.empty()) {
            if (!mAllowed.empty() && !mAllowed.count(std::string(label)))
                return "unknown label '" + std::string(label) + "' (expected one of: " + mAllowedListing + ")";
            example.label = std::string(label);
        }
    }
    example.text.clear();
    if (mUse.hasText)
        example.text = std::move(row.values[mUse.text]);
    example.textB.reset();
    if (mUse.textPair && !trimmed(row.values[*mUse.textPair]).empty())
        example.textB = std::move(row.values[*mUse.textPair]);
    return {};
}

} // namespace ft
