// metricschart_export.cpp: MetricsChart's exports: PNG, PDF and the data as CSV.
#include "charts/metricschart.h"

#include <qcustomplot.h>

#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QMessageBox>

#include <charconv>

namespace ft::ui {

namespace {

// Shortest text that reads back as exactly the same double.
QString exactNumber(double value)
{
    char buffer[64];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
    return QString::fromLatin1(buffer, int(result.ptr - buffer));
}

// RFC 4180: quote a field holding a comma, quote or line break; double its quotes.
QString csvField(const QString &text)
{
    if (!text.contains(QLatin1Char(',')) && !text.contains(QLatin1Char('"'))
        && !text.contains(QLatin1Char('\n')) && !text.contains(QLatin1Char('\r')))
        return text;
    QString quoted = text;
    quoted.replace(QLatin1String("\""), QLatin1String("\"\""));
    return QLatin1Char('"') + quoted + QLatin1Char('"');
}

} // namespace

bool MetricsChart::savePng(const QString &file)
{
    hideCrosshair();
    updateAxes();
    // An unshown widget has no useful size; export at a readable one then.
    const bool sized = mPlot->isVisible() && mPlot->width() >= 200;
    return mPlot->savePng(file, sized ? 0 : 1000, sized ? 0 : 600);
}

bool MetricsChart::savePdf(const QString &file)
{
    hideCrosshair();
    updateAxes();
    const bool sized = mPlot->isVisible() && mPlot->width() >= 200;
    return mPlot->savePdf(file, sized ? 0 : 1000, sized ? 0 : 600);
}

bool MetricsChart::saveCsv(const QString &file) const
{
    QFile out(file);
    if (!out.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return false;
    QByteArray chunk = "run,metric,step,epoch,wall_s,value\r\n";
    for (const auto &run : mRuns) {
        const QString name = csvField(run->name.isEmpty() ? QString::number(run->id) : run->name);
        for (const QString &metric : mMetricOrder) {
            const auto it = run->series.constFind(metric);
            if (it == run->series.constEnd())
                continue;
            const QString metricField = csvField(metric);
            for (const Point &p : *it) {
                chunk += QStringLiteral("%1,%2,%3,%4,%5,%6\r\n")
                             .arg(name, metricField, QString::number(p.step), exactNumber(p.epoch),
                                  exactNumber(p.wall), exactNumber(p.value))
                             .toUtf8();
                if (chunk.size() > (1 << 20)) {
                    if (out.write(chunk) != chunk.size())
                        return false;
                    chunk.clear();
                }
            }
        }
    }
    return out.write(chunk) == chunk.size() && out.flush();
}

void MetricsChart::exportWithDialog(const QString &kind)
{
    const QString filter = kind == QLatin1String("png")   ? tr("PNG image (*.png)")
                           : kind == QLatin1String("pdf") ? tr("PDF document (*.pdf)")
                                                          : tr("CSV file (*.csv)");
    QString file = QFileDialog::getSaveFileName(this, tr("Export chart"), QStringLiteral("metrics.") + kind, filter);
    if (file.isEmpty())
        return;
    if (!file.endsWith(QLatin1Char('.') + kind, Qt::CaseInsensitive))
        file += QLatin1Char('.') + kind;
    const bool ok = kind == QLatin1String("png")   ? savePng(file)
                    : kind == QLatin1String("pdf") ? savePdf(file)
                                                   : saveCsv(file);
    if (!ok)
        QMessageBox::warning(this, tr("Export chart"), tr("Could not write %1.").arg(QDir::toNativeSeparators(file)));
}

} // namespace ft::ui
