// playground.cpp
#include "runs/playground.h"

#include "infer/image_predictor.h"
#include "labelling/balancechart.h"
#include "models/model_family.h"
#include "runs/generationplayground.h"
#include "runs/imageplayground.h"
#include "text/tokenizer.h"

#include <QLabel>
#include <QPlainTextEdit>
#include <QThreadPool>
#include <QTimer>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <mutex>

namespace ft::ui {

// What the worker uses; one job at a time (mBusy), so no two threads share it at once.
struct Playground::Engine {
    std::mutex mutex;
    Predictor predictor;
    std::unique_ptr<Tokenizer> tokenizer;
};

Playground::Playground(QWidget *parent)
    : QWidget(parent),
      mEngine(std::make_shared<Engine>()),
      mInput(new QPlainTextEdit(this)),
      mStatus(new QLabel(this)),
      mVerdict(new QLabel(this)),
      mTokens(new QLabel(this)),
      mChart(new BalanceChart(this)),
      mDelay(new QTimer(this)),
      mTextPage(new QWidget(this))
{
    setWindowTitle(tr("Playground"));
    mInput->setPlaceholderText(tr("Type or paste a text to classify"));
    mInput->setMaximumHeight(120);
    mStatus->setEnabled(false);
    QFont large = mVerdict->font();
    large.setPointSizeF(large.pointSizeF() * 1.3);
    large.setBold(true);
    mVerdict->setFont(large);
    mTokens->setWordWrap(true);
    mTokens->setTextFormat(Qt::RichText);
    mTokens->setToolTip(tr("Each wordpiece, shaded by how much the prediction's probability drops without its word: "
                           "green for words that support the predicted class, red for words against it"));
    mChart->setValueLabel(tr("probability"));
    mDelay->setSingleShot(true);
    mDelay->setInterval(250); // predict when typing pauses

    auto *text = new QVBoxLayout(mTextPage);
    text->setContentsMargins(0, 0, 0, 0);
    text->addWidget(mInput);
    text->addWidget(mVerdict);
    text->addWidget(mTokens);
    text->addWidget(mChart, 1);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(mStatus);
    layout->addWidget(mTextPage, 1);

    connect(mInput, &QPlainTextEdit::textChanged, mDelay, qOverload<>(&QTimer::start));
    connect(mDelay, &QTimer::timeout, this, &Playground::requestExplanation);
}

Playground::~Playground()
{
    // A job still running holds the engine alive and posts to nobody.
    QThreadPool::globalInstance()->waitForDone(30000);
}

bool Playground::isReady() const
{
    return mMode == Mode::Image ? mImage->isReady() : mMode == Mode::Generation ? mGeneration->isReady() : mReady;
}

bool Playground::isBusy() const
{
    return mBusy || (mMode == Mode::Image && mImage->isBusy())
           || (mMode == Mode::Generation && mGeneration->isBusy());
}

void Playground::showMode(Mode mode)
{
    mMode = mode;
    if (mode == Mode::Image && !mImage) {
        mImage = new ImagePlayground(this);
        static_cast<QVBoxLayout *>(layout())->addWidget(mImage, 1);
    }
    if (mode == Mode::Generation && !mGeneration) {
        mGeneration = new GenerationPlayground(this);
        static_cast<QVBoxLayout *>(layout())->addWidget(mGeneration, 1);
    }
    mStatus->setVisible(mode == Mode::Text); // the other views have their own
    mTextPage->setVisible(mode == Mode::Text);
    if (mImage)
        mImage->setVisible(mode == Mode::Image);
    if (mGeneration)
        mGeneration->setVisible(mode == Mode::Generation);
}

void Playground::setModelFolder(const std::filesystem::path &folder, const QString &title)
{
    mReady = false;
    mBusy = true;
    showMode(Mode::Text);
    mStatus->setText(tr("Loading %1…").arg(title));
    const auto engine = mEngine;
    QThreadPool::globalInstance()->start([this, engine, folder, title] {
        QString failure;
        QStringList labels;
        // Reading config.json is the worker's too: the folder may be on a slow disk.
        if (ImagePredictor::handles(folder)) {
            QMetaObject::invokeMethod(
                this,
                [this, folder, title] {
                    mBusy = false;
                    showMode(Mode::Image);
                    mImage->setModelFolder(folder, title);
                },
                Qt::QueuedConnection);
            return;
        }
        if (GenerationPlayground::handles(folder)) {
            QMetaObject::invokeMethod(
                this,
                [this, folder, title] {
                    mBusy = false;
                    showMode(Mode::Generation);
                    mGeneration->setModelFolder(folder, title);
                },
                Qt::QueuedConnection);
            return;
        }
        try {
            const std::lock_guard lock(engine->mutex);
            engine->predictor.load(folder);
            engine->tokenizer = std::make_unique<Tokenizer>(modelTokenizer(folder));
            for (const std::string &label : engine->predictor.labelNames())
                labels << QString::fromStdString(label);
        } catch (const std::exception &e) {
            failure = QString::fromStdString(e.what());
        }
        QMetaObject::invokeMethod(
            this,
            [this, failure, labels, title] {
                mBusy = false;
                mReady = failure.isEmpty();
                mStatus->setText(mReady ? tr("Model: %1").arg(title) : tr("Cannot load the model: %1").arg(failure));
                mChart->setLabels(labels);
                if (mReady && !mInput->toPlainText().isEmpty())
                    requestExplanation();
            },
            Qt::QueuedConnection);
    });
}

void Playground::requestExplanation()
{
    if (!mReady)
        return;
    if (mBusy) {
        mPending = true;
        return;
    }
    const std::string text = mInput->toPlainText().toStdString();
    if (text.empty())
        return;
    mBusy = true;
    const auto engine = mEngine;
    QThreadPool::globalInstance()->start([this, engine, text] {
        Explanation explanation;
        QString failure;
        try {
            const std::lock_guard lock(engine->mutex);
            explanation = explainPrediction(engine->predictor, *engine->tokenizer, text);
        } catch (const std::exception &e) {
            failure = QString::fromStdString(e.what());
        }
        QMetaObject::invokeMethod(
            this,
            [this, explanation, failure] {
                mBusy = false;
                if (failure.isEmpty())
                    showExplanation(explanation);
                else
                    mStatus->setText(failure);
                if (mPending) {
                    mPending = false;
                    requestExplanation();
                }
            },
            Qt::QueuedConnection);
    });
}

void Playground::showExplanation(const Explanation &e)
{
    mExplanation = e;
    QVector<double> probabilities;
    for (const float p : e.probabilities)
        probabilities << double(p);
    mChart->setCounts(probabilities);
    mVerdict->setText(tr("%1 (%2 %)")
                          .arg(QString::fromStdString(e.labels.at(e.predicted)))
                          .arg(double(e.probabilities.at(e.predicted)) * 100.0, 0, 'f', 1));
    double largest = 1e-9;
    for (const TokenImportance &token : e.tokens)
        largest = std::max(largest, std::abs(token.importance));
    QString html;
    for (const TokenImportance &token : e.tokens) {
        const double strength = token.importance / largest;
        const QColor shade = strength >= 0 ? QColor(46, 160, 67, int(200 * strength))
                                           : QColor(207, 34, 46, int(200 * -strength));
        html += QStringLiteral("<span style='background-color:%1'>&nbsp;%2&nbsp;</span> ")
                    .arg(shade.name(QColor::HexArgb), QString::fromStdString(token.token).toHtmlEscaped());
    }
    mTokens->setText(html);
    Q_EMIT explained();
}

} // namespace ft::ui
