// generationplayground.h: trying a language model (a causal-lm run, a Llama
// or GPT-2 folder): write a prompt, choose greedy or sampled decoding
// (temperature, top-p, seed), the longest answer and texts to stop at, and
// watch the continuation appear token by token. Loading and generating run on
// a worker thread; Stop ends a generation early.
#pragma once

#include <QWidget>

#include <atomic>
#include <filesystem>
#include <memory>

class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;

namespace ft::ui {

class GenerationPlayground : public QWidget {
    Q_OBJECT

public:
    explicit GenerationPlayground(QWidget *parent = nullptr);
    ~GenerationPlayground() override;

    // Whether `folder` holds a language model this view generates with (by config.json's architectures).
    static bool handles(const std::filesystem::path &folder);

    void setModelFolder(const std::filesystem::path &folder, const QString &title);
    bool isReady() const { return mReady; }
    bool isBusy() const { return mBusy; }

    QPlainTextEdit *prompt() const { return mPrompt; }
    QPlainTextEdit *output() const { return mOutput; }
    QSpinBox *maxNewTokens() const { return mMaxNewTokens; }
    QDoubleSpinBox *temperature() const { return mTemperature; }
    QDoubleSpinBox *topP() const { return mTopP; }
    QSpinBox *seed() const { return mSeed; }
    QLineEdit *stopSequences() const { return mStops; }
    QPushButton *generateButton() const { return mGenerate; }
    QPushButton *stopButton() const { return mStop; }
    QLabel *status() const { return mStatus; }

Q_SIGNALS:
    void generated();

private:
    struct Engine;
    void startGeneration();
    void updateControls();

    std::shared_ptr<Engine> mEngine;
    std::shared_ptr<std::atomic_bool> mCancel;
    bool mReady = false;
    bool mBusy = false;
    QLabel *mStatus;
    QPlainTextEdit *mPrompt;
    QSpinBox *mMaxNewTokens;
    QDoubleSpinBox *mTemperature;
    QDoubleSpinBox *mTopP;
    QSpinBox *mSeed;
    QLineEdit *mStops;
    QPushButton *mGenerate;
    QPushButton *mStop;
    QPlainTextEdit *mOutput;
};

} // namespace ft::ui
