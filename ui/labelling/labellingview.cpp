// labellingview.cpp
#include "labelling/labellingview.h"

#include "labelling/balancechart.h"
#include "infer/label_suggestions.h"
#include "store/example_query.h"
#include "store/labels.h"
#include "store/project.h"

#include <QComboBox>
#include <QDir>
#include <QPixmap>
#include <QHBoxLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QToolButton>
#include <QUndoCommand>
#include <QUndoStack>
#include <QVBoxLayout>

#include <algorithm>

namespace ft::ui {

// One label given to one example; undo puts the previous label back and
// returns to that example.
class SetLabelCommand : public QUndoCommand {
public:
    SetLabelCommand(LabellingView *view, int position, std::optional<std::int64_t> from, std::optional<std::int64_t> to)
        : mView(view), mPosition(position), mFrom(from), mTo(to)
    {
        setText(LabellingView::tr("label example"));
    }
    void redo() override
    {
        mView->applyLabel(mPosition, mFrom, mTo);
        mView->showPosition(mPosition + 1);
    }
    void undo() override
    {
        mView->applyLabel(mPosition, mTo, mFrom);
        mView->showPosition(mPosition);
    }

private:
    LabellingView *mView;
    int mPosition;
    std::optional<std::int64_t> mFrom;
    std::optional<std::int64_t> mTo;
};

LabellingView::LabellingView(QWidget *parent)
    : QWidget(parent),
      mUndo(new QUndoStack(this)),
      mOrder(new QComboBox(this)),
      mPositionText(new QLabel(this)),
      mText(new QLabel(this)),
      mCurrentLabel(new QLabel(this)),
      mSuggestionText(new QLabel(this)),
      mButtonRow(new QHBoxLayout),
      mProgress(new QProgressBar(this)),
      mProgressText(new QLabel(this)),
      mChart(new BalanceChart(this))
{
    setFocusPolicy(Qt::StrongFocus);
    QFont large = mText->font();
    large.setPointSizeF(large.pointSizeF() * 1.6);
    mText->setFont(large);
    mText->setWordWrap(true);
    mText->setAlignment(Qt::AlignCenter);
    mText->setTextInteractionFlags(Qt::TextSelectableByMouse);
    mText->setMinimumHeight(160);
    mText->setFrameShape(QFrame::StyledPanel);
    mCurrentLabel->setAlignment(Qt::AlignCenter);
    mSuggestionText->setAlignment(Qt::AlignCenter);
    mPositionText->setEnabled(false);

    auto *undo = new QToolButton(this);
    undo->setText(tr("Undo"));
    undo->setToolTip(tr("Undo the last label (Ctrl+Z)"));
    auto *redo = new QToolButton(this);
    redo->setText(tr("Redo"));
    redo->setToolTip(tr("Redo (Ctrl+Shift+Z)"));
    auto *back = new QToolButton(this);
    back->setText(tr("Back"));
    back->setToolTip(tr("The previous example (Backspace)"));
    auto *done = new QToolButton(this);
    done->setText(tr("Done"));
    done->setToolTip(tr("Leave labelling mode (Esc)"));
    connect(undo, &QToolButton::clicked, mUndo, &QUndoStack::undo);
    connect(redo, &QToolButton::clicked, mUndo, &QUndoStack::redo);
    connect(mUndo, &QUndoStack::canUndoChanged, undo, &QWidget::setEnabled);
    connect(mUndo, &QUndoStack::canRedoChanged, redo, &QWidget::setEnabled);
    undo->setEnabled(false);
    redo->setEnabled(false);
    connect(back, &QToolButton::clicked, this, &LabellingView::goBack);
    connect(done, &QToolButton::clicked, this, &LabellingView::closeRequested);

    mOrder->addItem(tr("In import order"));
    mOrder->addItem(tr("Most uncertain first (margin)"));
    mOrder->addItem(tr("Most uncertain first (entropy)"));
    mOrder->setToolTip(tr("With a model's suggestions, label first the examples it is least sure of"));
    mOrder->setFocusPolicy(Qt::NoFocus);
    mOrder->setEnabled(false);
    connect(mOrder, &QComboBox::activated, this, [this](int index) { setOrder(Order(index)); });

    auto *top = new QHBoxLayout;
    top->addWidget(mPositionText, 1);
    top->addWidget(mOrder);
    top->addWidget(back);
    top->addWidget(undo);
    top->addWidget(redo);
    top->addWidget(done);

    auto *progressRow = new QHBoxLayout;
    progressRow->addWidget(mProgress, 1);
    progressRow->addWidget(mProgressText);
    mProgress->setTextVisible(false);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(mText, 3);
    layout->addWidget(mCurrentLabel);
    layout->addWidget(mSuggestionText);
    layout->addLayout(mButtonRow);
    layout->addLayout(progressRow);
    layout->addWidget(mChart, 2);
}

void LabellingView::setDataset(Project *project, std::int64_t datasetId)
{
    mUndo->clear();
    mProject = project;
    mDatasetId = datasetId;
    mLabelIds.clear();
    mLabelNames.clear();
    mQueue.clear();
    mCounts.clear();
    mSuggestions.clear();
    mOrder->setCurrentIndex(0);
    mOrder->setEnabled(false);
    qDeleteAll(mButtons);
    mButtons.clear();
    mUnlabelled = 0;
    mExampleCount = 0;
    if (project) {
        const LabelBreakdown breakdown = labelBreakdown(*project, datasetId);
        for (const LabelSplitCounts &label : breakdown.labels) {
            mLabelIds.push_back(label.label.id);
            mLabelNames << QString::fromStdString(label.label.name);
            mCounts.insert(label.label.id, double(label.counts.total()));
            mExampleCount += label.counts.total();
        }
        mUnlabelled = breakdown.unlabelled.total();
        mExampleCount += mUnlabelled;

        ExampleFilter unlabelled;
        unlabelled.datasetId = datasetId;
        unlabelled.includeUnlabelled = true;
        mQueue = matchingIds(*project, unlabelled, {});
        if (mQueue.empty()) {
            ExampleFilter all;
            all.datasetId = datasetId;
            mQueue = matchingIds(*project, all, {});
        }
    }
    for (int i = 0; i < mLabelNames.size(); ++i) {
        const QString key = i < 9 ? QString::number(i + 1) : QString();
        auto *button = new QPushButton(key.isEmpty() ? mLabelNames[i] : key + QStringLiteral("  ") + mLabelNames[i], this);
        button->setToolTip(key.isEmpty() ? tr("Give this label") : tr("Give this label (key %1)").arg(key));
        button->setFocusPolicy(Qt::NoFocus); // keys stay with the view
        connect(button, &QPushButton::clicked, this, [this, i] { assignLabel(i); });
        mButtonRow->addWidget(button);
        mButtons << button;
    }
    mChart->setLabels(mLabelNames);
    updateProgress();
    showPosition(0);
}

void LabellingView::setSuggestions(const Suggestions &suggestions)
{
    mSuggestions = suggestions;
    mOrder->setEnabled(!mSuggestions.isEmpty());
    setOrder(Order(mOrder->currentIndex()));
}

void LabellingView::setOrder(Order order)
{
    if (mOrder->currentIndex() != int(order)) {
        const QSignalBlocker block(mOrder);
        mOrder->setCurrentIndex(int(order));
    }
    // Reorder what is still ahead; what was labelled stays behind for Backspace and undo.
    std::vector<std::int64_t> ahead(mQueue.begin() + mPosition, mQueue.end());
    std::vector<LabelSuggestion> scored;
    std::vector<std::int64_t> unscored;
    for (const auto id : ahead) {
        const auto found = mSuggestions.constFind(id);
        if (order != Order::Import && found != mSuggestions.constEnd())
            scored.push_back({id, found->label.toStdString(), found->labelId, found->confidence, found->margin,
                              found->entropy});
        else
            unscored.push_back(id);
    }
    std::vector<std::int64_t> ordered =
        mostUncertainFirst(std::move(scored), order == Order::LargestEntropy ? Uncertainty::Entropy : Uncertainty::Margin);
    std::sort(unscored.begin(), unscored.end());
    ordered.insert(ordered.end(), unscored.begin(), unscored.end());
    std::copy(ordered.begin(), ordered.end(), mQueue.begin() + mPosition);
    showPosition(mPosition);
}

std::optional<std::int64_t> LabellingView::currentExample() const
{
    if (mPosition < 0 || mPosition >= queueSize())
        return std::nullopt;
    return mQueue[static_cast<size_t>(mPosition)];
}

std::int64_t LabellingView::labelledCount() const
{
    return mExampleCount - mUnlabelled;
}

std::optional<std::int64_t> LabellingView::storedLabel(std::int64_t exampleId) const
{
    return labelIdsOf(*mProject, std::span<const std::int64_t>(&exampleId, 1)).front();
}

void LabellingView::assignLabel(int index)
{
    const auto example = currentExample();
    if (!example || index < 0 || index >= static_cast<int>(mLabelIds.size()))
        return;
    const std::optional<std::int64_t> from = storedLabel(*example);
    const std::int64_t to = mLabelIds[static_cast<size_t>(index)];
    mUndo->push(new SetLabelCommand(this, mPosition, from, to));
}

void LabellingView::acceptSuggestion()
{
    const auto example = currentExample();
    if (!example)
        return;
    const auto suggestion = mSuggestions.constFind(*example);
    if (suggestion != mSuggestions.constEnd()) {
        const auto it = std::find(mLabelIds.begin(), mLabelIds.end(), suggestion->labelId);
        if (it != mLabelIds.end()) {
            assignLabel(static_cast<int>(it - mLabelIds.begin()));
            return;
        }
    }
    // No suggestion: Enter keeps a label the example already has and moves on.
    if (storedLabel(*example))
        showPosition(mPosition + 1);
}

void LabellingView::goBack()
{
    if (mPosition > 0)
        showPosition(mPosition - 1);
}

void LabellingView::applyLabel(int position, std::optional<std::int64_t> from, std::optional<std::int64_t> to)
{
    const std::int64_t example = mQueue.at(static_cast<size_t>(position));
    setLabel(*mProject, std::span<const std::int64_t>(&example, 1), to);
    if (from)
        mCounts[*from] -= 1;
    else
        --mUnlabelled;
    if (to)
        mCounts[*to] += 1;
    else
        ++mUnlabelled;
    updateProgress();
    Q_EMIT examplesRelabelled({example});
}

void LabellingView::showPosition(int position)
{
    mPosition = std::clamp(position, 0, queueSize());
    const auto example = currentExample();
    mPositionText->setText(queueSize() == 0 ? tr("Nothing to label")
                                            : tr("Example %1 of %2 in this session").arg(std::min(mPosition + 1, queueSize())).arg(queueSize()));
    mSuggestionText->clear();
    if (!example) {
        mText->setText(queueSize() == 0 ? tr("This dataset has no examples.")
                                        : tr("All done: every example of this session has a label."));
        mCurrentLabel->clear();
        return;
    }
    const auto rows = fetchRows(*mProject, std::span<const std::int64_t>(&*example, 1), 4000);
    QString text = rows.empty() ? tr("(this example no longer exists)") : QString::fromStdString(rows.front().text);
    if (!rows.empty() && rows.front().hasTextPair)
        text += tr("\n\n[+ second text]");
    const QPixmap image = !rows.empty() && rows.front().imagePath
                              ? QPixmap(QDir(mImageFolder).filePath(QString::fromStdString(*rows.front().imagePath)))
                              : QPixmap();
    if (!image.isNull())
        mText->setPixmap(image.scaled(mText->size().expandedTo(QSize(320, 240)) - QSize(8, 8), Qt::KeepAspectRatio,
                                      Qt::SmoothTransformation));
    else
        mText->setText(text);
    const bool labelled = !rows.empty() && rows.front().label;
    mCurrentLabel->setText(labelled ? tr("Label: %1").arg(QString::fromStdString(*rows.front().label))
                                    : tr("Unlabelled: press 1-%1").arg(std::min<int>(9, mButtons.size())));
    const auto suggestion = mSuggestions.constFind(*example);
    if (suggestion != mSuggestions.constEnd()) {
        const auto it = std::find(mLabelIds.begin(), mLabelIds.end(), suggestion->labelId);
        if (it != mLabelIds.end())
            mSuggestionText->setText(tr("Suggested: %1 (%2 %), Enter accepts")
                                         .arg(suggestion->label)
                                         .arg(suggestion->confidence * 100, 0, 'f', 0));
    }
}

void LabellingView::updateProgress()
{
    const std::int64_t labelled = labelledCount();
    mProgress->setRange(0, int(std::max<std::int64_t>(1, mExampleCount)));
    mProgress->setValue(int(labelled));
    mProgressText->setText(tr("%1 of %2 labelled").arg(labelled).arg(mExampleCount));
    QVector<double> counts;
    for (const auto id : mLabelIds)
        counts << mCounts.value(id);
    mChart->setCounts(counts);
}

void LabellingView::keyPressEvent(QKeyEvent *event)
{
    if (event->matches(QKeySequence::Undo)) {
        mUndo->undo();
    } else if (event->matches(QKeySequence::Redo)) {
        mUndo->redo();
    } else if (event->key() >= Qt::Key_1 && event->key() <= Qt::Key_9 && !(event->modifiers() & Qt::ControlModifier)) {
        assignLabel(event->key() - Qt::Key_1);
    } else if (event->key() == Qt::Key_Return || event->key() == Qt::Key_Enter) {
        acceptSuggestion();
    } else if (event->key() == Qt::Key_Backspace) {
        goBack();
    } else if (event->key() == Qt::Key_Right) {
        showPosition(mPosition + 1);
    } else if (event->key() == Qt::Key_Escape) {
        Q_EMIT closeRequested();
    } else {
        QWidget::keyPressEvent(event);
    }
}

} // namespace ft::ui
