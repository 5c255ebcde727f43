// playground.h: trying a trained model: type or paste text and see the class
// probabilities as a bar chart, and the wordpieces of the text shaded by how
// much their word drove the prediction (occlusion, infer/token_attribution).
// An image classifier's folder switches it to ImagePlayground (images
// dropped or picked instead of text), a language model's to
// GenerationPlayground (a prompt continued instead of classified). Loading and predicting run on a worker
// thread; typing never waits on them.
#pragma once

#include "infer/token_attribution.h"

#include <QWidget>

#include <filesystem>
#include <memory>

class QLabel;
class QPlainTextEdit;
class QTimer;

namespace ft::ui {

class BalanceChart;
class GenerationPlayground;
class ImagePlayground;

class Playground : public QWidget {
    Q_OBJECT

public:
    explicit Playground(QWidget *parent = nullptr);
    ~Playground() override;

    // Loads a fine-tuned model folder (a run's runs/<id>/model) in the background.
    void setModelFolder(const std::filesystem::path &folder, const QString &title);
    bool isReady() const;
    bool isBusy() const;
    // The view for the folder loaded last: text classification, an image classifier's or a language model's.
    enum class Mode { Text, Image, Generation };
    Mode mode() const { return mMode; }
    bool isImageMode() const { return mMode == Mode::Image; }
    ImagePlayground *imagePlayground() const { return mImage; }
    GenerationPlayground *generationPlayground() const { return mGeneration; }

    QPlainTextEdit *input() const { return mInput; }
    QLabel *verdict() const { return mVerdict; }
    QLabel *tokens() const { return mTokens; }
    BalanceChart *chart() const { return mChart; }
    const Explanation &explanation() const { return mExplanation; }

Q_SIGNALS:
    void explained();

private:
    struct Engine;
    void requestExplanation();
    void showExplanation(const Explanation &explanation);
    void showMode(Mode mode);

    std::shared_ptr<Engine> mEngine;
    bool mReady = false;
    bool mBusy = false;
    bool mPending = false; // the text changed while the worker was busy
    Mode mMode = Mode::Text;
    Explanation mExplanation;
    QPlainTextEdit *mInput;
    QLabel *mStatus;
    QLabel *mVerdict;
    QLabel *mTokens;
    BalanceChart *mChart;
    QTimer *mDelay;
    QWidget *mTextPage;
    ImagePlayground *mImage = nullptr;           // made for the first image classifier
    GenerationPlayground *mGeneration = nullptr; // made for the first language model
};

} // namespace ft::ui
