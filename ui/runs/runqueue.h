// runqueue.h: fine-tuning runs executing on a worker thread, one at a time,
// the others waiting in an order the user can change. Everything a run
// reports (metric points, progress, log lines, state changes) arrives as
// signals on the thread that owns the queue (the GUI thread), so the UI
// never waits on training. Pause and cancel are cooperative, between steps.
#pragma once

#include "train/trainer.h"

#include <QList>
#include <QObject>
#include <QString>

#include <memory>
#include <optional>

class QThread;

namespace ft::ui {

class RunQueue : public QObject {
    Q_OBJECT

public:
    enum class ItemState { Waiting, Running, Paused, Finished };

    struct Item {
        int id = 0;
        QString title;
        TrainingRequest request;
        ItemState state = ItemState::Waiting;
        std::optional<std::int64_t> runId;  // once the run exists in the store
        RunState outcome = RunState::Queued; // when finished: completed, cancelled, failed, interrupted
        QString error;
    };

    explicit RunQueue(QObject *parent = nullptr);
    // Interrupts the running run (recorded as interrupted, resumable from its
    // last checkpoint) and waits for it.
    ~RunQueue() override;

    // Adds a run at the end of the queue; it starts when nothing is running.
    int enqueue(const TrainingRequest &request, const QString &title);
    // Pause or resume the running item; false when it is not the running one.
    bool pause(int item);
    bool resume(int item);
    // A waiting item leaves the queue; the running one stops after its current step.
    bool cancel(int item);
    // Moves a waiting item one place earlier or later among the waiting ones.
    bool moveUp(int item);
    bool moveDown(int item);

    QList<Item> items() const { return mItems; } // in queue order; finished ones stay, at the end
    std::optional<Item> item(int id) const;
    std::optional<int> runningItem() const;
    bool isIdle() const { return !mThread; }

Q_SIGNALS:
    void itemsChanged();
    void runStarted(int item);
    void runCreated(int item, std::int64_t runId);
    void metricPoint(int item, const ft::MetricPoint &point);
    void progress(int item, const ft::TrainingProgress &progress);
    void logLine(int item, int level, const QString &text);
    void runStateChanged(int item, ft::RunState state, const QString &detail);
    void runFinished(int item, ft::RunState outcome, const QString &error);

private:
    void startNext();
    void finishRunning(const TrainingSummary *summary, const QString &error);
    Item *find(int id);
    int indexOf(int id) const;

    QList<Item> mItems;
    int mNextId = 1;
    QThread *mThread = nullptr;
    std::shared_ptr<RunControl> mControl; // of the running item
};

} // namespace ft::ui
