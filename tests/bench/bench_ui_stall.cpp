// bench_ui_stall.cpp: how long the GUI thread can go unserved while a run
// trains. The sample project's run (its scratch BERT and run.json, the
// studio's own sample) executes on the RunQueue's worker thread while a 5 ms
// heartbeat timer on the GUI thread records every gap between its ticks, and
// every metric point and progress report is received there as the studio
// receives them. Prints one JSON object; a benchmark, it never fails on times.
//
//   bench_ui_stall [--steps N]
#include "data/sample_dataset.h"
#include "runs/runqueue.h"
#include "train/run_config.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTimer>

#include <algorithm>
#include <cstdio>
#include <vector>

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    std::int64_t steps = 150;
    const QStringList args = app.arguments();
    for (int i = 1; i + 1 < args.size(); ++i)
        if (args[i] == QLatin1String("--steps"))
            steps = args[i + 1].toLongLong();

    QTemporaryDir dir;
    const std::filesystem::path project = dir.filePath(QStringLiteral("sample")).toStdString();
    ft::ensureSampleProject(project);
    ft::TrainingRequest request;
    request.project = project;
    request.dataset = "product-reviews";
    request.model = "scratch:" + (project / "scratch-model" / "config.json").string();
    request.config = ft::loadRunConfig(project / "scratch-model" / "run.json");
    request.config.maxSteps = steps;
    request.config.loggingSteps = 1;

    ft::ui::RunQueue queue;
    std::vector<double> gaps;
    QElapsedTimer sinceTick;
    QTimer heartbeat;
    heartbeat.setTimerType(Qt::PreciseTimer);
    heartbeat.setInterval(5);
    QObject::connect(&heartbeat, &QTimer::timeout, [&] {
        gaps.push_back(double(sinceTick.nsecsElapsed()) / 1e6);
        sinceTick.restart();
    });
    int points = 0;
    int reports = 0;
    QObject::connect(&queue, &ft::ui::RunQueue::metricPoint, [&] { ++points; });
    QObject::connect(&queue, &ft::ui::RunQueue::progress, [&] { ++reports; });
    QString outcome;
    QObject::connect(&queue, &ft::ui::RunQueue::runFinished, [&](int, ft::RunState state, const QString &error) {
        outcome = QString::fromLatin1(ft::toString(state)) + (error.isEmpty() ? QString() : QStringLiteral(": ") + error);
        app.quit();
    });
    QElapsedTimer wall;
    wall.start();
    sinceTick.start();
    heartbeat.start();
    queue.enqueue(request, QStringLiteral("bench"));
    app.exec();

    std::sort(gaps.begin(), gaps.end());
    const auto at = [&](double q) { return gaps.empty() ? 0.0 : gaps[size_t(q * double(gaps.size() - 1))]; };
    const QJsonObject result{{"steps", qint64(steps)},
                             {"outcome", outcome},
                             {"seconds", double(wall.elapsed()) / 1000.0},
                             {"metric_points", points},
                             {"progress_reports", reports},
                             {"heartbeat_ms", 5},
                             {"ticks", int(gaps.size())},
                             {"gap_median_ms", at(0.5)},
                             {"gap_p99_ms", at(0.99)},
                             {"gap_worst_ms", gaps.empty() ? 0.0 : gaps.back()}};
    std::printf("%s\n", QJsonDocument(result).toJson(QJsonDocument::Compact).constData());
    return 0;
}
