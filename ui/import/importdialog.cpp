// importdialog.cpp
#include "import/importdialog.h"

#include "common/error.h"
#include "data/column_mapping.h"
#include "data/row_source.h"
#include "data/text_encoding.h"
#include "store/column_mappings.h"
#include "store/project.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileInfo>
#include <QFormLayout>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QStackedWidget>
#include <QTableWidget>
#include <QThread>
#include <QVBoxLayout>

namespace fs = std::filesystem;

namespace ft::ui {

namespace {

constexpr int kPreviewRows = 20;

fs::path toPath(const QString &file)
{
    return fs::path(file.toStdString());
}

QString uniqueName(const QString &base, const QStringList &taken)
{
    QString name = base.isEmpty() ? QStringLiteral("dataset") : base;
    for (int n = 2; taken.contains(name); ++n)
        name = base + QStringLiteral("-%1").arg(n);
    return name;
}

// The column a combo box names, or "" for its "(none)" entry.
std::string columnOf(const QComboBox *box)
{
    return box->currentData().toString().toStdString();
}

QDoubleSpinBox *ratioBox(double value, QWidget *parent)
{
    auto *box = new QDoubleSpinBox(parent);
    box->setRange(0, 100);
    box->setDecimals(0);
    box->setSuffix(QStringLiteral(" %"));
    box->setValue(value);
    return box;
}

} // namespace

ImportDialog::ImportDialog(const fs::path &projectFolder, const QString &file, const QStringList &existingNames,
                           QWidget *parent)
    : QDialog(parent),
      mProjectFolder(projectFolder),
      mFile(file),
      mName(new QLineEdit(uniqueName(QFileInfo(file).completeBaseName(), existingNames), this)),
      mFormat(new QComboBox(this)),
      mEncoding(new QComboBox(this)),
      mHeader(new QCheckBox(tr("The first row holds the column names"), this)),
      mText(new QComboBox(this)),
      mTextPair(new QComboBox(this)),
      mLabel(new QComboBox(this)),
      mSplit(new QComboBox(this)),
      mImage(new QComboBox(this)),
      mTrain(ratioBox(80, this)),
      mValidation(ratioBox(10, this)),
      mTest(ratioBox(10, this)),
      mRatios(new QWidget(this)),
      mPreview(new QTableWidget(this)),
      mPreviewStatus(new QLabel(this)),
      mProgress(new QProgressBar(this)),
      mProgressText(new QLabel(this)),
      mPages(new QStackedWidget(this)),
      mSummary(new QLabel(this)),
      mRejected(new QTableWidget(this)),
      mImport(new QPushButton(tr("Import"), this)),
      mCancel(new QPushButton(tr("Cancel"), this))
{
    setWindowTitle(tr("Import %1").arg(QFileInfo(file).fileName()));
    resize(900, 620);
    mFormat->addItem(tr("Detect"), int(FileFormat::Auto));
    mFormat->addItem(QStringLiteral("CSV"), int(FileFormat::Csv));
    mFormat->addItem(QStringLiteral("TSV"), int(FileFormat::Tsv));
    mFormat->addItem(QStringLiteral("JSON Lines"), int(FileFormat::JsonLines));
    mFormat->addItem(QStringLiteral("JSON"), int(FileFormat::Json));
    mFormat->addItem(tr("Text, one example per line"), int(FileFormat::Text));
    mFormat->addItem(tr("Folder of class folders of text files"), int(FileFormat::TextFolder));
    mFormat->addItem(tr("Folder of class folders of images"), int(FileFormat::ImageFolder));
    for (const TextEncoding encoding : {TextEncoding::Utf8, TextEncoding::Utf16, TextEncoding::Utf16Le,
                                        TextEncoding::Utf16Be, TextEncoding::Gbk, TextEncoding::Gb18030,
                                        TextEncoding::Latin1})
        mEncoding->addItem(QString::fromLatin1(encodingName(encoding)).toUpper(), int(encoding));
    mEncoding->setToolTip(tr("The file's character encoding; a byte-order mark overrides it. Bytes that are not "
                             "valid in it make their row an error."));
    mHeader->setChecked(true);
    mPreview->setEditTriggers(QAbstractItemView::NoEditTriggers);
    mPreview->verticalHeader()->setDefaultSectionSize(mPreview->fontMetrics().height() + 6);
    mPreview->setWordWrap(false);
    mPreviewStatus->setWordWrap(true);
    for (QTableWidget *table : {mPreview, mRejected})
        table->horizontalHeader()->setStretchLastSection(true);
    mRejected->setColumnCount(3);
    mRejected->setHorizontalHeaderLabels({tr("File"), tr("Line"), tr("Reason")});
    mRejected->setEditTriggers(QAbstractItemView::NoEditTriggers);
    mRejected->verticalHeader()->hide();
    mSummary->setWordWrap(true);
    mSummary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    mImport->setDefault(true);

    auto *source = new QFormLayout;
    auto *fileLabel = new QLabel(QDir::toNativeSeparators(file), this);
    fileLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    source->addRow(tr("File"), fileLabel);
    source->addRow(tr("Dataset name"), mName);
    auto *formatRow = new QHBoxLayout;
    formatRow->addWidget(mFormat);
    formatRow->addWidget(new QLabel(tr("Encoding"), this));
    formatRow->addWidget(mEncoding);
    formatRow->addWidget(mHeader, 1);
    source->addRow(tr("Format"), formatRow);

    auto *columns = new QGridLayout;
    const std::pair<QString, QComboBox *> roles[] = {
        {tr("Text"), mText}, {tr("Second text"), mTextPair}, {tr("Label"), mLabel}, {tr("Split"), mSplit},
        {tr("Image"), mImage}};
    int column = 0;
    for (const auto &[title, box] : roles) {
        columns->addWidget(new QLabel(title, this), 0, column);
        columns->addWidget(box, 1, column++);
    }
    auto *ratios = new QHBoxLayout(mRatios);
    ratios->setContentsMargins(0, 0, 0, 0);
    ratios->addWidget(new QLabel(tr("No split column: split by label into train"), this));
    ratios->addWidget(mTrain);
    ratios->addWidget(new QLabel(tr("validation"), this));
    ratios->addWidget(mValidation);
    ratios->addWidget(new QLabel(tr("test"), this));
    ratios->addWidget(mTest);
    ratios->addStretch();

    auto *setup = new QWidget(this);
    auto *setupLayout = new QVBoxLayout(setup);
    setupLayout->setContentsMargins(0, 0, 0, 0);
    setupLayout->addLayout(source);
    setupLayout->addLayout(columns);
    setupLayout->addWidget(mRatios);
    setupLayout->addWidget(mPreview, 1);
    setupLayout->addWidget(mPreviewStatus);

    auto *report = new QWidget(this);
    auto *reportLayout = new QVBoxLayout(report);
    reportLayout->setContentsMargins(0, 0, 0, 0);
    reportLayout->addWidget(mSummary);
    reportLayout->addWidget(mRejected, 1);
    mPages->addWidget(setup);
    mPages->addWidget(report);

    auto *buttons = new QHBoxLayout;
    buttons->addWidget(mProgress, 1);
    buttons->addWidget(mProgressText);
    buttons->addStretch();
    buttons->addWidget(mImport);
    buttons->addWidget(mCancel);
    mProgress->setVisible(false);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(mPages, 1);
    layout->addLayout(buttons);

    connect(mFormat, &QComboBox::currentIndexChanged, this, &ImportDialog::reloadPreview);
    connect(mHeader, &QCheckBox::toggled, this, &ImportDialog::reloadPreview);
    connect(mEncoding, &QComboBox::currentIndexChanged, this, &ImportDialog::reloadPreview);
    for (QComboBox *box : {mText, mTextPair, mLabel, mSplit, mImage})
        connect(box, &QComboBox::currentIndexChanged, this, &ImportDialog::refreshPreview);
    connect(mImport, &QPushButton::clicked, this, &ImportDialog::startImport);
    connect(mCancel, &QPushButton::clicked, this, [this] { isImporting() ? cancelImport() : reject(); });
    reloadPreview();
}

ImportDialog::~ImportDialog()
{
    // The worker polls the flag between rows; the import rolls back.
    *mCancelFlag = true;
    if (mThread)
        mThread->wait();
}

bool ImportDialog::isImporting() const
{
    return mThread != nullptr;
}

ImportOptions ImportDialog::options() const
{
    ImportOptions options;
    options.file = toPath(mFile);
    options.datasetName = mName->text().trimmed().toStdString();
    options.read.format = FileFormat(mFormat->currentData().toInt());
    options.read.hasHeader = mHeader->isChecked();
    options.read.encoding = TextEncoding(mEncoding->currentData().toInt());
    options.columns.text = columnOf(mText);
    options.columns.textPair = columnOf(mTextPair);
    options.columns.label = columnOf(mLabel);
    options.columns.split = columnOf(mSplit);
    options.columns.image = columnOf(mImage);
    options.ratios = {mTrain->value(), mValidation->value(), mTest->value()};
    return options;
}

void ImportDialog::reloadPreview()
{
    mColumns.clear();
    mRows.clear();
    mRowErrors.clear();
    QString failure;
    try {
        const ImportOptions current = options();
        auto source = openRowSource(current.file, current.read);
        for (const std::string &name : source->columns())
            mColumns << QString::fromStdString(name);
        SourceRow row;
        while (int(mRows.size() + mRowErrors.size()) < kPreviewRows && source->next(row)) {
            if (!row.error.empty()) {
                mRowErrors.emplace_back(row.line, QString::fromStdString(row.error));
                continue;
            }
            QStringList values;
            for (const std::string &value : row.values)
                values << QString::fromStdString(value);
            mRows.emplace_back(row.line, values);
        }
    } catch (const std::exception &e) {
        failure = QString::fromStdString(e.what());
    }

    // Offer the file's columns for each role: as last mapped by hand for
    // files with these columns, else guessed as the import would.
    std::vector<std::string> names;
    for (const QString &name : mColumns)
        names.push_back(name.toStdString());
    ColumnMapping mapping;
    mMappingNote.clear();
    try {
        Project project = Project::open(mProjectFolder);
        if (const auto remembered = rememberedMapping(project, names)) {
            mapping = *remembered;
            mMappingNote = tr("Columns mapped as last time for files with these columns.");
        }
    } catch (const Error &) {
    }
    ResolvedColumns guess;
    guess.hasText = false;
    try {
        guess = resolveColumns(names, mapping, mFile.toStdString(), true);
    } catch (const Error &) {
    }
    const std::pair<QComboBox *, std::optional<std::size_t>> roles[] = {
        {mText, guess.hasText ? std::optional<std::size_t>(guess.text) : std::nullopt},
        {mTextPair, guess.textPair},
        {mLabel, guess.label},
        {mSplit, guess.split},
        {mImage, guess.image}};
    for (const auto &[box, index] : roles) {
        const QSignalBlocker block(box);
        box->clear();
        box->addItem(tr("(none)"), QString());
        for (const QString &name : mColumns)
            box->addItem(name, name);
        box->setCurrentIndex(index && *index < std::size_t(mColumns.size()) ? int(*index) + 1 : 0);
    }
    refreshPreview();
    if (!failure.isEmpty()) {
        mPreviewStatus->setText(QStringLiteral("<span style='color:#b00020'>%1</span>").arg(failure.toHtmlEscaped()));
        mImport->setEnabled(false);
    }
}

void ImportDialog::refreshPreview()
{
    // Column headers say which role each column plays.
    QStringList headers;
    for (const QString &name : mColumns) {
        QString role;
        if (name == mText->currentData().toString())
            role = tr("text");
        else if (name == mTextPair->currentData().toString())
            role = tr("second text");
        else if (name == mLabel->currentData().toString())
            role = tr("label");
        else if (name == mSplit->currentData().toString())
            role = tr("split");
        else if (name == mImage->currentData().toString())
            role = tr("image");
        headers << (role.isEmpty() ? name : QStringLiteral("%1 [%2]").arg(name, role));
    }
    mPreview->clear();
    mPreview->setColumnCount(int(mColumns.size()));
    mPreview->setRowCount(int(mRows.size()));
    mPreview->setHorizontalHeaderLabels(headers);
    QStringList lines;
    for (int r = 0; r < int(mRows.size()); ++r) {
        lines << QString::number(mRows[size_t(r)].first);
        const QStringList &values = mRows[size_t(r)].second;
        for (int c = 0; c < values.size() && c < mColumns.size(); ++c) {
            // One line per cell: embedded newlines as a return symbol.
            QString value = values[c];
            value.replace(QLatin1Char('\n'), QStringLiteral(" \u23CE "));
            mPreview->setItem(r, c, new QTableWidgetItem(value));
        }
    }
    mPreview->setVerticalHeaderLabels(lines); // file line numbers
    mPreview->resizeColumnsToContents();
    for (int c = 0; c < mPreview->columnCount(); ++c)
        mPreview->setColumnWidth(c, std::min(mPreview->columnWidth(c), 360));

    mRatios->setVisible(mSplit->currentIndex() <= 0);
    // Each column can play one role.
    QStringList chosen;
    for (const QComboBox *box : {mText, mTextPair, mLabel, mSplit, mImage})
        if (!box->currentData().toString().isEmpty())
            chosen << box->currentData().toString();
    const bool distinct = chosen.removeDuplicates() == 0;
    const bool hasContent = mText->currentIndex() > 0 || mImage->currentIndex() > 0;
    QStringList notes;
    notes << tr("Preview of the first %n row(s).", nullptr, int(mRows.size()));
    if (!mMappingNote.isEmpty())
        notes << mMappingNote;
    for (const auto &[line, reason] : mRowErrors)
        notes << tr("Line %1 will be rejected: %2").arg(line).arg(reason);
    if (!distinct)
        notes << tr("<b>Each column can play one role only.</b>");
    if (!hasContent)
        notes << tr("<b>Choose the column with the text (or the image).</b>");
    mPreviewStatus->setText(notes.join(QStringLiteral("<br>")));
    mImport->setEnabled(!mColumns.isEmpty() && distinct && hasContent);
}

void ImportDialog::setInputsEnabled(bool enabled)
{
    for (QWidget *w : std::initializer_list<QWidget *>{mName, mFormat, mEncoding, mHeader, mText, mTextPair, mLabel,
                                                        mSplit, mImage, mTrain, mValidation, mTest, mImport})
        w->setEnabled(enabled);
}

void ImportDialog::startImport()
{
    if (isImporting())
        return;
    const ImportOptions current = options();
    setInputsEnabled(false);
    mProgress->setVisible(true);
    mProgress->setRange(0, 1000);
    mProgress->setValue(0);
    mProgressText->setText(tr("Starting…"));
    *mCancelFlag = false;
    const auto cancel = mCancelFlag;
    const fs::path project = mProjectFolder;
    // The worker has its own connection to the project; results come back as queued calls.
    mThread = QThread::create([this, current, cancel, project] {
        try {
            Project connection = Project::open(project);
            const ImportResult result = importDataset(connection, current, [this, cancel](const ImportProgress &p) {
                QMetaObject::invokeMethod(this, [this, p] { showProgress(p); }, Qt::QueuedConnection);
                return !*cancel;
            });
            QMetaObject::invokeMethod(this, [this, result] { showResult(result); }, Qt::QueuedConnection);
        } catch (const Error &e) {
            const QString message = QString::fromStdString(e.what());
            const bool cancelled = e.kind() == ErrorKind::Cancelled;
            QMetaObject::invokeMethod(this, [this, message, cancelled] { showFailure(message, cancelled); },
                                      Qt::QueuedConnection);
        } catch (const std::exception &e) {
            const QString message = QString::fromStdString(e.what());
            QMetaObject::invokeMethod(this, [this, message] { showFailure(message, false); }, Qt::QueuedConnection);
        }
    });
    connect(mThread, &QThread::finished, mThread, &QObject::deleteLater);
    mThread->start();
}

void ImportDialog::cancelImport()
{
    *mCancelFlag = true;
    mCancel->setEnabled(false);
    mProgressText->setText(tr("Cancelling…"));
}

void ImportDialog::showProgress(const ImportProgress &progress)
{
    if (progress.totalBytes > 0)
        mProgress->setValue(int(1000.0 * double(progress.bytesRead) / double(progress.totalBytes)));
    const QString phase = progress.phase == ImportPhase::Scanning ? tr("Reading labels") : tr("Importing");
    mProgressText->setText(tr("%1: %2 rows, %3 rejected").arg(phase).arg(progress.rows).arg(progress.errors));
}

void ImportDialog::showResult(const ImportResult &result)
{
    mThread->wait();
    mThread = nullptr;
    mProgress->setValue(mProgress->maximum());
    mProgressText->clear();
    mSummary->setText(tr("<b>%1</b>: %2 imported, %3 rejected, %4 duplicate(s). Splits: %5 train, %6 validation, "
                         "%7 test. %8 label(s), %9 unlabelled.")
                          .arg(QString::fromStdString(result.datasetName).toHtmlEscaped())
                          .arg(result.rows)
                          .arg(result.errorCount)
                          .arg(result.duplicateCount)
                          .arg(result.splits.train)
                          .arg(result.splits.validation)
                          .arg(result.splits.test)
                          .arg(result.labels.size())
                          .arg(result.unlabelled));
    mRejected->setRowCount(int(result.errors.size()));
    for (int r = 0; r < int(result.errors.size()); ++r) {
        const RowError &error = result.errors[size_t(r)];
        mRejected->setItem(r, 0, new QTableWidgetItem(QFileInfo(QString::fromStdString(error.file)).fileName()));
        mRejected->setItem(r, 1, new QTableWidgetItem(QString::number(error.line)));
        mRejected->setItem(r, 2, new QTableWidgetItem(QString::fromStdString(error.reason)));
    }
    mRejected->setVisible(result.errorCount > 0);
    mPages->setCurrentIndex(1);
    mImport->setVisible(false);
    mCancel->setText(tr("Close"));
    mCancel->setEnabled(true);
    Q_EMIT imported(QString::fromStdString(result.datasetName));
}

void ImportDialog::showFailure(const QString &message, bool cancelled)
{
    mThread->wait();
    mThread = nullptr;
    mProgress->setVisible(false);
    mProgressText->setText(cancelled ? tr("Cancelled: nothing was imported.")
                                     : QStringLiteral("<span style='color:#b00020'>%1</span>").arg(message.toHtmlEscaped()));
    mCancel->setEnabled(true);
    setInputsEnabled(true);
    refreshPreview();
}

} // namespace ft::ui
