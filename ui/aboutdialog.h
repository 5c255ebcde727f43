// aboutdialog.h: the About dialog, with the same versions `finetune doctor`
// prints, so a bug report can quote them.
#pragma once

#include <QDialog>

class QLabel;

namespace ft::ui {

class AboutDialog : public QDialog {
    Q_OBJECT

public:
    explicit AboutDialog(QWidget *parent = nullptr);
    QString versionsText() const;

private:
    QLabel *mVersions;
};

} // namespace ft::ui
