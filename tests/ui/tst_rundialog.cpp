// tst_rundialog.cpp: configuring a run as a person does on the sample
// project: presets sized to the dataset, the Advanced page's keys with their
// meaning, inline errors that block the launch, the memory estimate, the
// configuration saved as the CLI's JSON and copied as a CLI command, and a
// launch that trains on the run queue with exactly that configuration.
#include "data/sample_dataset.h"
#include "runs/rundialog.h"
#include "runs/runqueue.h"
#include "store/catalog.h"
#include "store/datasets.h"
#include "store/project.h"
#include "store/runs.h"
#include "tempproject.h"
#include "testregistry.h"
#include "uitesthelpers.h"

#include <QComboBox>
#include <QFile>
#include <QFileInfo>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>

#include <nlohmann/json.hpp>

using namespace ft;
using namespace ft::ui;

namespace {

QLineEdit *edit(RunDialog &dialog, const char *key)
{
    return qobject_cast<QLineEdit *>(dialog.field(QString::fromLatin1(key)));
}

void retype(QLineEdit *field, const QString &text)
{
    field->selectAll();
    QTest::keyClick(field, Qt::Key_Delete);
    QTest::keyClicks(field, text);
}

} // namespace

class RunDialogTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void taskFollowsTheDataset()
    {
        QTemporaryDir dir;
        const auto folder = ft::test::toPath(dir.filePath(QStringLiteral("sample")));
        QVERIFY(ensureSampleProject(folder));
        Project project = Project::open(folder);
        const std::int64_t nli = createDataset(project, "nli", "test");
        std::vector<Example> rows;
        for (int i = 0; i < 4; ++i) {
            Example example;
            example.text = "A man is sleeping.";
            example.textB = i % 2 ? "Nobody sleeps." : "Someone rests.";
            example.label = i % 2 ? "contradiction" : "entailment";
            rows.push_back(example);
        }
        addExamples(project, nli, rows);
        RunDialog dialog(project);
        dialog.datasetBox()->setCurrentText(QStringLiteral("nli"));
        QVERIFY2(dialog.taskLabel()->text().startsWith(
                     QStringLiteral("Text-pair classification into 2 labels (4 examples have a second text")),
                 qPrintable(dialog.taskLabel()->text()));
        dialog.datasetBox()->setCurrentText(QStringLiteral("product-reviews"));
        QCOMPARE(dialog.taskLabel()->text(), QStringLiteral("Text classification into 3 labels"));
    }

    void runElsewhereWritesTheLaunchFiles()
    {
        QTemporaryDir dir;
        const auto folder = ft::test::toPath(dir.filePath(QStringLiteral("sample")));
        QVERIFY(ensureSampleProject(folder));
        Project project = Project::open(folder);
        RunDialog dialog(project);
        QVERIFY(dialog.elsewhereButton()->isEnabled());
        const QString out = dir.filePath(QStringLiteral("launch"));
        QVERIFY(dialog.writeRunElsewhere(out));
        for (const char *file : {"run.json", "launch-torchrun.sh", "finetune-train.sbatch", "README.txt"})
            QVERIFY2(QFileInfo::exists(out + QLatin1Char('/') + QLatin1String(file)), file);
        QVERIFY(dialog.problemLabel()->text().contains(QStringLiteral("finetune runs import")));
        // The run.json there is the dialog's configuration.
        QFile written(out + QStringLiteral("/run.json"));
        QVERIFY(written.open(QIODevice::ReadOnly));
        QVERIFY(nlohmann::json::parse(written.readAll().toStdString()) == toJson(dialog.config()));

        // Not for a run the dialog would refuse.
        dialog.datasetBox()->setCurrentText(QStringLiteral("shapes"));
        dialog.modelBox()->setCurrentIndex(0);
        QVERIFY(!dialog.elsewhereButton()->isEnabled());
        QVERIFY(!dialog.writeRunElsewhere(dir.filePath(QStringLiteral("refused"))));
        QVERIFY(!QFileInfo::exists(dir.filePath(QStringLiteral("refused"))));
    }

    void imageDatasetsTakeImageModels()
    {
        QTemporaryDir dir;
        const auto folder = ft::test::toPath(dir.filePath(QStringLiteral("sample")));
        QVERIFY(ensureSampleProject(folder));
        Project project = Project::open(folder);
        RunDialog dialog(project);
        QVERIFY(dialog.modelBox()->currentText().startsWith(QStringLiteral("Sample scratch model")));
        QVERIFY(dialog.problem().isEmpty());

        // The shapes: the model follows, to the first image classifier.
        dialog.datasetBox()->setCurrentText(QStringLiteral("shapes"));
        QCOMPARE(dialog.taskLabel()->text(), QStringLiteral("Image classification into 3 labels"));
        QCOMPARE(dialog.modelBox()->currentText(), QStringLiteral("Sample scratch CNN for images (random init)"));
        QVERIFY2(dialog.problem().isEmpty(), qPrintable(dialog.problem()));
        // As many as the module the trainer builds has (it records 79,507 for this config).
        QVERIFY2(dialog.estimateLabel()->text().startsWith(QStringLiteral("An image classifier of 79,507 parameters")),
                 qPrintable(dialog.estimateLabel()->text()));
        QVERIFY(dialog.launchButton()->isEnabled());
        const TrainingRequest request = dialog.request();
        QCOMPARE(request.dataset, std::string("shapes"));
        QVERIFY(request.model.ends_with("scratch-cnn/config.json"));

        // A text model on the pictures is refused, saying why.
        dialog.modelBox()->setCurrentIndex(0);
        QVERIFY(dialog.problem().contains(QStringLiteral("holds images")));
        QVERIFY(!dialog.launchButton()->isEnabled());
        dialog.grab().save(ft::test::artifactPath(QStringLiteral("rundialog-images.png")));
    }

    void configureSaveCopyAndLaunch()
    {
        QTemporaryDir dir;
        const auto folder = ft::test::toPath(dir.filePath(QStringLiteral("sample")));
        QVERIFY(ensureSampleProject(folder));
        Project project = Project::open(folder);
        RunDialog dialog(project);
        dialog.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));
        QCOMPARE(dialog.datasetBox()->currentText(), QStringLiteral("product-reviews"));
        QVERIFY(dialog.modelBox()->currentData().toString().startsWith(QStringLiteral("scratch:")));
        QCOMPARE(dialog.taskLabel()->text(), QStringLiteral("Text classification into 3 labels"));

        // Balanced on a small dataset (960 train examples): 5 epochs, keep the best by macro-F1.
        QCOMPARE(edit(dialog, "num_train_epochs")->text(), QStringLiteral("5.0"));
        QCOMPARE(dialog.config().metricForBestModel, std::string("f1"));
        QVERIFY(dialog.config().loadBestModelAtEnd);
        dialog.presetBox()->setFocus();
        QTest::keyClick(dialog.presetBox(), Qt::Key_Up); // Quick
        QCOMPARE(edit(dialog, "num_train_epochs")->text(), QStringLiteral("3.0"));
        QVERIFY(dialog.field(QStringLiteral("learning_rate"))->toolTip().contains(QStringLiteral("Hugging Face")));
        QVERIFY2(dialog.estimateLabel()->text().contains(QStringLiteral("Estimated memory: up to")),
                 qPrintable(dialog.estimateLabel()->text()));

        // Errors show inline, name the key, and block the launch until fixed.
        retype(edit(dialog, "learning_rate"), QStringLiteral("fast"));
        QVERIFY(!dialog.launchButton()->isEnabled());
        QVERIFY2(dialog.problemLabel()->text().contains(QStringLiteral("learning_rate")),
                 qPrintable(dialog.problemLabel()->text()));
        retype(edit(dialog, "learning_rate"), QStringLiteral("0.001"));
        auto *strategy = qobject_cast<QComboBox *>(dialog.field(QStringLiteral("eval_strategy")));
        strategy->setCurrentText(QStringLiteral("steps"));
        QVERIFY(!dialog.launchButton()->isEnabled());
        QVERIFY(dialog.problemLabel()->text().contains(QStringLiteral("eval_steps")));
        retype(edit(dialog, "eval_steps"), QStringLiteral("10"));
        QVERIFY2(dialog.launchButton()->isEnabled(), qPrintable(dialog.problemLabel()->text()));
        retype(edit(dialog, "max_steps"), QStringLiteral("20"));
        QVERIFY2(dialog.summaryLabel()->text().contains(QStringLiteral("20 steps · learning rate 0.001 · batch 16")),
                 qPrintable(dialog.summaryLabel()->text()));
        // The time estimate, from a few timed steps on a sample.
        QPushButton *estimate = nullptr;
        for (QPushButton *b : dialog.findChildren<QPushButton *>())
            if (b->text() == QStringLiteral("Estimate Time"))
                estimate = b;
        QVERIFY(estimate);
        QTest::mouseClick(estimate, Qt::LeftButton);
        QVERIFY(dialog.isEstimating());
        QTRY_VERIFY_WITH_TIMEOUT(!dialog.isEstimating(), 60000);
        QVERIFY2(dialog.timeLabel()->text().startsWith(QStringLiteral("Estimated time: about ")),
                 qPrintable(dialog.timeLabel()->text()));
        QVERIFY(dialog.timeLabel()->text().contains(QStringLiteral("samples/s measured over 3 steps")));
        dialog.grab().save(ft::test::artifactPath(QStringLiteral("run-dialog.png")));
        dialog.tabs()->setCurrentIndex(1);
        dialog.grab().save(ft::test::artifactPath(QStringLiteral("run-dialog-advanced.png")));
        dialog.tabs()->setCurrentIndex(0);

        // Saved as the CLI's run.json; loaded back unchanged.
        const QString file = dir.filePath(QStringLiteral("run.json"));
        QVERIFY(dialog.saveConfig(file));
        const RunConfig saved = loadRunConfig(file.toStdString());
        QVERIFY(saved == dialog.config());
        QCOMPARE(saved.learningRate, 0.001);
        QCOMPARE(saved.maxSteps, std::int64_t{20});
        dialog.applyPreset(RunDialog::Preset::Thorough);
        QVERIFY(!(dialog.config() == saved));
        QVERIFY(dialog.loadConfig(file));
        QVERIFY(dialog.config() == saved);

        // The CLI command carries the same configuration.
        const QString command = dialog.cliCommand();
        QVERIFY(command.contains(QStringLiteral("finetune train --project '")));
        const QString json = command.section(QStringLiteral("<<'JSON'\n"), 1).section(QStringLiteral("\nJSON\n"), 0, 0);
        QVERIFY(parseRunConfig(nlohmann::json::parse(json.toStdString())) == saved);

        // Launch: the queue trains exactly this configuration.
        RunQueue queue;
        connect(&dialog, &RunDialog::launchRequested, &queue,
                [&queue](const TrainingRequest &request, const QString &title) { queue.enqueue(request, title); });
        QTest::mouseClick(dialog.launchButton(), Qt::LeftButton);
        QVERIFY(!dialog.isVisible());
        QCOMPARE(queue.items().size(), 1);
        QTRY_VERIFY_WITH_TIMEOUT(queue.isIdle(), 60000);
        const auto item = queue.items().front();
        QCOMPARE(int(item.outcome), int(RunState::Completed));
        const RunDetails run = runDetails(project, *item.runId);
        QVERIFY(parseRunConfig(nlohmann::json::parse(run.configJson)) == saved);
    }
};

FT_REGISTER_TEST(RunDialogTest);

#include "tst_rundialog.moc"
