// tst_checkpoint.h: CheckpointTest, one test class in two files: tst_checkpoint.cpp reads and writes good
// checkpoints, tst_checkpoint_errors.cpp checks the precise errors for malformed ones.
#pragma once

#include <QObject>

#include <filesystem>

class CheckpointTest : public QObject {
    Q_OBJECT

    // Declared in the order they ran when the class was one file; the comments say where each is defined.
private Q_SLOTS:
    // tst_checkpoint.cpp
    void realConfigsParse_data();
    void realConfigsParse();
    void tinyConfigLabels();
    // tst_checkpoint_errors.cpp
    void badConfigs_data();
    void badConfigs();
    // tst_checkpoint.cpp
    void safetensorsRoundTripIsBitIdentical();
    void halfFilesWidenExactly();
    // tst_checkpoint_errors.cpp
    void malformedSafetensors_data();
    void malformedSafetensors();
    void shapeMismatchAgainstConfig();
    void missingAndExtraEncoderTensors();
    // tst_checkpoint.cpp
    void binEqualsSafetensorsBitwise();
    void legacyBinRenamesAndSkipsBuffers();
    void baseCheckpointGetsPrefixAndNewHead();
    void shardedEqualsSingleFile();
    // tst_checkpoint_errors.cpp
    void badBinFiles();
    void binPickles_data();
    void binPickles();
    // tst_checkpoint.cpp
    void scratchModelIsDeterministic();
    void namesMirrorHuggingFace();
    void saveLoadRoundTripIsBitIdentical();
    void newLabelsStartANewHead();
    void modelInfoDescribesFolders();

private:
    static inline const std::filesystem::path kGolden = std::filesystem::path(FT_SHARED_DIR) / "golden";
    static inline const std::filesystem::path kMain = kGolden / "tiny-bert-uncased";

    static void copyFile(const std::filesystem::path &from, const std::filesystem::path &to)
    {
        std::filesystem::copy_file(from, to, std::filesystem::copy_options::overwrite_existing);
    }
};
