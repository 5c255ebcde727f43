// uitesthelpers.h: what the UI tests share: delivering a file-manager drop
// onto a widget, where screenshots go, and the tiny image classifiers.
#pragma once

#include <QApplication>
#include <QDir>
#include <QDropEvent>
#include <QMimeData>
#include <QStringList>
#include <QUrl>
#include <QWidget>

#include <filesystem>

namespace ft::test {

// A drag-enter and, when accepted, a drop of `paths` onto `target`'s centre.
// Returns whether the drop was accepted.
inline bool dropPaths(QWidget &target, const QStringList &paths)
{
    QMimeData mime;
    QList<QUrl> urls;
    for (const QString &path : paths)
        urls << QUrl::fromLocalFile(path);
    mime.setUrls(urls);
    const QPoint at = target.rect().center();
    QDragEnterEvent enter(at, Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(&target, &enter);
    if (!enter.isAccepted())
        return false;
    QDropEvent drop(at, Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(&target, &drop);
    return drop.isAccepted();
}

// build/test-artifacts/<name>, for screenshots a person looks at.
inline QString artifactPath(const QString &name)
{
    QDir().mkpath(QStringLiteral(FT_TEST_ARTIFACTS));
    return QStringLiteral(FT_TEST_ARTIFACTS "/") + name;
}

// tests/vision/golden: tiny ViT and ResNet classifiers (classes ant, bee,
// wasp) and a few images; found beside this file, as the UI tests have no
// other path to the test sources.
inline std::filesystem::path visionGolden()
{
    return std::filesystem::path(__FILE__).parent_path().parent_path() / "vision" / "golden";
}

} // namespace ft::test
