// imageplayground.h: trying an image classifier: drop an image file (or pick
// one) and see it with the class probabilities as a bar chart, and a heat map
// over it of the squares the prediction rests on (occlusion, infer/occlusion),
// which can be hidden. Loading, decoding, predicting and the occlusion map run
// on a worker thread; the window never waits on them.
#pragma once

#include "infer/occlusion.h"

#include <QImage>
#include <QWidget>

#include <filesystem>
#include <memory>

class QCheckBox;
class QLabel;
class QPushButton;

namespace ft::ui {

class BalanceChart;
class ImageCanvas;

class ImagePlayground : public QWidget {
    Q_OBJECT

public:
    explicit ImagePlayground(QWidget *parent = nullptr);
    ~ImagePlayground() override;

    // Loads an image classifier folder (ImagePredictor::handles) in the background.
    void setModelFolder(const std::filesystem::path &folder, const QString &title);
    // Decodes, classifies and explains `file` in the background; a new image
    // asked for while busy replaces any other waiting one.
    void classifyFile(const QString &file);
    bool isReady() const { return mReady; }
    bool isBusy() const { return mBusy; }

    QLabel *status() const { return mStatus; }
    QLabel *verdict() const { return mVerdict; }
    BalanceChart *chart() const { return mChart; }
    QPushButton *pickButton() const { return mPick; }
    QCheckBox *overlayToggle() const { return mShowOverlay; }
    QWidget *canvas() const;
    // The image shown (as the model's decoder read it), its file, and the
    // heat map drawn over it: null until computed for that image.
    const QImage &image() const;
    const QImage &overlay() const;
    const QString &file() const { return mFile; }
    const OcclusionMap &occlusion() const { return mOcclusion; }

Q_SIGNALS:
    void predicted(); // the image and its probabilities are shown
    void explained(); // then its occlusion map
    void failed(const QString &message);

protected:
    void dragEnterEvent(QDragEnterEvent *event) override;
    void dropEvent(QDropEvent *event) override;

private:
    struct Engine;
    void pickFile();
    void startNext();
    void showPrediction(const QString &file, const QImage &image, const std::vector<float> &probabilities,
                        std::size_t top);
    void showOcclusion(const QString &file, const OcclusionMap &map, const ImageRegion &region);
    void fail(const QString &message);

    std::shared_ptr<Engine> mEngine;
    QStringList mLabels;
    bool mReady = false;
    bool mBusy = false;
    QString mWaiting; // a file asked for while the worker was busy
    QString mFile;
    OcclusionMap mOcclusion;
    QLabel *mStatus;
    QPushButton *mPick;
    QCheckBox *mShowOverlay;
    ImageCanvas *mCanvas;
    QLabel *mVerdict;
    BalanceChart *mChart;
};

} // namespace ft::ui
