// folder_guard.h: keeps file references inside one folder. An image path in a
// data file, or a file found in an imported folder, may only name a regular
// file under that folder: not an absolute path, not one that climbs out with
// "..", and not a symbolic link (anywhere along the way) whose target lies
// outside it. The root itself may be reached through links: it is the
// folder the user picked (the folder imported, or the data file's folder),
// so its real path is what the files must stay under.
#pragma once

#include <filesystem>
#include <string>

namespace ft {

class FolderGuard {
public:
    // Throws ft::Error (NotFound) when `root` is not an existing folder.
    explicit FolderGuard(const std::filesystem::path &root);

    const std::filesystem::path &root() const { return mRoot; }

    // Why `relative` cannot be used (a reason that starts with the path in
    // quotes), or "" when it can; then `normal` is its
    // normal form relative to the root ("ants/1.jpg") and `real` its real path.
    std::string check(const std::string &relative, std::string &normal, std::filesystem::path &real) const;
    // Whether a real (symlink-free) path lies inside the root.
    bool contains(const std::filesystem::path &real) const;

private:
    std::filesystem::path mRoot;
    std::filesystem::path mRealRoot;
};

} // namespace ft
