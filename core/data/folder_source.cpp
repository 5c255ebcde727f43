// folder_source.cpp: walking class folders, and reading one text file per row.
#include "data/folder_source.h"

#include "common/error.h"
#include "data/image_check.h"
#include "data/input_file.h"
#include "data/splits.h"
#include "data/utf8_check.h"

#include <algorithm>
#include <cstring>

namespace fs = std::filesystem;

namespace ft {

namespace {

bool isHidden(const fs::path &path)
{
    const std::string name = path.filename().string();
    return !name.empty() && name[0] == '.';
}

bool isTextFile(const fs::path &path)
{
    std::string extension = path.extension().string();
    std::transform(extension.begin(), extension.end(), extension.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return extension == ".txt";
}

// Non-hidden subfolders of `folder`, byte-wise sorted.
std::vector<std::string> subfolders(const fs::path &folder)
{
    std::vector<std::string> names;
    std::error_code ec;
    for (fs::directory_iterator it(folder, fs::directory_options::skip_permission_denied, ec), end; !ec && it != end;
         it.increment(ec)) {
        if (!isHidden(it->path()) && it->is_directory(ec))
            names.push_back(it->path().filename().string());
    }
    if (ec)
        throw Error(ErrorKind::Io, "cannot list " + folder.string() + ": " + ec.message());
    std::sort(names.begin(), names.end());
    return names;
}

bool isSplitName(const std::string &name)
{
    const auto split = parseSplit(name);
    return split && *split != Split::Unassigned;
}

} // namespace

bool isFolderSource(const fs::path &path)
{
    std::error_code ec;
    return fs::is_directory(path, ec);
}

FolderSource::FolderSource(const fs::path &folder, const ReadOptions &options) : mGuard(folder), mOptions(options)
{
    const std::vector<std::string> top = subfolders(folder);
    mSplitFolders = !top.empty() && std::all_of(top.begin(), top.end(), isSplitName);
    if (top.empty()) {
        mGroups.push_back({"", "", "", false});
    } else if (mSplitFolders) {
        for (const std::string &split : top) {
            const std::vector<std::string> classes = subfolders(folder / split);
            if (classes.empty())
                mGroups.push_back({split, "", split, false});
            for (const std::string &label : classes)
                mGroups.push_back({split + "/" + label, label, split, true});
        }
    } else {
        for (const std::string &label : top)
            mGroups.push_back({label, label, "", true});
    }

    // One walk up front for the total size (progress) and the content.
    std::size_t texts = 0, images = 0, files = 0;
    for (const Group &group : mGroups) {
        for (const FileEntry &entry : listFiles(group)) {
            mBytesTotal += entry.size;
            ++files;
            texts += isTextFile(entry.path) ? 1 : 0;
            images += hasImageExtension(entry.path) ? 1 : 0;
        }
    }
    if (files == 0)
        throw Error(ErrorKind::InvalidInput, folder.string() + " holds no files to import (expected class-named "
                                                               "subfolders of .txt files or of images)");
    if (options.format == FileFormat::TextFolder)
        mContent = Content::Text;
    else if (options.format == FileFormat::ImageFolder)
        mContent = Content::Images;
    else if (texts == 0 && images == 0)
        throw Error(ErrorKind::InvalidInput, "cannot tell whether " + folder.string()
                                                 + " holds text files or images: no file ends in .txt or an image "
                                                   "extension (.png, .jpg, .bmp, ...); choose the format");
    else
        mContent = images > texts ? Content::Images : Content::Text;

    mColumns = {mContent == Content::Text ? "text" : "image", "label"};
    if (mSplitFolders)
        mColumns.push_back("split");
}

std::vector<FolderSource::FileEntry> FolderSource::listFiles(const Group &group) const
{
    std::vector<FileEntry> entries;
    const fs::path base = mGuard.root() / group.folder;
    std::error_code ec;
    const auto add = [&](const fs::directory_entry &entry) {
        std::error_code statError;
        const std::string relative = entry.path().lexically_relative(mGuard.root()).generic_string();
        if (entry.is_symlink(statError)) {
            // Listed, not followed, so the guard can refuse links that lead
            // out of the folder; a link to a folder inside it is no example.
            if (entry.is_directory(statError) && mGuard.contains(fs::weakly_canonical(entry.path(), statError)))
                return;
        } else if (!entry.is_regular_file(statError)) {
            return;
        }
        entries.push_back({relative, entry.is_regular_file(statError) ? entry.file_size(statError) : 0});
    };
    if (group.recursive) {
        for (fs::recursive_directory_iterator it(base, fs::directory_options::skip_permission_denied, ec), end;
             !ec && it != end; it.increment(ec)) {
            if (isHidden(it->path())) {
                it.disable_recursion_pending();
                continue;
            }
            add(*it);
        }
    } else {
        for (fs::directory_iterator it(base, fs::directory_options::skip_permission_denied, ec), end;
             !ec && it != end; it.increment(ec)) {
            if (!isHidden(it->path()))
                add(*it);
        }
    }
    if (ec)
        throw Error(ErrorKind::Io, "cannot list " + base.string() + ": " + ec.message());
    std::sort(entries.begin(), entries.end(), [](const FileEntry &a, const FileEntry &b) { return a.path < b.path; });
    return entries;
}

bool FolderSource::next(SourceRow &row)
{
    while (mFile == mFiles.size()) {
        if (mGroup == mGroups.size())
            return false;
        mFiles = listFiles(mGroups[mGroup++]);
        mFile = 0;
    }
    const FileEntry &entry = mFiles[mFile++];
    const Group &group = mGroups[mGroup - 1];
    mBytesDone += entry.size;
    row.line = 0;
    row.error.clear();
    row.file = entry.path;
    row.values.assign(mColumns.size(), std::string());
    row.values[1] = group.label;
    if (mSplitFolders)
        row.values[2] = group.split;
    if (mContent == Content::Images)
        row.values[0] = entry.path; // checked and decoded by the import
    else
        readText(entry, row);
    if (!row.error.empty())
        row.values.clear();
    return true;
}

void FolderSource::readText(const FileEntry &entry, SourceRow &row) const
{
    std::string normal;
    fs::path real;
    if (std::string problem = mGuard.check(entry.path, normal, real); !problem.empty()) {
        row.error = std::move(problem);
        return;
    }
    std::string &text = row.values[0];
    try {
        InputFile file(real, mOptions.encoding);
        std::vector<char> chunk(mOptions.chunkBytes);
        while (const std::size_t got = file.read(chunk.data(), chunk.size())) {
            if (text.size() + got > mOptions.maxRecordBytes) {
                row.error = "the file is longer than " + std::to_string(mOptions.maxRecordBytes) + " bytes";
                return;
            }
            text.append(chunk.data(), got);
        }
        const std::size_t bad = firstInvalidUtf8(text).value_or(std::string::npos);
        if (bad != std::string::npos) {
            row.line = 1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(bad), '\n');
            row.error = invalidTextReason(text, bad, file.encoding(), "the file");
            return;
        }
    } catch (const Error &e) {
        row.error = e.what();
        return;
    }
    if (std::memchr(text.data(), 0, text.size())) {
        row.error = "the file holds a NUL byte (a binary file?)";
        return;
    }
    // One example per file: the file's last line end is not part of it.
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
        text.pop_back();
    if (text.find_first_not_of(" \t\r\n") == std::string::npos)
        row.error = "the file is empty";
}

} // namespace ft
