// tst_remote_launch.cpp: "Run elsewhere": the launch files written for another
// machine parse as shell, point at the copy of the project, and really train
// the run there (a stand-in for torchrun that runs the command it is given).
#include "data/sample_dataset.h"
#include "store/catalog.h"
#include "store/project.h"
#include "store/runs.h"
#include "tempproject.h"
#include "testhelpers.h"
#include "testregistry.h"
#include "train/remote_launch.h"

#include <nlohmann/json.hpp>

#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using namespace ft;

class RemoteLaunchTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void launchFilesTrainACopyOfTheProject()
    {
        QTemporaryDir dir;
        const fs::path project = test::toPath(dir.filePath("sample"));
        QVERIFY(ensureSampleProject(project));
        RemoteLaunch launch;
        launch.project = project;
        launch.dataset = "product-reviews";
        launch.model = "scratch:" + (project / "scratch-model" / "config.json").string();
        launch.configJson = R"({"max_steps": 2, "eval_strategy": "no", "threads": 1, "max_length": 32})";
        launch.processesPerNode = 2;
        const fs::path folder = test::toPath(dir.filePath("launch"));
        writeRemoteLaunch(folder, launch);

        for (const char *file : {"run.json", "launch-torchrun.sh", "finetune-train.sbatch", "README.txt"})
            QVERIFY2(fs::is_regular_file(folder / file), file);
        QVERIFY(nlohmann::json::parse(test::readBytes(folder / "run.json").toStdString())["max_steps"] == 2);
        const QString torchrun = QString::fromUtf8(test::readBytes(folder / "launch-torchrun.sh"));
        QVERIFY2(torchrun.contains(QStringLiteral("MODEL=\"scratch:$PROJECT/scratch-model/config.json\"")),
                 qPrintable(torchrun));
        QVERIFY(torchrun.contains(QStringLiteral("--nproc-per-node 2")));
        QVERIFY(QString::fromUtf8(test::readBytes(folder / "finetune-train.sbatch"))
                    .contains(QStringLiteral("#SBATCH --ntasks-per-node=2")));
        QVERIFY(fs::status(folder / "launch-torchrun.sh").permissions() != fs::perms::none);
        QString failure;
        for (const char *script : {"launch-torchrun.sh", "finetune-train.sbatch"}) {
            test::runProgram(QStringLiteral("bash"), {"-n", QString::fromStdString((folder / script).string())}, failure);
            QVERIFY2(failure.isEmpty(), qPrintable(failure));
        }

        // "Elsewhere": the project copied beside the launch folder, under another parent; torchrun
        // replaced by a stand-in that drops its options and runs the command, on one worker.
        const fs::path remote = test::toPath(dir.filePath("remote"));
        fs::create_directories(remote);
        fs::copy(project, remote / "sample", fs::copy_options::recursive);
        fs::copy(folder, remote / "launch", fs::copy_options::recursive);
        const fs::path bin = test::toPath(dir.filePath("bin"));
        fs::create_directories(bin);
        std::ofstream(bin / "torchrun") << "#!/bin/bash\n"
                                           "while [[ \"$1\" == --* ]]; do [[ \"$1\" == --no-python ]] && shift || shift 2; done\n"
                                           "exec \"$@\"\n";
        fs::permissions(bin / "torchrun", fs::perms::owner_all);
        fs::create_symlink(FINETUNE_CLI_PATH, bin / "finetune");
        QProcess run;
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert(QStringLiteral("PATH"),
                           QString::fromStdString(bin.string()) + QLatin1Char(':') + environment.value(QStringLiteral("PATH")));
        run.setProcessEnvironment(environment);
        run.start(QStringLiteral("bash"), {QString::fromStdString((remote / "launch" / "launch-torchrun.sh").string())});
        QVERIFY(run.waitForFinished(120000));
        QVERIFY2(run.exitCode() == 0, run.readAllStandardError().constData());
        QVERIFY2(run.readAllStandardOutput().contains("\"state\":\"completed\""), "no summary from the run");
        // It trained in the copy, not here.
        Project there = Project::open(remote / "sample");
        QCOMPARE(int(runDetails(there, 1).state), int(RunState::Completed));
        Project here = Project::open(project);
        QCOMPARE(listRuns(here).size(), size_t{0});
    }
};

FT_REGISTER_TEST(RemoteLaunchTest);

#include "tst_remote_launch.moc"
