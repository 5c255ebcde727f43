// runqueue.cpp
#include "runs/runqueue.h"

#include "common/error.h"

#include <QThread>

namespace ft::ui {

namespace {

// Runs on the worker thread: every report is posted to the queue's thread.
class ForwardingSink : public ProgressSink {
public:
    ForwardingSink(RunQueue *queue, int item) : mQueue(queue), mItem(item) {}

    void metric(const MetricPoint &point) override
    {
        post([q = mQueue, item = mItem, point] { Q_EMIT q->metricPoint(item, point); });
    }
    void progress(const TrainingProgress &progress) override
    {
        post([q = mQueue, item = mItem, progress] { Q_EMIT q->progress(item, progress); });
    }
    void log(LogLevel level, const std::string &message) override
    {
        const QString text = QString::fromStdString(message);
        post([q = mQueue, item = mItem, level, text] { Q_EMIT q->logLine(item, int(level), text); });
    }
    void stateChanged(RunState state, const std::string &detail) override
    {
        const QString text = QString::fromStdString(detail);
        post([q = mQueue, item = mItem, state, text] { Q_EMIT q->runStateChanged(item, state, text); });
    }
    void runCreated(std::int64_t runId) override
    {
        post([q = mQueue, item = mItem, runId] { Q_EMIT q->runCreated(item, runId); });
    }

private:
    template <typename F>
    void post(F &&call)
    {
        QMetaObject::invokeMethod(mQueue, std::forward<F>(call), Qt::QueuedConnection);
    }

    RunQueue *mQueue;
    int mItem;
};

} // namespace

RunQueue::RunQueue(QObject *parent) : QObject(parent)
{
    // The queue's own bookkeeping follows what the run reports.
    connect(this, &RunQueue::runCreated, this, [this](int id, std::int64_t runId) {
        if (Item *item = find(id))
            item->runId = runId;
        Q_EMIT itemsChanged();
    });
    connect(this, &RunQueue::runStateChanged, this, [this](int id, RunState state, const QString &) {
        Item *item = find(id);
        if (!item || item->state == ItemState::Finished)
            return;
        if (state == RunState::Paused)
            item->state = ItemState::Paused;
        else if (state == RunState::Running)
            item->state = ItemState::Running;
        Q_EMIT itemsChanged();
    });
}

RunQueue::~RunQueue()
{
    if (mThread) {
        // Interrupted, not cancelled: the run is recorded as stopped by the
        // app closing, and resumes from its last checkpoint next time.
        mControl->stopAfterStep = 1;
        mControl->pause = false;
        mThread->wait();
    }
}

int RunQueue::enqueue(const TrainingRequest &request, const QString &title)
{
    Item item;
    item.id = mNextId++;
    item.title = title;
    item.request = request;
    // Waiting items go before the finished ones.
    int at = 0;
    while (at < mItems.size() && mItems[at].state != ItemState::Finished)
        ++at;
    mItems.insert(at, item);
    Q_EMIT itemsChanged();
    startNext();
    return item.id;
}

std::optional<RunQueue::Item> RunQueue::item(int id) const
{
    const int index = indexOf(id);
    return index < 0 ? std::nullopt : std::optional<Item>(mItems[index]);
}

std::optional<int> RunQueue::runningItem() const
{
    for (const Item &item : mItems)
        if (item.state == ItemState::Running || item.state == ItemState::Paused)
            return item.id;
    return std::nullopt;
}

RunQueue::Item *RunQueue::find(int id)
{
    const int index = indexOf(id);
    return index < 0 ? nullptr : &mItems[index];
}

int RunQueue::indexOf(int id) const
{
    for (int i = 0; i < mItems.size(); ++i)
        if (mItems[i].id == id)
            return i;
    return -1;
}

bool RunQueue::pause(int id)
{
    if (runningItem() != id)
        return false;
    mControl->pause = true;
    return true;
}

bool RunQueue::resume(int id)
{
    if (runningItem() != id)
        return false;
    mControl->pause = false;
    return true;
}

bool RunQueue::cancel(int id)
{
    Item *item = find(id);
    if (!item || item->state == ItemState::Finished)
        return false;
    if (item->state == ItemState::Waiting) {
        Item cancelled = *item;
        cancelled.state = ItemState::Finished;
        cancelled.outcome = RunState::Cancelled;
        mItems.removeAt(indexOf(id));
        mItems.append(cancelled);
        Q_EMIT itemsChanged();
        Q_EMIT runFinished(id, RunState::Cancelled, {});
        return true;
    }
    mControl->pause = false;
    mControl->cancel = true;
    return true;
}

bool RunQueue::moveUp(int id)
{
    const int index = indexOf(id);
    if (index <= 0 || mItems[index].state != ItemState::Waiting || mItems[index - 1].state != ItemState::Waiting)
        return false;
    mItems.swapItemsAt(index, index - 1);
    Q_EMIT itemsChanged();
    return true;
}

bool RunQueue::moveDown(int id)
{
    const int index = indexOf(id);
    if (index < 0 || index + 1 >= mItems.size() || mItems[index].state != ItemState::Waiting
        || mItems[index + 1].state != ItemState::Waiting)
        return false;
    mItems.swapItemsAt(index, index + 1);
    Q_EMIT itemsChanged();
    return true;
}

void RunQueue::startNext()
{
    if (mThread)
        return;
    int index = 0;
    while (index < mItems.size() && mItems[index].state != ItemState::Waiting)
        ++index;
    if (index == mItems.size())
        return;
    // The running item moves to the front, ahead of those still waiting.
    Item item = mItems.takeAt(index);
    item.state = ItemState::Running;
    mItems.prepend(item);
    mControl = std::make_shared<RunControl>();
    const int id = item.id;
    const TrainingRequest request = item.request;
    const auto control = mControl;
    mThread = QThread::create([this, id, request, control] {
        ForwardingSink sink(this, id);
        try {
            const TrainingSummary summary = train(request, sink, *control);
            QMetaObject::invokeMethod(this, [this, summary] { finishRunning(&summary, {}); }, Qt::QueuedConnection);
        } catch (const std::exception &e) {
            const QString error = QString::fromStdString(e.what());
            QMetaObject::invokeMethod(this, [this, error] { finishRunning(nullptr, error); }, Qt::QueuedConnection);
        }
    });
    mThread->setObjectName(QStringLiteral("run %1").arg(id));
    Q_EMIT itemsChanged();
    Q_EMIT runStarted(id);
    mThread->start();
}

void RunQueue::finishRunning(const TrainingSummary *summary, const QString &error)
{
    mThread->wait();
    delete mThread;
    mThread = nullptr;
    const auto running = runningItem();
    if (running) {
        const int index = indexOf(*running);
        Item item = mItems.takeAt(index);
        item.state = ItemState::Finished;
        item.outcome = summary ? summary->state : RunState::Failed;
        if (summary)
            item.runId = summary->runId;
        item.error = error;
        mItems.append(item);
        Q_EMIT itemsChanged();
        Q_EMIT runFinished(item.id, item.outcome, error);
    }
    startNext();
}

} // namespace ft::ui
