// bench_dataset_view.cpp: how the Datasets page copes with a big dataset:
// the time from opening a project to the first painted page of examples, and
// the time of every frame while scrolling (page steps, then jumps to random
// places), searching and filtering. Paints are synchronous repaints of the
// real widgets (QT_QPA_PLATFORM=offscreen), each including the store reads
// it triggers. Prints one JSON object. A benchmark: it never fails on times.
//
//   bench_dataset_view PROJECT [--steps N] [--seed N]
#include "models/examplesmodel.h"
#include "pages/datasetspage.h"
#include "store/project.h"

#include <QApplication>
#include <QComboBox>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLineEdit>
#include <QScrollBar>
#include <QTableView>

#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <random>
#include <vector>

namespace {

double peakRssMb()
{
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return double(usage.ru_maxrss) / 1024.0;
}

QJsonObject summary(std::vector<double> ms)
{
    std::sort(ms.begin(), ms.end());
    const auto at = [&](double q) { return ms.empty() ? 0.0 : ms[size_t(q * double(ms.size() - 1))]; };
    return {{"frames", int(ms.size())}, {"median_ms", at(0.5)}, {"p99_ms", at(0.99)}, {"worst_ms", ms.empty() ? 0 : ms.back()}};
}

} // namespace

int main(int argc, char **argv)
{
    qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    const QStringList args = app.arguments();
    if (args.size() < 2) {
        std::fprintf(stderr, "usage: bench_dataset_view PROJECT [--steps N] [--seed N]\n");
        return 2;
    }
    int steps = 200;
    unsigned seed = 1;
    for (int i = 2; i + 1 < args.size(); i += 2) {
        if (args[i] == QLatin1String("--steps"))
            steps = args[i + 1].toInt();
        else if (args[i] == QLatin1String("--seed"))
            seed = args[i + 1].toUInt();
    }

    ft::Project project = ft::Project::open(args[1].toStdString());
    ft::ui::DatasetsPage page;
    page.resize(1200, 800);
    page.show();
    QTableView *table = page.examplesTable();
    QScrollBar *bar = table->verticalScrollBar();
    const auto paint = [&] {
        QElapsedTimer timer;
        timer.start();
        table->viewport()->repaint();
        return double(timer.nsecsElapsed()) / 1e6;
    };

    QElapsedTimer open;
    open.start();
    page.setProject(&project);
    QApplication::processEvents();
    const double queryMs = double(open.nsecsElapsed()) / 1e6;
    paint();
    const double firstPaintMs = double(open.nsecsElapsed()) / 1e6;
    const int rows = table->model()->rowCount();

    std::vector<double> pageSteps;
    for (int i = 0; i < steps; ++i) {
        QElapsedTimer timer;
        timer.start();
        bar->triggerAction(QAbstractSlider::SliderPageStepAdd);
        paint();
        pageSteps.push_back(double(timer.nsecsElapsed()) / 1e6);
    }
    std::mt19937 random(seed);
    std::vector<double> jumps;
    for (int i = 0; i < steps; ++i) {
        QElapsedTimer timer;
        timer.start();
        bar->setValue(int(random() % unsigned(std::max(1, bar->maximum()))));
        paint();
        jumps.push_back(double(timer.nsecsElapsed()) / 1e6);
    }
    // Filters: a label, then a text search (which reads every text). The
    // model queries the store between its reset signals: that is the query time.
    QElapsedTimer resetTimer;
    double lastQueryMs = 0;
    QObject::connect(table->model(), &QAbstractItemModel::modelAboutToBeReset, [&] { resetTimer.start(); });
    QObject::connect(table->model(), &QAbstractItemModel::modelReset,
                     [&] { lastQueryMs = double(resetTimer.nsecsElapsed()) / 1e6; });
    page.labelFilter()->setCurrentIndex(std::min(2, page.labelFilter()->count() - 1));
    Q_EMIT page.labelFilter()->activated(page.labelFilter()->currentIndex());
    const double labelQueryMs = lastQueryMs;
    const double labelPaintMs = paint();
    const int labelRows = table->model()->rowCount();
    page.labelFilter()->setCurrentIndex(0);
    Q_EMIT page.labelFilter()->activated(0);
    lastQueryMs = -1;
    page.searchField()->setText(QStringLiteral("kettle"));
    while (lastQueryMs < 0) // the search starts after a pause in typing
        QApplication::processEvents(QEventLoop::WaitForMoreEvents, 50);
    const double searchQueryMs = lastQueryMs;
    const double searchPaintMs = paint();

    const QJsonObject result{{"rows", rows},
                             {"open_query_ms", queryMs},
                             {"first_paint_ms", firstPaintMs},
                             {"page_steps", summary(pageSteps)},
                             {"random_jumps", summary(jumps)},
                             {"label_filter_query_ms", labelQueryMs},
                             {"label_filter_paint_ms", labelPaintMs},
                             {"label_filter_rows", labelRows},
                             {"search_query_ms", searchQueryMs},
                             {"search_paint_ms", searchPaintMs},
                             {"search_rows", table->model()->rowCount()},
                             {"peak_rss_mb", peakRssMb()}};
    std::printf("%s\n", QJsonDocument(result).toJson(QJsonDocument::Compact).constData());
    return 0;
}
