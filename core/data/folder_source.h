// folder_source.h: rows from a folder of class-named subfolders, one example
// per file: text files (the text is the file's content) or images (the row
// holds the image's path relative to the folder; the import decodes it). The
// subfolder's name is the label. Two more layouts are understood: subfolders
// named for splits (train, val, test, ...) that hold the class subfolders, as
// in torchvision's ImageFolder tutorials; and a folder without subfolders,
// whose files are unlabelled examples. Files directly beside class folders
// (a README) are not examples. Hidden files and folders are skipped; files
// deeper inside a class folder belong to that class. Order is byte-wise by
// name, so an import is reproducible. Memory holds one class folder's listing.
#pragma once

#include "data/folder_guard.h"
#include "data/row_source.h"

namespace ft {

class FolderSource final : public RowSource {
public:
    enum class Content { Text, Images };

    // The content is options.format (TextFolder or ImageFolder), else what
    // most files' extensions say (.txt or an image format). Throws ft::Error
    // (InvalidInput) for a folder without files, or whose content cannot be
    // told.
    FolderSource(const std::filesystem::path &folder, const ReadOptions &options);

    const std::vector<std::string> &columns() const override { return mColumns; }
    bool next(SourceRow &row) override;
    std::uint64_t bytesRead() const override { return mBytesDone; }
    std::uint64_t totalBytes() const override { return mBytesTotal; }
    std::string formatName() const override { return mContent == Content::Text ? "text-folder" : "image-folder"; }
    TextEncoding encoding() const override { return mOptions.encoding; }

    Content content() const { return mContent; }

private:
    struct Group {
        std::string folder; // relative to the root; "" for the root itself
        std::string label;  // "" for unlabelled files
        std::string split;  // "" without split folders
        bool recursive = true;
    };
    struct FileEntry {
        std::string path; // relative to the root, with '/' separators
        std::uint64_t size = 0;
    };

    std::vector<FileEntry> listFiles(const Group &group) const;
    void readText(const FileEntry &entry, SourceRow &row) const;

    FolderGuard mGuard;
    ReadOptions mOptions;
    Content mContent = Content::Text;
    std::vector<std::string> mColumns;
    std::vector<Group> mGroups;
    bool mSplitFolders = false;
    std::size_t mGroup = 0;
    std::vector<FileEntry> mFiles; // of mGroups[mGroup - 1]
    std::size_t mFile = 0;
    std::uint64_t mBytesDone = 0;
    std::uint64_t mBytesTotal = 0;
};

// Whether `path` names a folder (an import of a folder rather than a file).
bool isFolderSource(const std::filesystem::path &path);

} // namespace ft
