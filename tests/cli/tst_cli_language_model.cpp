// tst_cli_language_model.cpp: a real pretrained Llama-style model end to end
// through the command line: llama2.c's stories260K (../shared/data) becomes a
// Hugging Face llama folder, LoRA fine-tunes it on an instruction set made
// here in the model's own pieces (causal-lm: the loss on the responses only),
// and `finetune generate` answers the instructions as trained, where before it did not.
#include "clirunner.h"
#include "tempproject.h"
#include "testhelpers.h"
#include "testregistry.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <filesystem>
#include <utility>
#include <vector>

namespace fs = std::filesystem;
using ft::test::lastJsonLine;
using ft::test::runFinetune;

namespace {

const fs::path kStories = fs::path(FT_SHARED_DIR) / "data" / "pretrained_stories260K" / "stories260K.bin";

// The instruction set, in the model's own pieces: the checkpoint holds no
// vocabulary, so its pieces are known by id only (<piece_N>, ids 259 to 511);
// its byte pieces, which text could be written in, are ones it never learnt
// to tell apart. Eight "instructions" of four pieces, each with its own
// three-piece answer, drawn from a fixed seed.
struct Instruction {
    QString prompt;
    QString answer;
};

QString pieces(std::uint32_t &state, int count)
{
    QString text;
    for (int i = 0; i < count; ++i) {
        state = state * 1664525u + 1013904223u; // a fixed LCG: the same set on every machine
        text += QStringLiteral("<piece_%1>").arg(259 + (state >> 8) % 253);
    }
    return text;
}

const std::vector<Instruction> &instructions()
{
    static const std::vector<Instruction> set = [] {
        std::vector<Instruction> made;
        std::uint32_t state = 2024;
        for (int i = 0; i < 8; ++i) {
            const QString prompt = pieces(state, 4);
            made.push_back({prompt, pieces(state, 3)});
        }
        return made;
    }();
    return set;
}

// prompt,response CSV: every instruction four times in train, once in validation.
QByteArray instructionSet()
{
    QByteArray csv = "prompt,response,split\n";
    for (const char *split : {"train", "train", "train", "train", "validation"})
        for (const Instruction &instruction : instructions())
            csv += instruction.prompt.toUtf8() + ',' + instruction.answer.toUtf8() + ',' + split + '\n';
    return csv;
}

} // namespace

class CliLanguageModelTest : public QObject {
    Q_OBJECT

private:
    QTemporaryDir mDir;
    QString mModel;
    QString mProject;
    QStringList mBefore; // the converted model's answers, before any training

    // Greedy answers of `model` to every instruction.
    QStringList answers(const QString &model)
    {
        QStringList arguments{"generate", "--model", model, "--max-new-tokens", "3", "--json"};
        for (const Instruction &instruction : instructions())
            arguments << "--prompt" << instruction.prompt;
        const auto result = runFinetune(arguments, {}, 300000);
        if (result.exitCode != 0) {
            qWarning().noquote() << result.err;
            return {};
        }
        QStringList texts;
        for (const QString &line : result.out.trimmed().split(QLatin1Char('\n')))
            texts << QJsonDocument::fromJson(line.toUtf8()).object()["text"].toString();
        return texts;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(mDir.isValid());
        mModel = mDir.filePath(QStringLiteral("stories260K"));
        const auto converted = runFinetune({"model", "convert-llama2c", QString::fromStdString(kStories.string()),
                                            mModel, "--json"});
        QVERIFY2(converted.exitCode == 0, qPrintable(converted.err));
        const QJsonObject summary = lastJsonLine(converted.out);
        QCOMPARE(summary["hidden_size"].toInt(), 64);
        QCOMPARE(summary["num_hidden_layers"].toInt(), 5);
        QCOMPARE(summary["num_key_value_heads"].toInt(), 4);
        QCOMPARE(summary["vocab_size"].toInt(), 512);
        mProject = mDir.filePath(QStringLiteral("project"));
        QCOMPARE(runFinetune({"project", "init", mProject}).exitCode, 0);
        const QString csv = mDir.filePath(QStringLiteral("instructions.csv"));
        ft::test::writeBytes(ft::test::toPath(csv), instructionSet());
        const auto imported = runFinetune({"dataset", "import", "--project", mProject, "--name", "instructions", csv,
                                           "--text-column", "prompt", "--text-pair-column", "response",
                                           "--split-column", "split", "--json"});
        QVERIFY2(imported.exitCode == 0, qPrintable(imported.err));
    }

    // The converted folder generates; sampling is seeded and stops where asked.
    void convertedModelGenerates()
    {
        const auto greedy = runFinetune({"generate", "--model", mModel, "--prompt", "Once upon a time",
                                         "--max-new-tokens", "8", "--json"});
        QVERIFY2(greedy.exitCode == 0, qPrintable(greedy.err));
        const QJsonObject first = lastJsonLine(greedy.out);
        QCOMPARE(first["new_tokens"].toInt(), 8);
        QCOMPARE(first["stop_reason"].toString(), QStringLiteral("max_new_tokens"));
        // <s>, then "▁Once▁upon▁a▁time" byte by byte: 13 letters and 4 three-byte "▁".
        QCOMPARE(first["prompt_tokens"].toInt(), 1 + 13 + 4 * 3);
        QList<QJsonArray> sampled;
        for (int run = 0; run < 2; ++run) {
            const auto result = runFinetune({"generate", "--model", mModel, "--prompt", "Once upon a time",
                                             "--max-new-tokens", "8", "--temperature", "1.0", "--top-p", "0.9",
                                             "--seed", "7", "--json"});
            QVERIFY2(result.exitCode == 0, qPrintable(result.err));
            sampled << lastJsonLine(result.out)["ids"].toArray();
        }
        QCOMPARE(sampled[1], sampled[0]);
    }

    // The converted model as a classifier (LlamaForSequenceClassification, a new score head) trains on
    // a few SST-2 sentences and exports to TorchScript and ONNX with the run's predictions.
    void llamaClassifierExports()
    {
        const auto imported = ft::test::importSst2(mProject, "sst2-small", mDir.filePath("sst2-small.tsv"),
                                                   ft::test::sst2WithSplits(200, 60));
        QVERIFY2(imported.exitCode == 0, qPrintable(imported.err));
        const QString config = mDir.filePath(QStringLiteral("classify.json"));
        ft::test::writeBytes(ft::test::toPath(config), R"({"max_steps": 10, "per_device_train_batch_size": 16,
            "max_length": 64, "eval_strategy": "no", "threads": 1, "seed": 1})");
        const auto trained = runFinetune({"train", "--project", mProject, "--dataset", "sst2-small", "--model", mModel,
                                          "--config", config, "--json"},
                                         {}, 600000);
        QVERIFY2(trained.exitCode == 0, qPrintable(trained.err));
        const QString run = QString::number(lastJsonLine(trained.out)["run_id"].toInt());
        for (const char *format : {"torchscript", "onnx"}) {
            const auto exported = runFinetune({"export", "--project", mProject, "--run", run, "--format", format,
                                               "--output", mDir.filePath(QStringLiteral("llama-%1").arg(format)),
                                               "--json"},
                                              {}, 600000);
            QVERIFY2(exported.exitCode == 0, qPrintable(exported.err));
            const QJsonObject check = lastJsonLine(exported.out)["check"].toObject();
            QCOMPARE(check["examples"].toInt(), 60);
            QCOMPARE(check["predictions_changed"].toInt(), 0);
            QVERIFY2(check["max_abs_logit_difference"].toDouble() < 1e-4,
                     qPrintable(QString::number(check["max_abs_logit_difference"].toDouble())));
        }
    }

    // Each method on the pretrained weights: before, the model answers none of the instructions;
    // after, it answers them as trained (the loss on the answers only). Measured: 8 of 8 for each
    // method after 120 steps; the rows ask for 7.
    void instructionTuningChangesGeneration_data()
    {
        QTest::addColumn<QByteArray>("method");
        QTest::addColumn<int>("atLeast");
        QTest::addColumn<QString>("peftType"); // of the run's adapter folder; empty: none
        QTest::newRow("lora") << QByteArray(R"("method": "lora", "lora_r": 8, "lora_alpha": 16, "lora_dropout": 0,
            "learning_rate": 0.01)") << 7 << QStringLiteral("LORA");
        QTest::newRow("adapter") << QByteArray(R"("method": "adapter", "adapter_type": "houlsby",
            "adapter_reduction_factor": 4, "learning_rate": 0.01)") << 7 << QString();
        QTest::newRow("prefix") << QByteArray(R"("method": "prefix", "num_virtual_tokens": 8, "learning_rate": 0.01)")
                                << 7 << QStringLiteral("PREFIX_TUNING");
        QTest::newRow("prompt") << QByteArray(R"("method": "prompt", "num_virtual_tokens": 8, "learning_rate": 0.1)")
                                << 7 << QStringLiteral("PROMPT_TUNING");
    }
    void instructionTuningChangesGeneration()
    {
        QFETCH(QByteArray, method);
        QFETCH(int, atLeast);
        QFETCH(QString, peftType);
        if (mBefore.isEmpty())
            mBefore = answers(mModel);
        QCOMPARE(mBefore.size(), int(instructions().size()));
        const QString config = mDir.filePath(QStringLiteral("sft-%1.json").arg(QLatin1String(QTest::currentDataTag())));
        ft::test::writeBytes(ft::test::toPath(config), R"({"task": "causal-lm", "max_steps": 120,
            "per_device_train_batch_size": 8, "max_length": 32, "eval_strategy": "no", "threads": 1, "seed": 1, )"
                                                           + method + "}");
        const auto trained = runFinetune({"train", "--project", mProject, "--dataset", "instructions", "--model",
                                          mModel, "--config", config, "--json"},
                                         {}, 600000);
        QVERIFY2(trained.exitCode == 0, qPrintable(trained.err));
        const QJsonObject run = lastJsonLine(trained.out);
        QCOMPARE(run["state"].toString(), QStringLiteral("completed"));
        const QString runFolder = mProject + QStringLiteral("/runs/%1").arg(run["run_id"].toInt());
        const QStringList after = answers(runFolder);
        QCOMPARE(after.size(), int(instructions().size()));
        int rightBefore = 0;
        int rightAfter = 0;
        for (std::size_t i = 0; i < instructions().size(); ++i) {
            const QString &expected = instructions()[i].answer;
            qInfo().noquote() << instructions()[i].prompt << "->" << expected << "before:" << mBefore[int(i)]
                              << "after:" << after[int(i)];
            rightBefore += mBefore[int(i)] == expected;
            rightAfter += after[int(i)] == expected;
        }
        qInfo("%s: %d of %d answered as trained", QTest::currentDataTag(), rightAfter, int(instructions().size()));
        QCOMPARE(rightBefore, 0);
        QVERIFY2(rightAfter >= atLeast, qPrintable(QString::number(rightAfter)));
        // The adapter is PEFT's, for a causal LM.
        const fs::path adapterConfig = ft::test::toPath(runFolder + QStringLiteral("/adapter/adapter_config.json"));
        QCOMPARE(fs::exists(adapterConfig), !peftType.isEmpty());
        if (peftType.isEmpty())
            return;
        const QJsonObject adapter = QJsonDocument::fromJson(ft::test::readBytes(adapterConfig)).object();
        QCOMPARE(adapter["task_type"].toString(), QStringLiteral("CAUSAL_LM"));
        QCOMPARE(adapter["peft_type"].toString(), peftType);
    }
};

FT_REGISTER_TEST(CliLanguageModelTest);
#include "tst_cli_language_model.moc"
