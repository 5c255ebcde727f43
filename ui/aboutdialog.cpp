// aboutdialog.cpp
#include "aboutdialog.h"

#include "common/version.h"
#include "system/system_report.h"

#include <QApplication>
#include <QDialogButtonBox>
#include <QLabel>
#include <QVBoxLayout>
#include <QtGlobal>

namespace ft::ui {

AboutDialog::AboutDialog(QWidget *parent) : QDialog(parent), mVersions(new QLabel(this))
{
    setWindowTitle(tr("About %1").arg(QString::fromUtf8(kApplicationName)));
    const SystemReport report = collectSystemReport();

    auto *heading = new QLabel(tr("<h2>%1 %2</h2><p>Fine-tune pretrained models on your own data, on your own "
                                  "machine.</p>")
                                   .arg(QString::fromUtf8(kApplicationName), QString::fromUtf8(kVersion)),
                               this);
    QString gpus;
    for (const GpuDevice &gpu : report.gpus)
        gpus += QStringLiteral("cuda:%1 %2<br>").arg(gpu.index).arg(QString::fromStdString(gpu.name).toHtmlEscaped());
    if (gpus.isEmpty())
        gpus = tr("none (training runs on the CPU)");

    const auto row = [](const QString &name, const QString &value) {
        return QStringLiteral("<tr><td><b>%1</b></td><td>%2</td></tr>").arg(name, value.toHtmlEscaped());
    };
    QString table = QStringLiteral("<table cellspacing='4'>");
    table += row(tr("LibTorch"), QString::fromStdString(report.libtorch));
    table += row(tr("Qt"), QString::fromLatin1(qVersion()));
    table += row(tr("SQLite"), QString::fromStdString(report.sqlite));
    table += row(tr("Compiler"), QString::fromStdString(report.compiler));
    table += row(tr("BLAS"), QString::fromStdString(report.blasLibrary));
    if (!report.blasConfig.empty())
        table += row(QString(), QString::fromStdString(report.blasConfig));
    table += row(tr("Threads"), tr("%1 hardware, LibTorch default %2").arg(report.hardwareThreads).arg(report.torchThreads));
    table += QStringLiteral("<tr><td><b>%1</b></td><td>%2</td></tr>").arg(tr("GPUs"), gpus);
    table += QStringLiteral("</table>");
    mVersions->setText(table);
    mVersions->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(heading);
    layout->addWidget(mVersions);
    layout->addWidget(buttons);
}

QString AboutDialog::versionsText() const
{
    return mVersions->text();
}

} // namespace ft::ui
