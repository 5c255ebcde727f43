// rundialog.h: configuring a fine-tuning run: dataset, base model, a preset
// sized to the dataset (Quick, Balanced, Thorough), and an Advanced page with
// every configuration key (its Hugging Face name and meaning as tooltip).
// Invalid combinations show inline and block the launch; the estimated memory
// is shown before launch. The configuration saves and loads as the JSON file
// `finetune train --config` takes, and copies as a CLI command.
#pragma once

#include "train/run_config.h"
#include "train/trainer.h"

#include <QDialog>
#include <QMap>

#include <filesystem>

class QComboBox;
class QLabel;
class QPushButton;
class QTabWidget;

namespace ft {
class Project;
}

namespace ft::ui {

class RunDialog : public QDialog {
    Q_OBJECT

public:
    enum class Preset { Quick, Balanced, Thorough };

    RunDialog(Project &project, QWidget *parent = nullptr);
    ~RunDialog() override;

    // The request the dialog describes now; the configuration may be invalid (see problem()).
    TrainingRequest request() const;
    RunConfig config() const;
    // Why the configuration cannot run, or empty.
    QString problem() const { return mProblem; }

    void applyPreset(Preset preset);
    // Starts from an earlier run: its dataset, base model and configuration ("run again with changes").
    void setRequest(const QString &dataset, const QString &model, const RunConfig &config);
    void setConfig(const RunConfig &config);
    bool saveConfig(const QString &file) const;
    bool loadConfig(const QString &file);
    QString cliCommand() const;
    // "Run Elsewhere…": run.json and launch scripts for another machine or a
    // cluster (train/remote_launch.h) in `folder`; says where, or what failed.
    bool writeRunElsewhere(const QString &folder);

    QComboBox *datasetBox() const { return mDataset; }
    QComboBox *modelBox() const { return mModel; }
    QComboBox *presetBox() const { return mPreset; }
    QWidget *field(const QString &key) const { return mFields.value(key); }
    QLabel *problemLabel() const { return mProblemLabel; }
    QLabel *estimateLabel() const { return mEstimate; }
    QLabel *summaryLabel() const { return mSummary; }
    QLabel *taskLabel() const { return mTask; }
    // The base model's family and the tasks and methods it trains with.
    QLabel *familyLabel() const { return mFamily; }
    QLabel *timeLabel() const { return mTime; }
    // Times a few steps of this configuration on a sample (worker thread) and shows the estimate.
    void estimateTime();
    bool isEstimating() const { return mEstimating; }
    QTabWidget *tabs() const { return mTabs; }
    QPushButton *launchButton() const { return mLaunch; }
    QPushButton *elsewhereButton() const { return mElsewhere; }

Q_SIGNALS:
    void launchRequested(const ft::TrainingRequest &request, const QString &title);

private:
    void buildAdvancedPage(QTabWidget *tabs);
    void selectModelForDataset();
    std::vector<std::string> currentLabels() const;
    void takeTeacherInputs(std::int64_t runId);
    void revalidate();
    std::int64_t trainExamples() const;

    Project &mProject;
    QComboBox *mDataset;
    QComboBox *mModel;
    QComboBox *mPreset;
    QMap<QString, QWidget *> mFields; // by configuration key
    QLabel *mProblemLabel;
    QLabel *mEstimate;
    QLabel *mSummary; // the main settings in words, on the first page
    QLabel *mTask;    // what the run learns, from the dataset's labels and text pairs
    QLabel *mFamily;
    QLabel *mTime;
    QPushButton *mTimeButton;
    bool mEstimating = false;
    QTabWidget *mTabs;
    QPushButton *mLaunch;
    QPushButton *mElsewhere;
    QString mProblem;
    bool mFilling = false; // setting fields from a configuration: no revalidation per field
};

} // namespace ft::ui
