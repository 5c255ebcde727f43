// importdialog.h: importing a dropped data file or folder into the open
// project. A live preview of the first rows follows every change of format,
// encoding, header and column mapping (starting from the mapping last chosen
// for files of the same columns); the import then runs on a worker thread (its own connection to the
// project) with a progress bar and Cancel, and ends with a report of the rows
// it rejected. Non-modal, so the studio stays usable while it works.
#pragma once

#include "data/dataset_import.h"

#include <QDialog>

#include <atomic>
#include <filesystem>
#include <memory>

class QCheckBox;
class QComboBox;
class QDialogButtonBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QStackedWidget;
class QTableWidget;
class QThread;

namespace ft::ui {

class ImportDialog : public QDialog {
    Q_OBJECT

public:
    // `projectFolder`: where the dataset goes; `existingNames`: dataset names already taken.
    ImportDialog(const std::filesystem::path &projectFolder, const QString &file, const QStringList &existingNames,
                 QWidget *parent = nullptr);
    ~ImportDialog() override;

    // The options the import would run with now.
    ImportOptions options() const;
    bool isImporting() const;

    QLineEdit *nameField() const { return mName; }
    QComboBox *formatBox() const { return mFormat; }
    QComboBox *encodingBox() const { return mEncoding; }
    QComboBox *imageColumnBox() const { return mImage; }
    QCheckBox *headerBox() const { return mHeader; }
    QComboBox *textColumnBox() const { return mText; }
    QComboBox *textPairColumnBox() const { return mTextPair; }
    QComboBox *labelColumnBox() const { return mLabel; }
    QComboBox *splitColumnBox() const { return mSplit; }
    QTableWidget *preview() const { return mPreview; }
    QLabel *previewStatus() const { return mPreviewStatus; }
    QPushButton *importButton() const { return mImport; }
    QPushButton *cancelButton() const { return mCancel; }
    QProgressBar *progressBar() const { return mProgress; }
    QLabel *progressText() const { return mProgressText; }
    QLabel *reportSummary() const { return mSummary; }
    QTableWidget *rejectedRows() const { return mRejected; }

public Q_SLOTS:
    void startImport();
    void cancelImport();

Q_SIGNALS:
    // The import finished and the dataset exists.
    void imported(const QString &datasetName);

private:
    void reloadPreview();   // after the format or the header changed: read the file again
    void refreshPreview();  // after the mapping changed: headers and row checks only
    void showProgress(const ImportProgress &progress);
    void showResult(const ImportResult &result);
    void showFailure(const QString &message, bool cancelled);
    void setInputsEnabled(bool enabled);

    std::filesystem::path mProjectFolder;
    QString mFile;
    QStringList mColumns;
    std::vector<std::pair<std::int64_t, QStringList>> mRows; // line, values
    std::vector<std::pair<std::int64_t, QString>> mRowErrors;

    QLineEdit *mName;
    QComboBox *mFormat;
    QComboBox *mEncoding;
    QCheckBox *mHeader;
    QComboBox *mText;
    QComboBox *mTextPair;
    QComboBox *mLabel;
    QComboBox *mSplit;
    QComboBox *mImage;
    QString mMappingNote; // where the initial mapping came from
    QDoubleSpinBox *mTrain;
    QDoubleSpinBox *mValidation;
    QDoubleSpinBox *mTest;
    QWidget *mRatios;
    QTableWidget *mPreview;
    QLabel *mPreviewStatus;
    QProgressBar *mProgress;
    QLabel *mProgressText;
    QStackedWidget *mPages;
    QLabel *mSummary;
    QTableWidget *mRejected;
    QPushButton *mImport;
    QPushButton *mCancel;

    QThread *mThread = nullptr;
    std::shared_ptr<std::atomic<bool>> mCancelFlag = std::make_shared<std::atomic<bool>>(false);
};

} // namespace ft::ui
