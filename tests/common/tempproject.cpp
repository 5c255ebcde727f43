// tempproject.cpp
#include "tempproject.h"

#include <QDir>
#include <QFile>

namespace ft::test {

QByteArray readBytes(const std::filesystem::path &file)
{
    QFile in(QString::fromStdString(file.string()));
    if (!in.open(QIODevice::ReadOnly))
        return {};
    return in.readAll();
}

void writeBytes(const std::filesystem::path &file, const QByteArray &bytes)
{
    QFile out(QString::fromStdString(file.string()));
    if (out.open(QIODevice::WriteOnly | QIODevice::Truncate))
        out.write(bytes);
}

QStringList folderListing(const std::filesystem::path &folder)
{
    QStringList names = QDir(QString::fromStdString(folder.string())).entryList(QDir::AllEntries | QDir::NoDotAndDotDot);
    names.sort();
    return names;
}

std::filesystem::path toPath(const QString &path)
{
    return std::filesystem::path(QFile::encodeName(path).toStdString());
}

} // namespace ft::test
