// tempproject.h: helpers shared by the tests: scratch folders, file bytes.
#pragma once

#include <QByteArray>
#include <QString>

#include <filesystem>

namespace ft::test {

QByteArray readBytes(const std::filesystem::path &file);
void writeBytes(const std::filesystem::path &file, const QByteArray &bytes);
// Names of the entries in `folder`, sorted; to show nothing was added.
QStringList folderListing(const std::filesystem::path &folder);
std::filesystem::path toPath(const QString &path);

} // namespace ft::test
