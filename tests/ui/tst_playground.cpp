// tst_playground.cpp: trying a model: text typed into the playground is
// classified on a worker thread once typing pauses; the probabilities show
// as bars, the verdict names the top class, and every wordpiece appears
// shaded by its word's occlusion importance. An image classifier's folder
// switches it to images: a dropped file is classified as ImagePredictor does,
// with the occlusion map over it, and an unreadable file is named. A
// language model's folder switches it to generation: a prompt is continued
// as TextGenerator continues it, sampling is seeded, and Stop ends it early.
#include "infer/image_predictor.h"
#include "infer/occlusion.h"
#include "infer/predictor.h"
#include "infer/text_generation.h"
#include "labelling/balancechart.h"
#include "models/llama2c_convert.h"
#include "runs/generationplayground.h"
#include "runs/imageplayground.h"
#include "runs/playground.h"
#include "tempproject.h"
#include "testregistry.h"
#include "uitesthelpers.h"

#include <QCheckBox>
#include <QDoubleSpinBox>
#include <QFile>
#include <QLabel>
#include <QPainter>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>
#include <numeric>

using namespace ft;
using namespace ft::ui;

namespace {
const std::filesystem::path kTinyModel = std::filesystem::path(FT_SHARED_DIR) / "golden" / "tiny-bert-uncased";

// A landscape a person recognises in a screenshot: sky, sun, hills.
QString writePicture(const QTemporaryDir &dir)
{
    QImage picture(360, 240, QImage::Format_RGB32);
    QPainter painter(&picture);
    QLinearGradient sky(0, 0, 0, 160);
    sky.setColorAt(0, QColor(70, 130, 200));
    sky.setColorAt(1, QColor(190, 220, 245));
    painter.fillRect(picture.rect(), sky);
    painter.setRenderHint(QPainter::Antialiasing);
    painter.setBrush(QColor(250, 200, 40));
    painter.setPen(Qt::NoPen);
    painter.drawEllipse(QPointF(270, 60), 32, 32);
    painter.setBrush(QColor(60, 130, 60));
    painter.drawEllipse(QRectF(-80, 150, 300, 200));
    painter.setBrush(QColor(90, 160, 70));
    painter.drawEllipse(QRectF(120, 170, 320, 180));
    painter.end();
    const QString file = dir.filePath(QStringLiteral("landscape.png"));
    picture.save(file);
    return file;
}

// The probability bars shown equal ImagePredictor's on the same file.
void compareWithPredictor(ImagePlayground &view, const std::filesystem::path &model, const QString &file)
{
    ImagePredictor predictor(model, PredictorOptions{});
    const RgbImage rgb = readRgbImage(file.toStdString());
    const Predictions want = predictor.predict({rgb});
    const QVector<double> bars = view.chart()->counts();
    QCOMPARE(bars.size(), 3);
    for (int c = 0; c < 3; ++c)
        QVERIFY(std::abs(bars[c] - double(want.probabilities[size_t(c)])) < 1e-6);
    QVERIFY(view.verdict()->text().startsWith(QString::fromStdString(want.labels[0]) + QStringLiteral(" (")));
    QCOMPARE(view.image().size(), QSize(rgb.width, rgb.height));
    QCOMPARE(view.image().pixelColor(rgb.width / 2, rgb.height / 3),
             QColor(rgb.row(rgb.height / 3)[rgb.width / 2 * 3], rgb.row(rgb.height / 3)[rgb.width / 2 * 3 + 1],
                    rgb.row(rgb.height / 3)[rgb.width / 2 * 3 + 2]));
}

} // namespace

class PlaygroundTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void typeAndSeeWhy()
    {
        Playground playground;
        playground.resize(700, 520);
        playground.show();
        playground.setModelFolder(kTinyModel, QStringLiteral("tiny"));
        QTRY_VERIFY(playground.isReady());
        QSignalSpy explained(&playground, &Playground::explained);
        QTest::keyClicks(playground.input(), QStringLiteral("The kettle works perfectly"));
        QTRY_COMPARE(explained.count(), 1); // once, after typing paused

        Predictor predictor;
        predictor.load(kTinyModel);
        const std::vector<std::string_view> text{"The kettle works perfectly"};
        const Predictions expected = predictor.predict(text);
        const QVector<double> bars = playground.chart()->counts();
        QCOMPARE(bars.size(), 3);
        for (int c = 0; c < 3; ++c)
            QVERIFY(std::abs(bars[c] - double(expected.probabilities[size_t(c)])) < 1e-6);
        QVERIFY(playground.verdict()->text().startsWith(QString::fromStdString(expected.labels[0]) + QStringLiteral(" (")));
        const QString tokens = playground.tokens()->text();
        for (const auto &token : playground.explanation().tokens)
            QVERIFY2(tokens.contains(QString::fromStdString(token.token)), token.token.c_str());
        QCOMPARE(int(playground.explanation().tokens.size()), int(tokens.count(QStringLiteral("<span"))));
        playground.grab().save(ft::test::artifactPath(QStringLiteral("playground.png")));

        // Typing more explains again, with the new words' pieces.
        const auto before = playground.explanation().tokens.size();
        QTest::keyClicks(playground.input(), QStringLiteral(" but it broke"));
        QTRY_COMPARE(explained.count(), 2);
        QVERIFY(playground.explanation().tokens.size() >= before + 3);
        QCOMPARE(playground.explanation().tokens.back().end, 39u); // the span of the last piece ends the text
    }

    void dropAnImageAndSeeWhy()
    {
        QTemporaryDir dir;
        const QString picture = writePicture(dir);
        const auto vit = ft::test::visionGolden() / "vit-tiny";
        Playground playground;
        playground.resize(860, 480);
        playground.show();
        playground.setModelFolder(vit, QStringLiteral("vit-tiny"));
        QTRY_VERIFY(playground.isReady());
        QVERIFY(playground.isImageMode());
        ImagePlayground *images = playground.imagePlayground();
        QVERIFY(images->isVisible());
        QVERIFY(!playground.input()->isVisible());
        QVERIFY(images->pickButton()->isVisible());

        QSignalSpy predicted(images, &ImagePlayground::predicted);
        QSignalSpy explained(images, &ImagePlayground::explained);
        QVERIFY(ft::test::dropPaths(*images->canvas(), {picture}));
        QTRY_COMPARE(explained.count(), 1);
        QCOMPARE(predicted.count(), 1);
        QVERIFY(!playground.isBusy());
        compareWithPredictor(*images, vit, picture);

        // The occlusion map is the engine's, drawn as a heat map of the model's 16 x 16 input.
        ImagePredictor predictor(vit, PredictorOptions{});
        const OcclusionMap want = occlusionMap(predictor, readRgbImage(picture.toStdString()), 2, 1);
        const OcclusionMap &got = images->occlusion();
        QCOMPARE(got.rows, want.rows);
        QCOMPARE(got.cols, want.cols);
        for (std::size_t i = 0; i < want.drop.size(); ++i)
            QVERIFY(std::abs(got.drop[i] - want.drop[i]) < 1e-5);
        QCOMPARE(images->overlay().size(), QSize(16, 16));
        int shaded = 0;
        for (int y = 0; y < 16; ++y)
            for (int x = 0; x < 16; ++x)
                shaded += images->overlay().pixelColor(x, y).alpha() > 0;
        QVERIFY(shaded > 128);
        const QImage withOverlay = images->canvas()->grab().toImage();
        playground.grab().save(ft::test::artifactPath(QStringLiteral("playground-image.png")));

        // Hiding the heat map shows the image alone.
        images->overlayToggle()->setChecked(false);
        const QImage without = images->canvas()->grab().toImage();
        QVERIFY(without != withOverlay);
        playground.grab().save(ft::test::artifactPath(QStringLiteral("playground-image-plain.png")));
        images->overlayToggle()->setChecked(true);
        QCOMPARE(images->canvas()->grab().toImage(), withOverlay);

        // A text model's folder brings the text view back.
        playground.setModelFolder(kTinyModel, QStringLiteral("tiny"));
        QTRY_VERIFY(playground.isReady());
        QVERIFY(!playground.isImageMode());
        QVERIFY(playground.input()->isVisible());
        QVERIFY(!images->isVisible());
    }

    // An unreadable file is named; the next good one is classified (a ResNet
    // whose processor crops the image's centre).
    void unreadableImageIsNamed()
    {
        QTemporaryDir dir;
        const auto resnet = ft::test::visionGolden() / "resnet-tiny-basic";
        const QString broken = dir.filePath(QStringLiteral("holiday-photo.png"));
        QFile file(broken);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("this is not a PNG");
        file.close();
        ImagePlayground view;
        view.resize(760, 420);
        view.show();
        view.setModelFolder(resnet, QStringLiteral("resnet-tiny"));
        QTRY_VERIFY(view.isReady());
        QSignalSpy failed(&view, &ImagePlayground::failed);
        QVERIFY(ft::test::dropPaths(*view.canvas(), {broken}));
        QTRY_COMPARE(failed.count(), 1);
        QVERIFY2(view.status()->text().contains(broken), qPrintable(view.status()->text()));
        QVERIFY(view.image().isNull());
        QVERIFY(view.verdict()->text().isEmpty());
        view.grab().save(ft::test::artifactPath(QStringLiteral("playground-image-unreadable.png")));

        const QString picture = writePicture(dir);
        QSignalSpy explained(&view, &ImagePlayground::explained);
        view.classifyFile(picture);
        QTRY_COMPARE(explained.count(), 1);
        compareWithPredictor(view, resnet, picture);
        QVERIFY(!view.overlay().isNull());
        view.grab().save(ft::test::artifactPath(QStringLiteral("playground-image-resnet.png")));

        // Not a file at all: a drag of a web address is refused.
        QMimeData web;
        web.setUrls({QUrl(QStringLiteral("https://example.com/cat.png"))});
        QDragEnterEvent enter(view.rect().center(), Qt::CopyAction, &web, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(view.canvas(), &enter);
        QVERIFY(!enter.isAccepted());
    }

    void continueAPrompt()
    {
        QTemporaryDir dir;
        const std::filesystem::path model = ft::test::toPath(dir.filePath(QStringLiteral("stories260K")));
        convertLlama2c(std::filesystem::path(FT_SHARED_DIR) / "data" / "pretrained_stories260K" / "stories260K.bin",
                       model);
        Playground playground;
        playground.resize(700, 560);
        playground.show();
        playground.setModelFolder(model, QStringLiteral("stories260K"));
        QTRY_VERIFY(playground.isReady());
        QCOMPARE(int(playground.mode()), int(Playground::Mode::Generation));
        GenerationPlayground *view = playground.generationPlayground();
        QVERIFY(view->isVisible());
        QVERIFY(!playground.input()->isVisible());
        QVERIFY(!view->generateButton()->isEnabled()); // no prompt yet
        QVERIFY(!view->topP()->isEnabled());           // greedy: top-p has no say

        QTest::keyClicks(view->prompt(), QStringLiteral("Once upon a time"));
        view->maxNewTokens()->setValue(12);
        QSignalSpy generated(view, &GenerationPlayground::generated);
        QTest::mouseClick(view->generateButton(), Qt::LeftButton);
        QTRY_COMPARE(generated.count(), 1);
        const TextGenerator reference(model);
        GenerationOptions options;
        options.maxNewTokens = 12;
        const GeneratedText expected = reference.generate("Once upon a time", options);
        QCOMPARE(view->output()->toPlainText(), QString::fromStdString(expected.text));
        QVERIFY2(view->status()->text().contains(QStringLiteral("12 tokens")), qPrintable(view->status()->text()));
        QVERIFY(view->status()->text().contains(QStringLiteral("token limit")));
        playground.grab().save(ft::test::artifactPath(QStringLiteral("playground-generation.png")));

        // Sampling: the same seed gives the same text.
        view->temperature()->setValue(1.0);
        QVERIFY(view->topP()->isEnabled());
        view->topP()->setValue(0.9);
        view->seed()->setValue(7);
        QStringList sampled;
        for (int run = 0; run < 2; ++run) {
            QTest::mouseClick(view->generateButton(), Qt::LeftButton);
            QTRY_COMPARE(generated.count(), 2 + run);
            sampled << view->output()->toPlainText();
        }
        QCOMPARE(sampled[1], sampled[0]);

        // Stop ends a long generation early.
        view->maxNewTokens()->setValue(4000);
        QTest::mouseClick(view->generateButton(), Qt::LeftButton);
        QVERIFY(view->stopButton()->isEnabled());
        QTest::mouseClick(view->stopButton(), Qt::LeftButton);
        QTRY_COMPARE(generated.count(), 4);
        QVERIFY2(view->status()->text().contains(QStringLiteral("stopped")), qPrintable(view->status()->text()));
    }

    void badModelIsReported()
    {
        Playground playground;
        playground.setModelFolder("/nonexistent/model", QStringLiteral("gone"));
        QTRY_VERIFY(!playground.isBusy());
        QVERIFY(!playground.isReady());
    }
};

FT_REGISTER_TEST(PlaygroundTest);

#include "tst_playground.moc"
