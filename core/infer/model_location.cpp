// model_location.cpp
#include "infer/model_location.h"

#include "common/error.h"

namespace fs = std::filesystem;

namespace ft {

namespace {

constexpr const char *kModelFolderHolds =
    "a model folder holds config.json, model.safetensors (or pytorch_model.bin) and the tokenizer files "
    "(vocab.txt or tokenizer.json), as a Hugging Face export or a run's model/ folder does";

bool isFile(const fs::path &path)
{
    std::error_code error;
    return fs::is_regular_file(path, error);
}

// A run folder that has not written its final model yet still has checkpoints or a lock.
bool looksLikeRunFolder(const fs::path &folder)
{
    std::error_code error;
    if (folder.parent_path().filename() == "runs")
        return true;
    for (fs::directory_iterator it(folder, error), end; !error && it != end; it.increment(error))
        if (it->path().filename().string().rfind("checkpoint-", 0) == 0)
            return true;
    return false;
}

} // namespace

fs::path resolveModelFolder(const fs::path &given)
{
    std::error_code error;
    const fs::file_status status = fs::status(given, error);
    if (!fs::exists(status))
        throw Error(ErrorKind::NotFound, given.string() + ": no such model folder (" + kModelFolderHolds + ")");
    if (!fs::is_directory(status))
        throw Error(ErrorKind::InvalidInput, given.string() + " is a file, not a model folder (" + kModelFolderHolds +
                                                 ")");
    if (isFile(given / "config.json"))
        return given;
    const fs::path runModel = given / "model";
    if (isFile(runModel / "config.json"))
        return runModel;
    if (looksLikeRunFolder(given.has_filename() ? given : given.parent_path()))
        throw Error(ErrorKind::NotFound, given.string() + " looks like a run folder, but has no final model in " +
                                             runModel.string() + " (has the run completed?)");
    // NotFound, as the Predictor reports a missing file of a model folder.
    throw Error(ErrorKind::NotFound, given.string() + " is not a model folder: it has no config.json (" +
                                             kModelFolderHolds + "; a project's run folder runs/N also works)");
}

} // namespace ft
