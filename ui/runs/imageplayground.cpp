// imageplayground.cpp
#include "runs/imageplayground.h"

#include "labelling/balancechart.h"

#include <QCheckBox>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QMimeData>
#include <QPainter>
#include <QPushButton>
#include <QThreadPool>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <mutex>
#include <utility>

namespace ft::ui {

namespace {

// Images are shown at most this large on their long side: a photo's full
// resolution would only slow down every repaint.
constexpr int kDisplaySize = 1024;
// Heat map colours, as the text playground shades its words.
const QColor kSupports(46, 160, 67);
const QColor kOpposes(207, 34, 46);

QImage toQImage(const RgbImage &rgb)
{
    QImage image(reinterpret_cast<const uchar *>(rgb.pixels.data()), rgb.width, rgb.height, rgb.width * 3,
                 QImage::Format_RGB888);
    image = image.copy(); // own the pixels
    if (image.width() > kDisplaySize || image.height() > kDisplaySize)
        image = image.scaled(kDisplaySize, kDisplaySize, Qt::KeepAspectRatio, Qt::SmoothTransformation);
    return image;
}

// The occlusion map per pixel of the model's input: the mean drop of the
// squares covering it, green where covering the square lowers the class's
// probability (the decision rests on it), red where it raises it.
QImage heatMap(const OcclusionMap &map)
{
    std::vector<double> sum(std::size_t(map.inputWidth) * std::size_t(map.inputHeight), 0.0);
    std::vector<int> covers(sum.size(), 0);
    for (int r = 0; r < map.rows; ++r)
        for (int c = 0; c < map.cols; ++c) {
            const double drop = map.drop[std::size_t(r * map.cols + c)];
            for (int y = r * map.stride; y < std::min(map.inputHeight, r * map.stride + map.patch); ++y)
                for (int x = c * map.stride; x < std::min(map.inputWidth, c * map.stride + map.patch); ++x) {
                    sum[std::size_t(y) * std::size_t(map.inputWidth) + std::size_t(x)] += drop;
                    ++covers[std::size_t(y) * std::size_t(map.inputWidth) + std::size_t(x)];
                }
        }
    double largest = 1e-9;
    for (std::size_t i = 0; i < sum.size(); ++i) {
        if (covers[i])
            sum[i] /= covers[i];
        largest = std::max(largest, std::abs(sum[i]));
    }
    QImage heat(map.inputWidth, map.inputHeight, QImage::Format_ARGB32);
    for (int y = 0; y < map.inputHeight; ++y)
        for (int x = 0; x < map.inputWidth; ++x) {
            const double strength = sum[std::size_t(y) * std::size_t(map.inputWidth) + std::size_t(x)] / largest;
            QColor colour = strength >= 0 ? kSupports : kOpposes;
            colour.setAlpha(int(std::lround(190 * std::abs(strength))));
            heat.setPixelColor(x, y, colour);
        }
    return heat;
}

} // namespace

// The image, fitted to the widget with its aspect kept, and the heat map over
// the part of it the model sees.
class ImageCanvas : public QWidget {
public:
    explicit ImageCanvas(QWidget *parent) : QWidget(parent)
    {
        setMinimumSize(240, 200);
        setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
    }

    void setImage(const QImage &image)
    {
        mImage = image;
        mOverlay = QImage();
        update();
    }
    void setOverlay(const QImage &overlay, const QRectF &region)
    {
        mOverlay = overlay;
        mRegion = region;
        update();
    }
    void setOverlayVisible(bool visible)
    {
        mOverlayVisible = visible;
        update();
    }
    const QImage &image() const { return mImage; }
    const QImage &overlay() const { return mOverlay; }

protected:
    void paintEvent(QPaintEvent *) override
    {
        QPainter painter(this);
        painter.fillRect(rect(), palette().color(QPalette::AlternateBase));
        if (mImage.isNull()) {
            painter.setPen(palette().color(QPalette::PlaceholderText));
            painter.drawText(rect(), Qt::AlignCenter | Qt::TextWordWrap,
                             tr("Drop an image file here, or choose one"));
            return;
        }
        const QSizeF fitted = QSizeF(mImage.size()).scaled(QSizeF(size()), Qt::KeepAspectRatio);
        const QRectF target(QPointF((width() - fitted.width()) / 2, (height() - fitted.height()) / 2), fitted);
        painter.setRenderHint(QPainter::SmoothPixmapTransform);
        painter.drawImage(target, mImage);
        if (mOverlayVisible && !mOverlay.isNull()) {
            const double scale = target.width() / mImage.width();
            const QRectF over(target.left() + mRegion.left() * scale, target.top() + mRegion.top() * scale,
                              mRegion.width() * scale, mRegion.height() * scale);
            painter.setClipRect(target); // a crop that pads reaches past the image
            painter.drawImage(over, mOverlay);
        }
    }

private:
    QImage mImage;
    QImage mOverlay;
    QRectF mRegion; // in mImage's pixels
    bool mOverlayVisible = true;
};

// What the worker uses; one job at a time (mBusy), so no two threads share it at once.
struct ImagePlayground::Engine {
    std::mutex mutex;
    std::unique_ptr<ImagePredictor> predictor;
};

ImagePlayground::ImagePlayground(QWidget *parent)
    : QWidget(parent),
      mEngine(std::make_shared<Engine>()),
      mStatus(new QLabel(this)),
      mPick(new QPushButton(tr("Choose an image…"), this)),
      mShowOverlay(new QCheckBox(tr("Show what the prediction rests on"), this)),
      mCanvas(new ImageCanvas(this)),
      mVerdict(new QLabel(this)),
      mChart(new BalanceChart(this))
{
    setAcceptDrops(true);
    mStatus->setWordWrap(true);
    mShowOverlay->setChecked(true);
    mShowOverlay->setToolTip(tr("Shade each part of the image by how much the predicted class's probability drops "
                                "when it is covered: green where the prediction rests on it, red where covering "
                                "it makes the class more likely"));
    QFont large = mVerdict->font();
    large.setPointSizeF(large.pointSizeF() * 1.3);
    large.setBold(true);
    mVerdict->setFont(large);
    mChart->setValueLabel(tr("probability"));

    auto *bar = new QHBoxLayout;
    bar->addWidget(mPick);
    bar->addWidget(mShowOverlay);
    bar->addStretch(1);
    auto *results = new QVBoxLayout;
    results->addWidget(mVerdict);
    results->addWidget(mChart, 1);
    auto *body = new QHBoxLayout;
    body->addWidget(mCanvas, 3);
    body->addLayout(results, 2);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(mStatus);
    layout->addLayout(bar);
    layout->addLayout(body, 1);

    connect(mPick, &QPushButton::clicked, this, &ImagePlayground::pickFile);
    connect(mShowOverlay, &QCheckBox::toggled, this, [this](bool on) { mCanvas->setOverlayVisible(on); });
}

ImagePlayground::~ImagePlayground()
{
    // A job still running holds the engine alive; it must not post to a deleted widget.
    QThreadPool::globalInstance()->waitForDone(60000);
}

QWidget *ImagePlayground::canvas() const
{
    return mCanvas;
}

const QImage &ImagePlayground::image() const
{
    return mCanvas->image();
}

const QImage &ImagePlayground::overlay() const
{
    return mCanvas->overlay();
}

void ImagePlayground::setModelFolder(const std::filesystem::path &folder, const QString &title)
{
    mReady = false;
    mBusy = true;
    mStatus->setText(tr("Loading %1…").arg(title));
    const auto engine = mEngine;
    QThreadPool::globalInstance()->start([this, engine, folder, title] {
        QString failure;
        QStringList labels;
        try {
            const std::lock_guard lock(engine->mutex);
            engine->predictor = std::make_unique<ImagePredictor>(folder, PredictorOptions{});
            for (const std::string &label : engine->predictor->labelNames())
                labels << QString::fromStdString(label);
        } catch (const std::exception &e) {
            failure = QString::fromStdString(e.what());
        }
        QMetaObject::invokeMethod(
            this,
            [this, failure, labels, title] {
                mBusy = false;
                mReady = failure.isEmpty();
                mLabels = labels;
                mStatus->setText(mReady ? tr("Model: %1 (image classifier). Drop an image onto this window.").arg(title)
                                        : tr("Cannot load the model: %1").arg(failure));
                mChart->setLabels(labels);
                if (mReady && !mWaiting.isEmpty())
                    startNext();
            },
            Qt::QueuedConnection);
    });
}

void ImagePlayground::classifyFile(const QString &file)
{
    mWaiting = file;
    if (mReady && !mBusy)
        startNext();
}

void ImagePlayground::startNext()
{
    const QString file = std::exchange(mWaiting, QString());
    mBusy = true;
    mStatus->setText(tr("Classifying %1…").arg(QFileInfo(file).fileName()));
    const auto engine = mEngine;
    QThreadPool::globalInstance()->start([this, engine, file] {
        QString failure;
        try {
            const std::lock_guard lock(engine->mutex);
            ImagePredictor &predictor = *engine->predictor;
            const RgbImage rgb = readRgbImage(file.toStdString());
            const QImage shown = toQImage(rgb);
            const Predictions p = predictor.predict({rgb});
            const std::vector<float> probabilities = p.probabilities;
            const auto top = std::size_t(p.labelIds.front());
            QMetaObject::invokeMethod(
                this, [this, file, shown, probabilities, top] { showPrediction(file, shown, probabilities, top); },
                Qt::QueuedConnection);

            // Squares of an eighth of the model's input, overlapping by half: a
            // map fine enough to point at a part of the image, in some 200 passes.
            const RgbImage input = resizeForModel(rgb, predictor.processor());
            const int patch = std::max(1, std::min(input.width, input.height) / 8);
            const OcclusionMap map = occlusionMap(predictor, rgb, patch, std::max(1, patch / 2));
            ImageRegion region = modelInputRegion(rgb.width, rgb.height, predictor.processor());
            const double scale = double(shown.width()) / rgb.width;
            region = {region.left * scale, region.top * scale, region.width * scale, region.height * scale};
            QMetaObject::invokeMethod(
                this, [this, file, map, region] { showOcclusion(file, map, region); }, Qt::QueuedConnection);
        } catch (const std::exception &e) {
            failure = QString::fromStdString(e.what());
            // Every message names the file, whatever part of the work failed.
            if (!failure.contains(file))
                failure = tr("%1: %2").arg(file, failure);
        }
        QMetaObject::invokeMethod(
            this,
            [this, failure] {
                mBusy = false;
                if (!failure.isEmpty())
                    fail(failure);
                if (!mWaiting.isEmpty())
                    startNext();
            },
            Qt::QueuedConnection);
    });
}

void ImagePlayground::showPrediction(const QString &file, const QImage &image, const std::vector<float> &probabilities,
                                     std::size_t top)
{
    mFile = file;
    mOcclusion = OcclusionMap();
    mCanvas->setImage(image);
    QVector<double> bars;
    for (const float p : probabilities)
        bars << double(p);
    mChart->setCounts(bars);
    mVerdict->setText(
        tr("%1 (%2 %)").arg(mLabels.value(int(top))).arg(double(probabilities.at(top)) * 100.0, 0, 'f', 1));
    mStatus->setText(tr("%1: finding the parts of the image the prediction rests on…").arg(QFileInfo(file).fileName()));
    Q_EMIT predicted();
}

void ImagePlayground::showOcclusion(const QString &file, const OcclusionMap &map, const ImageRegion &region)
{
    if (file != mFile)
        return;
    mOcclusion = map;
    mCanvas->setOverlay(heatMap(map), QRectF(region.left, region.top, region.width, region.height));
    mStatus->setText(tr("%1 (%2 x %3)").arg(QFileInfo(file).fileName()).arg(image().width()).arg(image().height()));
    mStatus->setToolTip(file);
    Q_EMIT explained();
}

void ImagePlayground::fail(const QString &message)
{
    // Nothing of an earlier image stays, so that it is not taken for this one's result.
    mFile.clear();
    mOcclusion = OcclusionMap();
    mCanvas->setImage(QImage());
    mChart->setCounts(QVector<double>(mLabels.size(), 0.0));
    mVerdict->clear();
    mStatus->setText(tr("Cannot classify: %1").arg(message));
    Q_EMIT failed(message);
}

void ImagePlayground::pickFile()
{
    const QString file = QFileDialog::getOpenFileName(
        this, tr("Choose an image"), mFile.isEmpty() ? QString() : QFileInfo(mFile).absolutePath(),
        tr("Images (*.png *.jpg *.jpeg *.bmp *.gif *.tga *.ppm *.pgm *.pnm *.psd *.hdr);;All files (*)"));
    if (!file.isEmpty())
        classifyFile(file);
}

void ImagePlayground::dragEnterEvent(QDragEnterEvent *event)
{
    for (const QUrl &url : event->mimeData()->urls())
        if (url.isLocalFile()) {
            event->acceptProposedAction();
            return;
        }
}

void ImagePlayground::dropEvent(QDropEvent *event)
{
    for (const QUrl &url : event->mimeData()->urls())
        if (url.isLocalFile()) {
            event->acceptProposedAction();
            classifyFile(url.toLocalFile()); // the first file: one image at a time
            return;
        }
}

} // namespace ft::ui
