// tst_playground.cpp: trying a model: text typed into the playground is
// classified on a worker thread once typing pauses; the probabilities show
// as bars, the verdict names the top class, and every wordpiece appears
// shaded by its word's occlusion importance.
#include "infer/predictor.h"
#include "labelling/balancechart.h"
#include "runs/playground.h"
#include "testregistry.h"
#include "uitesthelpers.h"

#include <QLabel>
#include <QPlainTextEdit>
#include <QSignalSpy>
#include <QTest>

#include <cmath>
#include <numeric>

using namespace ft;
using namespace ft::ui;

namespace {
const std::filesystem::path kTinyModel = std::filesystem::path(FT_SHARED_DIR) / "golden" / "tiny-bert-uncased";
}

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
