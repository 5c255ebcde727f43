// tst_modelpicker.cpp: the run dialog's base-model choices on the sample project with GPT-2,
// Llama and DistilBERT models added: each model's family line and tooltip, the methods and tasks
// a family lacks greyed out (the keyboard skips them), an invalid combination left behind by a
// model change shown and refused, and the teacher picker listing completed runs, taking over the
// teacher's model and writing its id into the configuration the CLI and the file get.
#include "data/sample_dataset.h"
#include "models/model_family.h"
#include "nullsink.h"
#include "runs/modelpicker.h"
#include "runs/rundialog.h"
#include "store/catalog.h"
#include "store/project.h"
#include "store/runs.h"
#include "tempproject.h"
#include "testregistry.h"
#include "train/trainer.h"
#include "uitesthelpers.h"

#include <QComboBox>
#include <QLabel>
#include <QPushButton>
#include <QScrollArea>
#include <QStandardItemModel>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>

#include <nlohmann/json.hpp>

using namespace ft;
using namespace ft::ui;

namespace {

const std::filesystem::path kTextModels = std::filesystem::path(FT_TESTS_DIR) / "text_models" / "golden";

const QString kBertLine =
    QStringLiteral("BERT · tasks: classification · methods: full, freeze, lora, adapter, prefix, prompt");

// The methods models/model_family.h gives a family, as the family line lists them.
QString methodsOf(const char *modelType)
{
    QStringList methods;
    for (const std::string &method : findModelFamily(modelType)->methods)
        methods << QString::fromStdString(method);
    return methods.join(QStringLiteral(", "));
}

// The sample project with the tiny GPT-2, Llama and DistilBERT classifiers as base models.
std::filesystem::path sampleWithFamilies(const QTemporaryDir &dir)
{
    const auto folder = ft::test::toPath(dir.filePath(QStringLiteral("sample")));
    ensureSampleProject(folder);
    Project project = Project::open(folder);
    for (const char *name : {"tiny-gpt2", "tiny-llama", "tiny-distilbert"}) {
        ModelRecord model;
        model.name = name;
        model.path = (kTextModels / name).string();
        addModel(project, model, ft::test::readBytes(kTextModels / name / "config.json").toStdString());
    }
    return folder;
}

QComboBox *combo(RunDialog &dialog, const char *key)
{
    return qobject_cast<QComboBox *>(dialog.field(QString::fromLatin1(key)));
}

bool offered(QComboBox *box, const QString &text)
{
    const auto *model = qobject_cast<QStandardItemModel *>(box->model());
    return model->item(box->findText(text))->isEnabled();
}

void chooseModel(RunDialog &dialog, const QString &name)
{
    const int index = dialog.modelBox()->findText(name);
    QVERIFY2(index >= 0, qPrintable(name));
    dialog.modelBox()->setCurrentIndex(index);
}

} // namespace

class ModelPickerTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void familyLineAndTooltips()
    {
        QTemporaryDir dir;
        Project project = Project::open(sampleWithFamilies(dir));
        RunDialog dialog(project);
        dialog.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));
        QVERIFY(dialog.modelBox()->currentText().startsWith(QStringLiteral("Sample scratch model")));
        QCOMPARE(dialog.familyLabel()->text(), kBertLine);
        QCOMPARE(dialog.modelBox()->itemData(dialog.modelBox()->currentIndex(), Qt::ToolTipRole).toString(), kBertLine);

        chooseModel(dialog, QStringLiteral("tiny-gpt2"));
        const QString gpt2 = QStringLiteral("GPT-2 · tasks: classification, causal-lm · methods: ") + methodsOf("gpt2");
        QVERIFY(gpt2.startsWith(QStringLiteral("GPT-2 · tasks: classification, causal-lm · methods: full, freeze, lora")));
        QCOMPARE(dialog.familyLabel()->text(), gpt2);
        QCOMPARE(dialog.modelBox()->itemData(dialog.modelBox()->findText(QStringLiteral("tiny-gpt2")), Qt::ToolTipRole)
                     .toString(),
                 gpt2);
        QTest::qWait(50); // wrapped labels laid out
        dialog.grab().save(ft::test::artifactPath(QStringLiteral("rundialog-family.png")));
        chooseModel(dialog, QStringLiteral("tiny-llama"));
        QCOMPARE(dialog.familyLabel()->text(),
                 QStringLiteral("Llama · tasks: classification, causal-lm · methods: ") + methodsOf("llama"));
        // Every text family gets a memory estimate (models/text_model_size.h).
        for (const char *model : {"tiny-gpt2", "tiny-llama"}) {
            chooseModel(dialog, QString::fromLatin1(model));
            QVERIFY2(dialog.estimateLabel()->text().startsWith(QStringLiteral("Estimated memory: up to")),
                     qPrintable(dialog.estimateLabel()->text()));
        }
        chooseModel(dialog, QStringLiteral("tiny-distilbert"));
        QCOMPARE(dialog.familyLabel()->text(), QStringLiteral("DistilBERT · tasks: classification · methods: full, "
                                                              "freeze, lora, adapter, prompt"));
        // The image classifiers say what they do too.
        dialog.datasetBox()->setCurrentText(QStringLiteral("shapes"));
        QCOMPARE(dialog.familyLabel()->text(),
                 QStringLiteral("ResNet · tasks: image classification · methods: full, freeze"));
    }

    void methodsAndTasksFollowTheFamily()
    {
        QTemporaryDir dir;
        Project project = Project::open(sampleWithFamilies(dir));
        RunDialog dialog(project);
        QComboBox *method = combo(dialog, "method");
        QComboBox *task = combo(dialog, "task");
        QVERIFY(method && task);

        // BERT: every method, but no causal-lm, saying why.
        for (const char *name : {"full", "lora", "freeze", "adapter", "prefix", "prompt"})
            QVERIFY2(offered(method, QString::fromLatin1(name)), name);
        QVERIFY(!offered(task, QStringLiteral("causal-lm")));
        QVERIFY(task->itemData(task->findText(QStringLiteral("causal-lm")), Qt::ToolTipRole)
                    .toString()
                    .contains(QStringLiteral("BERT is not a language model")));

        // DistilBERT has no prefix tuning.
        chooseModel(dialog, QStringLiteral("tiny-distilbert"));
        QVERIFY(!offered(method, QStringLiteral("prefix")));
        QVERIFY(offered(method, QStringLiteral("prompt")));
        QCOMPARE(method->itemData(method->findText(QStringLiteral("prefix")), Qt::ToolTipRole).toString(),
                 QStringLiteral("DistilBERT models do not train with method prefix"));

        // The keyboard passes over it: from adapter down to prompt.
        method->setCurrentText(QStringLiteral("adapter"));
        method->setFocus();
        QTest::keyClick(method, Qt::Key_Down);
        QCOMPARE(method->currentText(), QStringLiteral("prompt"));
        QVERIFY2(dialog.problem().isEmpty(), qPrintable(dialog.problem()));

        // GPT-2 is a language model: causal-lm is offered.
        chooseModel(dialog, QStringLiteral("tiny-gpt2"));
        QVERIFY(offered(task, QStringLiteral("causal-lm")));
        // The images' ResNet trains fully or frozen only.
        dialog.datasetBox()->setCurrentText(QStringLiteral("shapes"));
        QCOMPARE(dialog.modelBox()->currentText(), QStringLiteral("Sample scratch CNN for images (random init)"));
        for (const char *name : {"lora", "adapter", "prefix", "prompt"})
            QVERIFY2(!offered(method, QString::fromLatin1(name)), name);
        QVERIFY(offered(method, QStringLiteral("freeze")));
    }

    void invalidCombinationsAreShownAndRefused()
    {
        QTemporaryDir dir;
        Project project = Project::open(sampleWithFamilies(dir));
        RunDialog dialog(project);
        dialog.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));
        QComboBox *method = combo(dialog, "method");
        method->setCurrentText(QStringLiteral("prefix"));
        QVERIFY2(dialog.problem().isEmpty(), qPrintable(dialog.problem()));
        QVERIFY(dialog.launchButton()->isEnabled());

        // Prefix tuning on BERT, then the model changes to DistilBERT: shown, and the launch refused.
        chooseModel(dialog, QStringLiteral("tiny-distilbert"));
        QCOMPARE(method->currentText(), QStringLiteral("prefix"));
        QCOMPARE(dialog.problem(), QStringLiteral("tiny-distilbert is a DistilBERT model, which does not train with "
                                                  "method prefix; choose one of full, freeze, lora, adapter, prompt."));
        QVERIFY(dialog.problemLabel()->text().contains(QStringLiteral("does not train with method prefix")));
        QVERIFY(!dialog.launchButton()->isEnabled());
        QVERIFY(!dialog.elsewhereButton()->isEnabled());
        QTest::qWait(50); // wrapped labels laid out
        dialog.grab().save(ft::test::artifactPath(QStringLiteral("rundialog-invalid-method.png")));
        method->setCurrentText(QStringLiteral("lora"));
        QVERIFY2(dialog.problem().isEmpty(), qPrintable(dialog.problem()));
        QVERIFY(dialog.launchButton()->isEnabled());

        // causal-lm on GPT-2, then back to the BERT scratch model.
        chooseModel(dialog, QStringLiteral("tiny-gpt2"));
        combo(dialog, "task")->setCurrentText(QStringLiteral("causal-lm"));
        QVERIFY2(!dialog.problem().contains(QStringLiteral("causal-lm")), qPrintable(dialog.problem()));
        dialog.modelBox()->setCurrentIndex(0);
        QCOMPARE(dialog.problem(),
                 QStringLiteral("Task causal-lm fine-tunes a language model: choose a Llama or GPT-2 base model."));
        QVERIFY(!dialog.launchButton()->isEnabled());
    }

    void teacherPickerListsCompletedRuns()
    {
        QTemporaryDir dir;
        const auto folder = sampleWithFamilies(dir);
        TrainingRequest teach;
        teach.project = folder;
        teach.dataset = "product-reviews";
        teach.model = "scratch:" + (folder / "scratch-model" / "config.json").string();
        teach.config = loadRunConfig(folder / "scratch-model" / "run.json");
        teach.config.maxSteps = 4;
        ft::test::NullSink sink;
        RunControl control;
        const std::int64_t teacher = train(teach, sink, control).runId;
        Project project = Project::open(folder);
        // A run that never finished is no teacher.
        NewRun queued;
        queued.name = "never trained";
        queued.configJson = "{}";
        createRun(project, queued);

        RunDialog dialog(project);
        dialog.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));
        QComboBox *teachers = combo(dialog, "distill_teacher_run");
        QVERIFY(teachers);
        QCOMPARE(teachers->count(), 2);
        QCOMPARE(teachers->itemText(0), QStringLiteral("None (no distillation)"));
        const QString listed = teachers->itemText(1);
        QVERIFY2(listed.startsWith(QStringLiteral("#%1 product-reviews on ").arg(teacher)), qPrintable(listed));
        QVERIFY2(listed.contains(QStringLiteral("— BERT, 2 layers · accuracy ")), qPrintable(listed));
        QCOMPARE(dialog.config().distillTeacherRun, std::int64_t{0});

        // Chosen with the keyboard: the student is made from the teacher's model.
        dialog.tabs()->setCurrentIndex(1);
        teachers->setFocus();
        QTest::keyClick(teachers, Qt::Key_Down);
        QCOMPARE(teachers->currentIndex(), 1);
        QCOMPARE(dialog.modelBox()->currentText(), QStringLiteral("Run %1's model").arg(teacher));
        QCOMPARE(dialog.familyLabel()->text(), kBertLine);
        QCOMPARE(dialog.datasetBox()->currentText(), QStringLiteral("product-reviews"));
        QVERIFY2(dialog.problem().isEmpty(), qPrintable(dialog.problem()));
        QCOMPARE(dialog.config().distillTeacherRun, teacher);
        dialog.findChild<QScrollArea *>()->ensureWidgetVisible(teachers);
        QTest::qWait(50); // wrapped labels laid out
        dialog.grab().save(ft::test::artifactPath(QStringLiteral("rundialog-teacher-advanced.png")));
        dialog.tabs()->setCurrentIndex(0);
        dialog.grab().save(ft::test::artifactPath(QStringLiteral("rundialog-teacher.png")));

        // The same JSON in the file and in the CLI command; loaded back, the same teacher.
        const QString file = dir.filePath(QStringLiteral("student.json"));
        QVERIFY(dialog.saveConfig(file));
        const RunConfig saved = loadRunConfig(file.toStdString());
        QCOMPARE(saved.distillTeacherRun, teacher);
        const QString command = dialog.cliCommand();
        const QString json = command.section(QStringLiteral("<<'JSON'\n"), 1).section(QStringLiteral("\nJSON\n"), 0, 0);
        QCOMPARE(nlohmann::json::parse(json.toStdString()).at("distill_teacher_run").get<std::int64_t>(), teacher);
        QVERIFY(parseRunConfig(nlohmann::json::parse(json.toStdString())) == saved);
        // A preset keeps the teacher.
        dialog.applyPreset(RunDialog::Preset::Quick);
        QCOMPARE(dialog.config().distillTeacherRun, teacher);
        QVERIFY(dialog.loadConfig(file));
        QVERIFY(dialog.config() == saved);

        // Another base model, or a method that trains adapters, cannot be a student.
        dialog.modelBox()->setCurrentIndex(0);
        QVERIFY2(dialog.problem().contains(QStringLiteral("is made from its model")), qPrintable(dialog.problem()));
        QVERIFY(!dialog.launchButton()->isEnabled());
        dialog.modelBox()->setCurrentText(QStringLiteral("Run %1's model").arg(teacher));
        QVERIFY2(dialog.problem().isEmpty(), qPrintable(dialog.problem()));
        combo(dialog, "method")->setCurrentText(QStringLiteral("lora"));
        QVERIFY2(dialog.problem().contains(QStringLiteral("method must be \"full\" or \"freeze\"")),
                 qPrintable(dialog.problem()));

        // A configuration naming a run that cannot teach keeps its id and says why.
        RunConfig unknown = saved;
        unknown.distillTeacherRun = 99;
        dialog.setConfig(unknown);
        QCOMPARE(dialog.config().distillTeacherRun, std::int64_t{99});
        QVERIFY2(dialog.problem().contains(QStringLiteral("run 99 has no finished model")),
                 qPrintable(dialog.problem()));
        QVERIFY(!dialog.launchButton()->isEnabled());
    }
};

FT_REGISTER_TEST(ModelPickerTest);

#include "tst_modelpicker.moc"
