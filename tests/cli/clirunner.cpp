// clirunner.cpp
#include "clirunner.h"

#include "tempproject.h"

#include <QProcess>

#include <filesystem>
#include <tuple>
#include <utility>

namespace ft::test {

CliResult runFinetune(const QStringList &arguments, const QProcessEnvironment &environment, int timeoutMs)
{
    QProcess process;
    QProcessEnvironment merged = QProcessEnvironment::systemEnvironment();
    merged.insert(environment);
    process.setProcessEnvironment(merged);
    process.start(QStringLiteral(FINETUNE_CLI_PATH), arguments);
    CliResult result;
    if (!process.waitForFinished(timeoutMs)) {
        process.kill();
        process.waitForFinished();
        result.err = QStringLiteral("timed out");
        return result;
    }
    result.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    result.out = QString::fromUtf8(process.readAllStandardOutput());
    result.err = QString::fromUtf8(process.readAllStandardError());
    return result;
}

} // namespace ft::test

namespace ft::test {

QByteArray sst2WithSplits(int trainRows, int validationRows)
{
    const std::filesystem::path folder = std::filesystem::path(FT_SHARED_DIR) / "data" / "sst2";
    QByteArray tsv = "sentence\tlabel\tsplit\n";
    for (const auto &[file, split, limit] : {std::tuple{"train.tsv", "train", trainRows},
                                             std::tuple{"dev.tsv", "validation", validationRows}}) {
        const QList<QByteArray> lines = readBytes(folder / file).split('\n');
        int taken = 0;
        for (qsizetype i = 1; i < lines.size() && (limit < 0 || taken < limit); ++i)
            if (!lines[i].isEmpty()) {
                tsv += lines[i] + '\t' + split + '\n';
                ++taken;
            }
    }
    return tsv;
}

CliResult importSst2(const QString &project, const QString &name, const QString &file, const QByteArray &tsv)
{
    writeBytes(toPath(file), tsv);
    return runFinetune({"dataset", "import", "--project", project, "--name", name, file, "--no-quoting",
                        "--text-column", "sentence", "--label-column", "label", "--split-column", "split", "--json"});
}

QString scratchModelConfig(const QString &folder, const QByteArray &config, const char *tokenizer)
{
    const std::filesystem::path target = toPath(folder);
    std::filesystem::create_directories(target);
    const std::filesystem::path source = std::filesystem::path(FT_SHARED_DIR) / "data" / "tokenizers" / tokenizer;
    for (const char *file : {"vocab.txt", "vocab.json", "merges.txt", "tokenizer.json", "tokenizer_config.json"})
        if (std::filesystem::exists(source / file))
            std::filesystem::copy_file(source / file, target / file);
    writeBytes(target / "config.json", config);
    return QString::fromStdString((target / "config.json").string());
}

} // namespace ft::test
