// clirunner.h: runs the `finetune` binary under test and captures its output.
#pragma once

#include <QByteArray>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

namespace ft::test {

struct CliResult {
    int exitCode = -1;
    QString out;
    QString err;
};

// `environment` adds to (or overrides) the test's own environment.
CliResult runFinetune(const QStringList &arguments, const QProcessEnvironment &environment = {},
                      int timeoutMs = 120000);

// SST-2 from ../shared/data: its train rows (split "train") and dev rows
// ("validation") as one TSV with a split column; with limits, only the first
// that many of each.
QByteArray sst2WithSplits(int trainRows = -1, int validationRows = -1);

// Writes `tsv` (sentence, label, split columns, as sst2WithSplits makes it)
// to `file` and imports it into `project` as dataset `name`.
CliResult importSst2(const QString &project, const QString &name, const QString &file, const QByteArray &tsv);

// A scratch model folder `folder` (created): `config` as config.json beside the files of a real
// tokenizer from ../shared/data/tokenizers. Returns the config file's path.
QString scratchModelConfig(const QString &folder, const QByteArray &config,
                           const char *tokenizer = "bert-base-uncased");

} // namespace ft::test
