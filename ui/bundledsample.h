// bundledsample.h: the sample project that ships with the studio, in
// <prefix>/share/finetune-studio/projects/sample (found from the executable's
// own folder, so an unpacked tarball works anywhere), and the copy of it in
// the user's documents that the studio opens on first use: the installed one
// is never written to.
#pragma once

#include <QString>

namespace ft::ui {

// The installed sample beside `applicationDir` (<prefix>/bin); empty when there is none (a build tree).
QString bundledSampleFolder(const QString &applicationDir);

// <documentsDir>/Finetune Studio/sample: copied from `bundled` the first time (whole, or not at all),
// as it is afterwards. Empty, with the reason in *error, when it cannot be copied.
QString userSampleFolder(const QString &bundled, const QString &documentsDir, QString *error = nullptr);

} // namespace ft::ui
