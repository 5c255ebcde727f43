// folder_guard.cpp: lexical and real-path checks for files under a folder.
#include "data/folder_guard.h"

#include "common/error.h"

namespace fs = std::filesystem;

namespace ft {

namespace {

bool isInside(const fs::path &path, const fs::path &folder)
{
    auto p = path.begin();
    for (auto f = folder.begin(); f != folder.end(); ++f, ++p) {
        if (f->empty() && std::next(f) == folder.end())
            return true; // a trailing separator
        if (p == path.end() || *p != *f)
            return false;
    }
    return true;
}

} // namespace

FolderGuard::FolderGuard(const fs::path &root) : mRoot(root)
{
    std::error_code ec;
    if (!fs::is_directory(root, ec))
        throw Error(ErrorKind::NotFound, root.string() + " is not a folder");
    mRealRoot = fs::canonical(root, ec);
    if (ec)
        throw Error(ErrorKind::Io, "cannot resolve " + root.string() + ": " + ec.message());
}

bool FolderGuard::contains(const fs::path &real) const
{
    return isInside(real, mRealRoot);
}

std::string FolderGuard::check(const std::string &relative, std::string &normal, fs::path &real) const
{
    if (relative.empty())
        return "the path is empty";
    const fs::path path(relative);
    if (path.is_absolute())
        return "'" + relative + "' is an absolute path; it must be relative to " + mRoot.string();
    const fs::path lexical = path.lexically_normal();
    if (lexical.empty() || *lexical.begin() == ".." || lexical == ".")
        return "'" + relative + "' leads outside " + mRoot.string();
    normal = lexical.generic_string();
    const fs::path full = mRoot / lexical;
    std::error_code ec;
    const fs::file_status status = fs::symlink_status(full, ec);
    if (ec || !fs::exists(status))
        return "'" + normal + "' does not exist in " + mRoot.string();
    if (fs::is_symlink(status) && !fs::exists(full, ec))
        return "'" + normal + "' is a symbolic link to " + fs::read_symlink(full, ec).string()
               + ", which does not exist";
    real = fs::weakly_canonical(full, ec);
    if (ec)
        return "cannot resolve '" + normal + "': " + ec.message();
    if (!contains(real))
        return "'" + normal
               + (fs::is_symlink(status) ? "' is a symbolic link to " : "' leads through a symbolic link to ")
               + real.string() + ", outside " + mRoot.string();
    if (!fs::is_regular_file(real, ec))
        return "'" + normal + "' is not a file";
    return {};
}

} // namespace ft
