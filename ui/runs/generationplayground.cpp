// generationplayground.cpp
#include "runs/generationplayground.h"

#include "infer/text_generation.h"
#include "text/json_file.h"

#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QThreadPool>
#include <QVBoxLayout>

#include <mutex>

namespace ft::ui {

namespace {

// "\n" typed in the stop field stands for a line break; commas separate texts.
std::vector<std::string> parseStops(const QString &text)
{
    std::vector<std::string> stops;
    for (QString stop : text.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        stop.replace(QStringLiteral("\\n"), QStringLiteral("\n"));
        stops.push_back(stop.toStdString());
    }
    return stops;
}

QString reasonText(StopReason reason)
{
    switch (reason) {
    case StopReason::EndOfText: return GenerationPlayground::tr("the model ended the text");
    case StopReason::StopSequence: return GenerationPlayground::tr("a stop text was reached");
    case StopReason::MaxNewTokens: return GenerationPlayground::tr("the token limit was reached");
    case StopReason::Cancelled: return GenerationPlayground::tr("stopped");
    }
    return {};
}

} // namespace

// What the worker uses; one job at a time (mBusy).
struct GenerationPlayground::Engine {
    std::mutex mutex;
    std::unique_ptr<TextGenerator> generator;
};

GenerationPlayground::GenerationPlayground(QWidget *parent)
    : QWidget(parent),
      mEngine(std::make_shared<Engine>()),
      mCancel(std::make_shared<std::atomic_bool>(false)),
      mStatus(new QLabel(this)),
      mPrompt(new QPlainTextEdit(this)),
      mMaxNewTokens(new QSpinBox(this)),
      mTemperature(new QDoubleSpinBox(this)),
      mTopP(new QDoubleSpinBox(this)),
      mSeed(new QSpinBox(this)),
      mStops(new QLineEdit(this)),
      mGenerate(new QPushButton(tr("Generate"), this)),
      mStop(new QPushButton(tr("Stop"), this)),
      mOutput(new QPlainTextEdit(this))
{
    setWindowTitle(tr("Playground"));
    mStatus->setEnabled(false);
    mPrompt->setPlaceholderText(tr("Write a prompt for the model to continue"));
    mPrompt->setMaximumHeight(120);
    mMaxNewTokens->setRange(1, 4096);
    mMaxNewTokens->setValue(64);
    mTemperature->setRange(0.0, 5.0);
    mTemperature->setSingleStep(0.1);
    mTemperature->setSpecialValueText(tr("0 (greedy)"));
    mTemperature->setToolTip(tr("0 always picks the most likely token; higher values sample more freely"));
    mTopP->setRange(0.01, 1.0);
    mTopP->setSingleStep(0.05);
    mTopP->setValue(1.0);
    mTopP->setToolTip(tr("Sample among the fewest most likely tokens whose probabilities add up to this"));
    mSeed->setRange(0, 1 << 30);
    mStops->setPlaceholderText(tr("Texts to stop at, separated by commas (\\n for a line break)"));
    mOutput->setReadOnly(true);
    mOutput->setPlaceholderText(tr("The continuation appears here"));

    auto *settings = new QFormLayout;
    settings->addRow(tr("Longest answer (tokens)"), mMaxNewTokens);
    settings->addRow(tr("Temperature"), mTemperature);
    settings->addRow(tr("Top-p"), mTopP);
    settings->addRow(tr("Seed"), mSeed);
    settings->addRow(tr("Stop at"), mStops);
    auto *buttons = new QHBoxLayout;
    buttons->addStretch(1);
    buttons->addWidget(mStop);
    buttons->addWidget(mGenerate);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(mStatus);
    layout->addWidget(mPrompt);
    layout->addLayout(settings);
    layout->addLayout(buttons);
    layout->addWidget(mOutput, 1);

    connect(mGenerate, &QPushButton::clicked, this, &GenerationPlayground::startGeneration);
    connect(mStop, &QPushButton::clicked, this, [this] { *mCancel = true; });
    connect(mTemperature, &QDoubleSpinBox::valueChanged, this, &GenerationPlayground::updateControls);
    connect(mPrompt, &QPlainTextEdit::textChanged, this, &GenerationPlayground::updateControls);
    updateControls();
}

GenerationPlayground::~GenerationPlayground()
{
    *mCancel = true;
    QThreadPool::globalInstance()->waitForDone(30000);
}

bool GenerationPlayground::handles(const std::filesystem::path &folder)
{
    try {
        const JsonFile config = JsonFile::read(folder / "config.json");
        const auto architectures = config.root().find("architectures");
        if (architectures == config.root().end() || !architectures->is_array() || architectures->empty())
            return false;
        const std::string name = architectures->front().is_string() ? architectures->front().get<std::string>() : "";
        return name == "LlamaForCausalLM" || name == "GPT2LMHeadModel";
    } catch (const std::exception &) {
        return false;
    }
}

void GenerationPlayground::updateControls()
{
    mGenerate->setEnabled(mReady && !mBusy && !mPrompt->toPlainText().isEmpty());
    mStop->setEnabled(mBusy && mReady);
    // Top-p and the seed only shape sampling.
    const bool sampling = mTemperature->value() > 0;
    mTopP->setEnabled(sampling);
    mSeed->setEnabled(sampling);
}

void GenerationPlayground::setModelFolder(const std::filesystem::path &folder, const QString &title)
{
    mReady = false;
    mBusy = true;
    mStatus->setText(tr("Loading %1…").arg(title));
    updateControls();
    const auto engine = mEngine;
    QThreadPool::globalInstance()->start([this, engine, folder, title] {
        QString failure;
        try {
            const std::lock_guard lock(engine->mutex);
            engine->generator = std::make_unique<TextGenerator>(folder);
        } catch (const std::exception &e) {
            failure = QString::fromStdString(e.what());
        }
        QMetaObject::invokeMethod(
            this,
            [this, failure, title] {
                mBusy = false;
                mReady = failure.isEmpty();
                mStatus->setText(mReady ? tr("Model: %1").arg(title) : tr("Cannot load the model: %1").arg(failure));
                updateControls();
            },
            Qt::QueuedConnection);
    });
}

void GenerationPlayground::startGeneration()
{
    if (!mReady || mBusy)
        return;
    GenerationOptions options;
    options.maxNewTokens = mMaxNewTokens->value();
    options.temperature = mTemperature->value();
    options.topP = mTopP->value();
    options.seed = std::uint64_t(mSeed->value());
    options.stopSequences = parseStops(mStops->text());
    const std::string prompt = mPrompt->toPlainText().toStdString();
    mBusy = true;
    *mCancel = false;
    mOutput->clear();
    mStatus->setText(tr("Generating…"));
    updateControls();
    const auto engine = mEngine;
    const auto cancel = mCancel;
    QThreadPool::globalInstance()->start([this, engine, cancel, prompt, options] {
        GeneratedText result;
        QString failure;
        try {
            const std::lock_guard lock(engine->mutex);
            result = engine->generator->generate(prompt, options, [this, cancel](const std::string &text) {
                const QString shown = QString::fromStdString(text);
                QMetaObject::invokeMethod(this, [this, shown] { mOutput->setPlainText(shown); }, Qt::QueuedConnection);
                return !*cancel;
            });
        } catch (const std::exception &e) {
            failure = QString::fromStdString(e.what());
        }
        QMetaObject::invokeMethod(
            this,
            [this, result, failure] {
                mBusy = false;
                if (failure.isEmpty()) {
                    mOutput->setPlainText(QString::fromStdString(result.text));
                    const QString tokens = result.ids.size() == 1 ? tr("1 token")
                                                                  : tr("%1 tokens").arg(result.ids.size());
                    mStatus->setText(tr("%1 after a prompt of %2: %3")
                                         .arg(tokens)
                                         .arg(result.promptTokens)
                                         .arg(reasonText(result.stopReason)));
                } else {
                    mStatus->setText(failure);
                }
                updateControls();
                Q_EMIT generated();
            },
            Qt::QueuedConnection);
    });
}

} // namespace ft::ui
